package io.bluefog.mpi.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.mpi.AbortWatchdogAccess;
import io.bluefog.mpi.MpiRun;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A rank that stalls (never calls, or is stopped with SIGSTOP) makes every other rank fail with
 * {@code BlueFogTimeoutException} naming the operation, and the job end non-zero, within the timeout
 * plus the grace period; before, MPI's blocking collectives waited forever.
 */
@Tag("mpi")
class StallMpiTest {
    static final long TIMEOUT_MILLIS = 3_000;
    /**
     * Startup (JVMs, ND4J: ~10 s per JVM on a loaded 2-core machine, ranks start together) plus the
     * abort's grace period; a hang guard, not a speed claim.
     */
    static final Duration LIMIT = Duration.ofMillis(TIMEOUT_MILLIS + AbortWatchdogAccess.graceMillis()).plusSeconds(60);

    private static MpiRun.Result run(int np, String mode) {
        List<String> command = new java.util.ArrayList<>(MpiRun.command(np,
                List.of("-DBLUEFOG_TIMEOUT_MILLIS=" + TIMEOUT_MILLIS), StallingRankMain.class.getName(), List.of(mode)));
        MpiRun.Result r = MpiRun.exec(command, LIMIT.plusSeconds(30));
        System.out.println("[time to fail] " + mode + ", np " + np + ": mpirun ended after " + r.elapsed().toMillis()
                + " ms (JVM startup and the test's own delays included)");
        assertFalse(r.timedOut(), () -> "job hung: " + r);
        assertNotEquals(0, r.exitCode(), () -> "job must fail: " + r);
        assertTrue(r.elapsed().compareTo(LIMIT) < 0, () -> "job took longer than " + LIMIT + ": " + r);
        assertFalse(r.output().contains("completed a collective"), r::toString);
        return r;
    }

    @ParameterizedTest(name = "np = {0}, {1}")
    @CsvSource({"2, allreduce", "3, allreduce", "2, broadcast", "3, allgather", "2, barrier"})
    void aRankThatNeverCallsIsNamedInTheTimeout(int np, String mode) {
        MpiRun.Result r = run(np, mode);
        int last = np - 1;
        // At least one waiting rank reports (the first abort may end the others before they print).
        String what = mode.equals("barrier") ? "barrier" : mode;
        assertTrue(r.output().matches("(?s).*rank (\\d+) timed out: BlueFogTimeoutException: rank \\1: " + what + ".*"),
                () -> "no rank reports the timeout of " + what + ": " + r);
        assertTrue(r.output().contains("timed out after " + TIMEOUT_MILLIS + " ms (BLUEFOG_TIMEOUT_MILLIS) waiting for rank "
                + last + ", not heard from"), () -> "the stalled rank is not named: " + r);
        // The stall inspector warned at half the timeout, naming the same rank.
        assertTrue(r.output().matches("(?s).*\\[bluefog\\] rank \\d+: stall warning: [^\\n]* has waited \\d+ ms for rank "
                + last + ", not heard from.*"), () -> "no stall warning naming rank " + last + ": " + r);
        for (String line : r.lines()) {
            if (line.contains(" timed out: ")) {
                assertTrue(line.contains("waiting for rank " + last + ","), () -> "wrong rank named: " + line);
            }
        }
    }

    /**
     * Every rank entered a 16 MB allreduce, in which rank 0 was stopped (SIGSTOP): the others' stall
     * warning and timeout name it as the rank that did not answer their liveness check, where they
     * said "no progress" before.
     */
    @ParameterizedTest(name = "np = {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {2, 3})
    void aRankStoppedInsideACallEveryRankEnteredIsNamed(int np) {
        MpiRun.Result r = run(np, "sigstop-inside");
        int stopped = 0;
        assertTrue(r.output().matches("(?s).*rank ([1-9]\\d*) timed out: BlueFogTimeoutException: rank \\1: allreduce.*"),
                () -> "no running rank reports the timeout: " + r);
        for (String line : r.lines()) {
            // Open MPI continues the stopped rank (SIGCONT) when it ends the job: its own late timeout,
            // which finds its peers already gone, is not what this test checks
            if (line.contains(" timed out: ") && !line.contains("rank " + stopped + " timed out: ")) {
                assertTrue(line.contains("waiting for rank " + stopped + ", which did not answer a liveness check within "),
                        () -> "the stopped rank is not named: " + line);
            }
        }
        assertTrue(r.output().matches("(?s).*\\[bluefog\\] rank \\d+: stall warning: [^\\n]* has waited \\d+ ms for rank "
                + stopped + ", which did not answer a liveness check.*"), () -> "no stall warning naming rank " + stopped + ": " + r);
        assertFalse(r.output().contains("completed a collective"), r::toString);
    }

    @Test
    void aRankStoppedWithSigstopTimesOutItsPeersThroughTheEngine() {
        MpiRun.Result r = run(2, "engine-sigstop");
        assertTrue(r.output().contains("rank 0 timed out: BlueFogTimeoutException"), () -> "no timeout on rank 0: " + r);
    }
}
