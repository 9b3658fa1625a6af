package io.bluefog.examples.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Checks of {@link BarrierWaitReference} that hold on any machine at any load. How long threads wait
 * (the reference's result) depends on the machine and belongs to the benchmark's output, not here.
 */
class BarrierWaitReferenceTest {
    private static final int THREADS = 3;
    private static final int STEPS = 40;
    /** Work of the one busy thread per step: at least this long, whatever the machine. */
    private static final long WORK_NANOS = 2_000_000;

    /** Sleeps at least {@code nanos} (parkNanos alone may return early). */
    private static void busyAtLeast(long nanos) {
        long end = System.nanoTime() + nanos;
        for (long left = nanos; left > 0; left = end - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
    }

    @Test
    void noThreadStartsAStepBeforeEveryThreadFinishedThePreviousOne() {
        AtomicIntegerArray finished = new AtomicIntegerArray(THREADS);
        AtomicReference<String> violation = new AtomicReference<>();
        BarrierWaitReference.Result r = BarrierWaitReference.measure(THREADS, STEPS, t -> {
            int mine = finished.get(t);
            for (int other = 0; other < THREADS; other++) {
                if (finished.get(other) < mine) {
                    violation.compareAndSet(null, "thread " + t + " started step " + (mine + 1) + " while thread "
                            + other + " had finished only " + finished.get(other));
                }
            }
            if (t == 1) {
                busyAtLeast(WORK_NANOS);
            }
            finished.incrementAndGet(t);
        });
        assertEquals(null, violation.get());
        for (int t = 0; t < THREADS; t++) {
            assertEquals(STEPS, finished.get(t), "steps of thread " + t);
        }
        assertEquals(THREADS, r.waitShares().length);
        double sum = 0;
        for (double w : r.waitShares()) {
            assertTrue(w >= 0 && w <= 1, "a wait share is a fraction of the thread's time: " + w);
            sum += w;
        }
        assertEquals(sum / THREADS, r.meanWaitShare(), 1e-15);
        // A lower bound only, which load can only lengthen: every thread's run contains at least the busy
        // thread's work of steps 2..STEPS (its first step may start before another thread has started).
        double minStepMillis = WORK_NANOS / 1e6 * (STEPS - 1) / STEPS;
        assertTrue(r.stepMillis() >= minStepMillis, "a step lasts at least the work, was " + r.stepMillis());
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
