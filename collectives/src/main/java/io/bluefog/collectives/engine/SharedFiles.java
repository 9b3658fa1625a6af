package io.bluefog.collectives.engine;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Memory-mapped files under {@code /dev/shm} that the ranks of one host share ({@link ReduceSegment},
 * the windows' shared slots): one rank creates a file that starts with a random nonce, the others
 * open it and check the nonce (so a stale or foreign file of the same name is never used), and the
 * creator unlinks it once every rank has mapped it (the mappings stay valid).
 *
 * <p>A file on a tmpfs that is too small maps fine, and the first write to a page it cannot hold
 * kills the process with SIGBUS (the JVM turns it into an {@link InternalError} at some later
 * point). So {@link #create} checks the free space and allocates every page while the caller can
 * still fall back to messages.
 */
public final class SharedFiles {
    /** Where the files live: Linux's shared-memory file system. */
    public static final Path DIRECTORY = Path.of("/dev/shm");
    private static final int PAGE = 4096;

    private SharedFiles() {
    }

    /** @return a random nonce in [1, 2^52): it travels between ranks as a double, exactly */
    public static long nonce() {
        return 1 + ThreadLocalRandom.current().nextLong((1L << 52) - 1);
    }

    /** @return the file {@code <prefix><pid>-<nonce in hex>} under {@link #DIRECTORY} */
    public static Path path(String prefix, long pid, long nonce) {
        return DIRECTORY.resolve(prefix + pid + "-" + Long.toHexString(nonce));
    }

    /**
     * Creates {@code path} ({@code bytes} long, every page allocated, zero-filled but for the nonce at
     * byte 0) and maps it in native byte order; on failure nothing is left behind.
     *
     * @param what names the file's use in messages
     * @throws IOException if the file would exceed the 2 GiB a mapping holds, if its directory lacks
     *                     the space or is missing or not writable, or if the file exists
     */
    public static MappedByteBuffer create(Path path, long bytes, long nonce, String what) throws IOException {
        if (bytes > Integer.MAX_VALUE) {
            throw new IOException(what + " of " + bytes + " bytes is over the 2 GiB a mapping may hold");
        }
        requireSpace(path.getParent(), bytes);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_WRITE, 0, bytes);
            map.order(ByteOrder.nativeOrder());
            allocatePages(map, bytes);
            map.putLong(0, nonce);
            return map;
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(path);
            throw e instanceof IOException io ? io : new IOException(e);
        }
    }

    /**
     * Maps a file made by {@link #create} in native byte order.
     *
     * @throws IOException if it does not exist (e.g. its creator is on another host), has another
     *                     length than {@code bytes}, or does not start with {@code nonce}
     */
    public static MappedByteBuffer open(Path path, long bytes, long nonce) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            if (ch.size() != bytes) {
                throw new IOException(path + " has " + ch.size() + " bytes, expected " + bytes);
            }
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_WRITE, 0, bytes);
            map.order(ByteOrder.nativeOrder());
            if (map.getLong(0) != nonce) {
                throw new IOException(path + " does not carry the expected nonce");
            }
            return map;
        }
    }

    /** Removes the file (the mappings stay valid); idempotent, and quiet: /dev/shm is cleared at reboot. */
    public static void unlink(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // nothing else to do
        }
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
