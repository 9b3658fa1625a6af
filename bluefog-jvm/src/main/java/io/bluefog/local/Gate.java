package io.bluefog.local;

import io.bluefog.BlueFogTimeoutException;
import io.bluefog.CommunicationException;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * A one-shot phase gate of a {@link Rounds} round that the ranks of a world wait on, one waiter
 * per rank: the in-JVM analogue of the release half of a barrier. It replaces a monitor's
 * {@code notifyAll}, under which n woken threads re-acquire one lock one after another, by a
 * wake-up tree: the rank that completes the gate unparks rank 0 and its own two children, and
 * every rank that passes the gate unparks its children 2r + 1 and 2r + 2 (a binary heap over
 * the ranks), so the n wake-ups proceed in parallel on every core and no lock is taken.
 *
 * <p>A waiter publishes its thread before it reads the completion flag and the completer sets the
 * flag before it reads the waiters (both volatile), so a waiter either sees the gate complete or
 * is unparked; an unpark that comes before its park only makes the park return at once.
 *
 * <p>Waiting is bounded by a deadline and released early by a failure of any rank of the world, as
 * {@link Completion}'s waits are: the owner registers the gate with its {@link World} for as long
 * as ranks may wait on it ({@link World#register}), and {@link World#wakeAll()} then unparks every
 * waiting rank.
 */
final class Gate implements World.Wakeable {
    private final AtomicReferenceArray<Thread> waiters;
    private volatile boolean done;

    /** @param ranks the number of ranks that may wait (each with its own index 0 .. ranks - 1) */
    Gate(int ranks) {
        this.waiters = new AtomicReferenceArray<>(ranks);
    }

    /** @return true once {@link #complete(int)} was called */
    boolean isDone() {
        return done;
    }

    /**
     * Opens the gate and starts the wake-up tree.
     *
     * @param rank the completing rank (it does not wait on this gate)
     */
    void complete(int rank) {
        done = true;
        unpark(0);
        unparkChildren(rank);
    }

    /** Unparks every waiting rank, so that it re-checks its wait's conditions (a failure, a timeout). */
    @Override
    public void wake() {
        for (int r = 0; r < waiters.length(); r++) {
            unpark(r);
        }
    }

    /**
     * Unparks up to {@code count} waiting ranks other than {@code except} (lowest ranks first),
     * e.g. to have them help with work before the gate opens; they keep waiting afterwards.
     */
    void unparkWaiters(int count, int except) {
        for (int r = 0; r < waiters.length() && count > 0; r++) {
            Thread t = r == except ? null : waiters.get(r);
            if (t != null) {
                LockSupport.unpark(t);
                count--;
            }
        }
    }

    private void unpark(int r) {
        if (r < waiters.length()) {
            Thread t = waiters.get(r);
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
    }

    private void unparkChildren(int r) {
        unpark(2 * r + 1);
        unpark(2 * r + 2);
    }

    /**
     * Waits until the gate is complete, then passes the wake-up on to this rank's children.
     *
     * @param world         whose failure state applies
     * @param rank          the waiting rank, 0 .. ranks - 1; at most one thread waits per rank
     * @param what          describes the operation, for messages
     * @param timeoutMillis bound on the wait, &gt; 0
     * @param missing       what is still missing when the timeout fires (called then only)
     * @param hopeless      why the gate can never complete, or null while it can; checked before the
     *                      first wait and on every wake-up
     * @throws CommunicationException  if another rank failed or the gate is hopeless
     * @throws BlueFogTimeoutException if the timeout elapsed first
     */
    void await(World world, int rank, String what, long timeoutMillis, Supplier<String> missing,
            Supplier<String> hopeless) {
        if (done) {
            unparkChildren(rank);
            return;
        }
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        waiters.set(rank, Thread.currentThread());
        try {
            while (!done) {
                long remaining = world.remainingNanosOrThrow(rank, what, deadline, timeoutMillis, missing, hopeless);
                LockSupport.parkNanos(this, remaining);
                if (Thread.interrupted()) {
                    Thread.currentThread().interrupt();
                    throw new CommunicationException("rank " + rank + ": interrupted during " + what);
                }
            }
        } finally {
            waiters.set(rank, null);
        }
        unparkChildren(rank);
    }
}
