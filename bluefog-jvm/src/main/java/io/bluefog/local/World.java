package io.bluefog.local;

import io.bluefog.BlueFogTimeoutException;
import io.bluefog.CommunicationException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.Supplier;

/**
 * State shared by the ranks of one {@link LocalCluster} run: the message channels, the collective
 * rounds, and the first failure. One instance per run; ranks reach it through their
 * {@link LocalCommunicator}.
 */
final class World {
    private final int size;
    private final int ranksPerMachine;
    private final long timeoutMillis;
    private final int eagerLimitBytes;
    final Mailboxes mailboxes;
    final Rounds rounds;

    /** Something rank threads may wait on, woken so that the waiters re-check a failure or exit. */
    interface Wakeable {
        void wake();
    }

    /** Every completion or gate some rank thread may be waiting on, so that a failure can wake them all. */
    private final Set<Wakeable> waiting = ConcurrentHashMap.newKeySet();
    private volatile Failure failure;
    /** 1 for ranks whose task has returned: they will make no further calls. */
    private final AtomicIntegerArray exited;
    private volatile boolean anyExited;
    /** Number of {@link #wakeAll()} calls so far. */
    private final java.util.concurrent.atomic.AtomicLong wakeups = new java.util.concurrent.atomic.AtomicLong();

    /** The first failure of a run: which rank (-1: the thread that started the run was interrupted), and what it threw. */
    record Failure(int rank, Throwable cause) {
        String describe() {
            String msg = cause.getMessage();
            return cause.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
        }
    }

    World(int size, int ranksPerMachine, long timeoutMillis, int eagerLimitBytes) {
        this.size = size;
        this.ranksPerMachine = ranksPerMachine;
        this.timeoutMillis = timeoutMillis;
        this.eagerLimitBytes = eagerLimitBytes;
        this.exited = new AtomicIntegerArray(size);
        this.mailboxes = new Mailboxes(this);
        this.rounds = new Rounds(this);
    }

    int size() {
        return size;
    }

    int ranksPerMachine() {
        return ranksPerMachine;
    }

    long timeoutMillis() {
        return timeoutMillis;
    }

    int eagerLimitBytes() {
        return eagerLimitBytes;
    }

    /**
     * Records that {@code rank} failed with {@code cause} (only the first failure is kept) and
     * releases every rank thread blocked in this world.
     *
     * @return true if this call recorded the failure (it was the first)
     */
    boolean fail(int rank, Throwable cause) {
        boolean first = false;
        synchronized (this) {
            if (failure == null) {
                failure = new Failure(rank, cause);
                first = true;
            }
        }
        // failure is set before waking: a waiter registered later sees it in throwIfFailed.
        for (Wakeable c : waiting) {
            c.wake();
        }
        return first;
    }

    /**
     * Records that {@code rank}'s task returned normally and wakes every waiter, so that waits that
     * need a call from it fail at once instead of timing out.
     */
    void exited(int rank) {
        exited.set(rank, 1);
        anyExited = true;
        wakeAll();
    }

    /** Wakes every waiting rank thread, so that it re-checks its wait's conditions. */
    void wakeAll() {
        wakeups.incrementAndGet(); // before waking: see SharedMemoryExchange#wakeups
        for (Wakeable c : waiting) {
            c.wake();
        }
    }

    /** @return the number of {@link #wakeAll()} calls so far */
    long wakeups() {
        return wakeups.get();
    }

    /** @return true if some rank's task has returned */
    boolean anyExited() {
        return anyExited;
    }

    /** @return true if {@code rank}'s task has returned */
    boolean hasExited(int rank) {
        return exited.get(rank) == 1;
    }

    Failure failure() {
        return failure;
    }

    /**
     * @throws CommunicationException naming the failed rank if any rank of this world failed
     */
    void throwIfFailed(int rank, String what) {
        Failure f = failure;
        if (f != null) {
            String who = f.rank() < 0 ? "the thread running the job was interrupted" : "rank " + f.rank() + " failed";
            throw new CommunicationException("rank " + rank + ": " + what + " aborted because " + who + " ("
                    + f.describe() + ")", f.cause());
        }
    }

    /**
     * One check of a wait on this world (a {@link Completion} or a {@link Gate}) before it sleeps again.
     *
     * @param deadlineNanos the wait's deadline on {@link System#nanoTime()}
     * @return the nanoseconds left until the deadline, more than 0
     * @throws CommunicationException if a rank failed, or if {@code hopeless} says the wait can never complete
     * @throws BlueFogTimeoutException if the deadline passed, naming what is {@code missing}
     */
    long remainingNanosOrThrow(int rank, String what, long deadlineNanos, long timeoutMillis,
            Supplier<String> missing, Supplier<String> hopeless) {
        throwIfFailed(rank, what);
        String never = hopeless.get();
        if (never != null) {
            throw new CommunicationException("rank " + rank + ": " + what + " can never complete: " + never);
        }
        long remaining = deadlineNanos - System.nanoTime();
        if (remaining <= 0) {
            throw new BlueFogTimeoutException("rank " + rank + ": " + what + " timed out after "
                    + timeoutMillis + " ms; " + missing.get());
        }
        return remaining;
    }

    void register(Wakeable c) {
        waiting.add(c);
    }

    void unregister(Wakeable c) {
        waiting.remove(c);
    }
}
