package io.bluefog.mpi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The watchdog halts a rank whose MPI_Abort stalls, with the abort's status, after the grace period. */
class AbortWatchdogTest {
    @Test
    void haltsWithTheExitCodeAfterTheGracePeriod() throws Exception {
        CompletableFuture<Integer> halted = new CompletableFuture<>();
        long start = System.nanoTime();
        Thread t = AbortWatchdog.start(200, 7, halted::complete);
        assertTrue(t.isDaemon(), "the watchdog must not keep the JVM alive");
        // A stalled MPI_Abort is this thread never returning; the watchdog still halts.
        assertEquals(7, halted.get(60, TimeUnit.SECONDS));
        assertTrue(System.nanoTime() - start >= 200_000_000L, "halted before the grace period");
    }

    @Test
    void rejectsANonPositiveGracePeriod() {
        assertThrows(IllegalArgumentException.class, () -> AbortWatchdog.start(0, 1, c -> { }));
    }
}
