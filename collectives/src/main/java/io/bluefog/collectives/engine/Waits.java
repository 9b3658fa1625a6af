package io.bluefog.collectives.engine;

import io.bluefog.BlueFogTimeoutException;
import io.bluefog.comm.Request;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;

/**
 * Waiting for transport requests with a deadline, so that a peer that never comes produces an
 * error naming it instead of a hang. Polls {@link Request#test()} (which also drives MPI's
 * progress engine), yielding first and then parking briefly, so that waiting ranks leave the CPU
 * to the ranks that compute on a shared machine.
 */
final class Waits {
    /** Busy-poll this long first, as MPI does: a peer that is about to answer answers within microseconds. */
    static final long SPIN_NANOS = 50_000;
    /** Then yield (let a peer rank sharing the core run) until this much time has passed ... */
    static final long YIELD_NANOS = 2_000_000;
    /** ... and after that park this long between polls, so that long waits cost no CPU. */
    static final long PARK_NANOS = 20_000;
    /**
     * Callers in this JVM that wait for communication: blocked in {@link FutureHandle#join()} or
     * executing their own operation ({@link Engine#runInCallerOrSubmit}). While there is none, the
     * caller is computing (an operation started early to overlap, e.g. AWC's combine during the
     * gradient) and needs the core, which a yielding poller would share with it: then waits park
     * right after the spin. While a caller waits its core is idle anyway, and yielding costs nothing
     * but answers sooner than a park's wake-up.
     */
    static final AtomicInteger WAITING_CALLERS = new AtomicInteger();

    private Waits() {
    }

    /**
     * Waits until every request is complete.
     *
     * @param what describes request {@code k} for the timeout message, e.g. "data from rank 3"
     * @throws BlueFogTimeoutException naming the first request that did not complete in time
     */
    static void all(List<Request> requests, long deadlineNanos, IntFunction<String> what, PeerFailures failures) {
        range(requests, 0, requests.size(), deadlineNanos, what, failures);
    }

    /**
     * Waits until requests {@code from .. from + count - 1} are complete.
     *
     * @param what describes request {@code from + k} as {@code what.apply(k)} for the timeout message
     * @param failures  polled while waiting (after the first spin), so that a rank whose engine
     *                  failed ends the wait at once
     * @throws BlueFogTimeoutException naming the first request that did not complete in time
     * @throws PeerFailures.PeerFailureException if another rank announced its failure meanwhile
     */
    static void range(List<Request> requests, int from, int count, long deadlineNanos, IntFunction<String> what,
            PeerFailures failures) {
        long start = System.nanoTime();
        for (int k = 0; k < count; k++) {
            Request r = requests.get(from + k);
            while (!r.test()) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new io.bluefog.CommunicationException("interrupted while waiting for " + what.apply(k));
                }
                if (System.nanoTime() - deadlineNanos > 0) {
                    throw new BlueFogTimeoutException("timed out waiting for " + what.apply(k));
                }
                pause(start, failures);
            }
        }
    }

    /**
     * One pause of a polling loop that started at {@code startNanos}: spin, then yield (only while a
     * caller is blocked waiting, see {@link #WAITING_CALLERS}), then park; after the spin, each
     * pause also polls {@code failures}.
     */
    static void pause(long startNanos, PeerFailures failures) {
        long waited = System.nanoTime() - startNanos;
        if (waited < SPIN_NANOS) {
            Thread.onSpinWait();
            return;
        }
        failures.check();
        if (waited < YIELD_NANOS && WAITING_CALLERS.get() > 0) {
            Thread.yield();
        } else {
            LockSupport.parkNanos(PARK_NANOS);
        }
    }
}
