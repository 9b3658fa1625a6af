package io.bluefog.examples.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BarrierWaitReferenceTest {
    /** A thread that does no work waits for the slowest one for nearly its whole time. */
    private static final double IDLE_THREAD_MIN_WAIT = 0.8;
    /** The slowest thread only pays for the barrier itself. */
    private static final double SLOW_THREAD_MAX_WAIT = 0.2;

    @Test
    void aThreadWithoutWorkWaitsForTheOneWithWork() {
        BarrierWaitReference.Result r = BarrierWaitReference.measure(2, 40, t -> {
            if (t == 1) {
                LockSupport.parkNanos(2_000_000);
            }
        });
        assertTrue(r.waitShares()[0] > IDLE_THREAD_MIN_WAIT, "idle thread waited " + r.waitShares()[0]);
        assertTrue(r.waitShares()[1] < SLOW_THREAD_MAX_WAIT, "working thread waited " + r.waitShares()[1]);
        assertTrue(r.stepMillis() >= 2.0, "a step lasts at least the 2 ms of work, was " + r.stepMillis());
        assertEquals((r.waitShares()[0] + r.waitShares()[1]) / 2, r.meanWaitShare(), 1e-15);
    }

    @Test
    void badOptionsAreUsageErrors() {
        CommandLine cmd = new CommandLine(new BarrierWaitReference());
        cmd.setErr(new java.io.PrintWriter(java.io.Writer.nullWriter()));
        assertEquals(2, cmd.execute("--threads", "0"));
        assertEquals(2, cmd.execute("--step-ms", "-1"));
        assertEquals(2, cmd.execute("--steps", "0"));
    }
}
