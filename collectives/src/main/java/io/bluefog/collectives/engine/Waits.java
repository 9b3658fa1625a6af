package io.bluefog.collectives.engine;

import io.bluefog.BlueFogTimeoutException;
import io.bluefog.comm.Request;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;

/**
 * Waiting for transport requests with a deadline, so that a peer that never comes produces an
 * error naming it instead of a hang. Polls {@link Request#test()} (which also drives MPI's
 * progress engine), yielding first and then parking briefly, so that waiting ranks leave the CPU
 * to the ranks that compute on a shared machine.
 */
final class Waits {
    private static final int YIELDS = 64;
    private static final long PARK_NANOS = 20_000;

    private Waits() {
    }

    /**
     * Waits until every request is complete.
     *
     * @param what describes request {@code k} for the timeout message, e.g. "data from rank 3"
     * @throws BlueFogTimeoutException naming the first request that did not complete in time
     */
    static void all(List<Request> requests, long deadlineNanos, IntFunction<String> what) {
        int spins = 0;
        for (int k = 0; k < requests.size(); k++) {
            Request r = requests.get(k);
            while (!r.test()) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new io.bluefog.CommunicationException("interrupted while waiting for " + what.apply(k));
                }
                if (System.nanoTime() - deadlineNanos > 0) {
                    throw new BlueFogTimeoutException("timed out waiting for " + what.apply(k));
                }
                pause(spins++);
            }
        }
    }

    static void pause(int spins) {
        if (spins < YIELDS) {
            Thread.yield();
        } else {
            LockSupport.parkNanos(PARK_NANOS);
        }
    }
}
