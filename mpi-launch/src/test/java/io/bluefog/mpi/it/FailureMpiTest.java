package io.bluefog.mpi.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.config.BlueFogConfig;
import io.bluefog.mpi.MpiRun;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One rank throws; the whole mpirun job must end non-zero through the abort, before any peer could
 * have timed out waiting for it ({@link #LIMIT}), not hang.
 */
@Tag("mpi")
class FailureMpiTest {
    /**
     * Below the runtime's default peer timeout (120 s), so a job that ends within it was ended by the
     * abort, not by a timeout; a hang guard, not a speed claim (the abort takes well under a second
     * once the ranks have started).
     */
    static final Duration LIMIT = Duration.ofMillis(BlueFogConfig.DEFAULT_TIMEOUT_MILLIS * 3 / 4);

    @ParameterizedTest(name = "np = {0}, exception in {1}")
    @CsvSource({"2, main", "4, main", "2, worker-thread", "4, worker-thread", "2, try-block", "4, try-block"})
    void uncaughtExceptionOnOneRankAbortsTheJob(int np, String where) {
        // Give the runner more than LIMIT so that a hang is reported with the job's output.
        MpiRun.Result r = MpiRun.run(np, LIMIT.plusSeconds(15), FailingRankMain.class.getName(), where);
        assertFalse(r.timedOut(), () -> "job hung: " + r);
        assertNotEquals(0, r.exitCode(), () -> "job must fail: " + r);
        assertTrue(r.elapsed().compareTo(LIMIT) < 0, () -> "job took longer than " + LIMIT + ": " + r);
        assertTrue(r.output().contains(FailingRankMain.MESSAGE + " (rank " + (np - 1) + ")"),
                () -> "the failing rank's exception is not in the output: " + r);
        assertTrue(r.output().contains("rank " + (np - 1) + " aborts the MPI job"), () -> "no abort message: " + r);
        assertFalse(r.output().contains("passed a barrier it should never pass"), () -> r.toString());
    }
}
