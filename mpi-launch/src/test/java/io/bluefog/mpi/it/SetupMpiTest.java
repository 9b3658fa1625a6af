package io.bluefog.mpi.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.mpi.MpiRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * mpi-launch/setup on an installed machine (these tests run after it, since they need its jar):
 * the idempotent path changes nothing, reports every step and exits 0; bad options exit non-zero.
 */
@Tag("mpi")
class SetupMpiTest {
    /** Checking installed packages and the jar takes a few seconds; it must not rebuild anything. */
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    private static Path setup() {
        Path setup = Path.of(System.getProperty("bluefog.mpi.setup", "setup"));
        assertTrue(Files.isExecutable(setup), "setup not found at " + setup + " (system property bluefog.mpi.setup)");
        return setup;
    }

    @Test
    void secondRunFindsEverythingInPlace() {
        MpiRun.Result r = MpiRun.exec(List.of(setup().toString(), "--no-build"), TIMEOUT);
        assertEquals(0, r.exitCode(), () -> r.toString());
        for (String expected : List.of("package openmpi-bin: installed", "package libopenmpi-dev: installed",
                "package dataset-fashion-mnist: installed", "mpi-java jar: present", "project build skipped",
                "all in place")) {
            assertTrue(r.output().contains(expected), () -> "no '" + expected + "' in: " + r);
        }
        assertTrue(!r.output().contains("apt-get install") && !r.output().contains("javac"),
                () -> "an idempotent run must not install or compile: " + r);
    }

    @Test
    void unknownOptionIsRefused() {
        MpiRun.Result r = MpiRun.exec(List.of(setup().toString(), "--frobnicate"), TIMEOUT);
        assertTrue(r.exitCode() != 0, () -> r.toString());
        assertEquals(1, r.lines().size(), () -> r.toString());
        assertTrue(r.output().contains("unknown option '--frobnicate'"), () -> r.toString());
    }
}
