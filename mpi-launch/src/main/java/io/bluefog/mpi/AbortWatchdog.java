package io.bluefog.mpi;

import java.util.function.IntConsumer;

/**
 * Bounds how long an abort may take. {@code MPI_Abort} can stall (after a network partition Open
 * MPI's abort never returned and mpirun stayed, "abort is already in progress"); a daemon thread
 * started before the abort halts the process with the abort's exit status once the grace period
 * has passed, so the rank ends and mpirun, seeing a rank exit without finalizing, ends the job.
 */
final class AbortWatchdog {
    /**
     * Grace period an {@code MPI_Abort} gets before the rank halts itself: 10 s, enough for Open MPI
     * to signal every daemon on a healthy network (it takes well under a second on one host).
     */
    static final long GRACE_MILLIS = 10_000;

    private AbortWatchdog() {
    }

    /**
     * Starts the watchdog thread.
     *
     * @param graceMillis how long to wait before halting, &gt; 0
     * @param exitCode    status passed to {@code halt}
     * @param halt        ends the process ({@code Runtime.getRuntime()::halt} outside tests)
     * @return the started daemon thread
     */
    static Thread start(long graceMillis, int exitCode, IntConsumer halt) {
        if (graceMillis <= 0) {
            throw new IllegalArgumentException("graceMillis = " + graceMillis + " must be positive");
        }
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(graceMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            System.err.println("[bluefog] MPI_Abort did not end the job within " + graceMillis
                    + " ms; halting this rank with exit status " + exitCode);
            System.err.flush();
            halt.accept(exitCode);
        }, "bluefog-abort-watchdog");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
