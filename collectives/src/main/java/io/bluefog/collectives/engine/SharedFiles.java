package io.bluefog.collectives.engine;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Making memory-mapped files under {@code /dev/shm} safely ({@link ReduceSegment}, the windows'
 * shared slots): a file on a tmpfs that is too small maps fine, and the first write to a page it
 * cannot hold kills the process with SIGBUS (the JVM turns it into an {@link InternalError} at some
 * later point). So the maker checks the free space and allocates every page while it can still
 * fall back to messages.
 */
public final class SharedFiles {
    private static final int PAGE = 4096;

    private SharedFiles() {
    }

    /**
     * Before creating a file of {@code bytes} bytes in {@code directory}.
     *
     * @throws IOException naming the directory, its free bytes and the bytes needed, if it has too few
     */
    public static void requireSpace(Path directory, long bytes) throws IOException {
        long free = Files.getFileStore(directory).getUsableSpace();
        if (free < bytes) {
            throw new IOException(directory + " has " + free + " bytes free, " + bytes + " are needed");
        }
    }

    /**
     * Allocates every page of a new (zero-filled) file's mapping by writing a zero into each.
     *
     * @throws IOException if the file system cannot hold them (the SIGBUS, caught here)
     */
    public static void allocatePages(MappedByteBuffer map, long bytes) throws IOException {
        try {
            for (long at = 0; at < bytes; at += PAGE) {
                map.put(Math.toIntExact(at), (byte) 0);
            }
        } catch (InternalError e) {
            throw new IOException("cannot allocate " + bytes + " bytes of shared memory: " + e.getMessage(), e);
        }
    }
}
