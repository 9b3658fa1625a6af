package io.bluefog.optimizers.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Checkpoints#writeAtomically}: content, no temporary file left, a plain file's permissions. */
class AtomicWriteTest {
    @TempDir
    Path dir;

    @Test
    void replacesTheFileAndLeavesNothingElse() throws Exception {
        Path f = dir.resolve("metrics.json");
        Checkpoints.writeAtomically(f, new byte[] {1, 2, 3});
        Checkpoints.writeAtomically(f, new byte[] {4, 5});
        assertArrayEquals(new byte[] {4, 5}, Files.readAllBytes(f));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(f), files.toList());
        }
    }

    @Test
    void theFileHasThePermissionsOfAPlainWrite() throws Exception {
        Assumptions.assumeTrue(Files.getFileAttributeView(dir, PosixFileAttributeView.class) != null,
                "needs a POSIX file system");
        Path plain = Files.write(dir.resolve("plain.png"), new byte[] {1});
        Path atomic = dir.resolve("atomic.png");
        Checkpoints.writeAtomically(atomic, new byte[] {1});
        // Files.createTempFile would give rw------- whatever the umask (metrics unreadable to others)
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(atomic));
    }
}
