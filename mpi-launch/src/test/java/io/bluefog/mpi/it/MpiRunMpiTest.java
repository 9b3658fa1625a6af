package io.bluefog.mpi.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.mpi.MpiRun;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/** The runner itself can fail: a failing check and a hanging job are reported, not passed. */
@Tag("mpi")
class MpiRunMpiTest {
    /** Short: the job does nothing but sleep. */
    static final Duration HANG_TIMEOUT = Duration.ofSeconds(8);

    @Test
    void failingCheckFailsTheAssertion() {
        AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> MpiRun.assertSuitePassed(2,
                FailsOnLastRankSuite.class.getName(), List.of("passes", "failsOnLastRank")));
        assertTrue(e.getMessage().contains("rank 1 FAIL failsOnLastRank"), e.getMessage());
    }

    @Test
    void hangingJobIsKilledAtTheTimeout() {
        MpiRun.Result r = MpiRun.run(2, HANG_TIMEOUT, SleepForeverMain.class.getName());
        // Not asserted: that the ranks printed "sleeping" within the timeout (JVM start-up depends on the
        // machine's load). A job that could not start would end by itself instead of timing out.
        assertTrue(r.timedOut(), () -> r.toString());
        assertFalse(ProcessHandle.allProcesses().anyMatch(p -> p.info().arguments()
                        .map(args -> List.of(args).contains(SleepForeverMain.class.getName())).orElse(false)),
                "a rank of the killed job is still running");
    }
}
