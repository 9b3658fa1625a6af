package io.bluefog.collectives.engine;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link SharedFiles}: the space check names what is missing; page allocation leaves a zero-filled file. */
class SharedFilesTest {
    @Test
    void tooLittleSpaceIsRefusedNamingTheNumbers(@TempDir Path dir) {
        IOException e = assertThrows(IOException.class, () -> SharedFiles.requireSpace(dir, Long.MAX_VALUE));
        assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains(Long.toString(Long.MAX_VALUE)),
                e.getMessage());
        assertDoesNotThrow(() -> SharedFiles.requireSpace(dir, 4096));
    }

    @Test
    void allocatedPagesAreZeroAndHeldByTheFile(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("pages");
        long bytes = 5 * 4096 + 100;
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_WRITE, 0, bytes);
            SharedFiles.allocatePages(map, bytes);
            for (int i = 0; i < bytes; i++) {
                assertEquals(0, map.get(i), "byte " + i);
            }
            assertEquals(bytes, Files.size(f));
        }
    }
}
