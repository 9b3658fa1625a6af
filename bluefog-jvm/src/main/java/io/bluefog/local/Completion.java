package io.bluefog.local;

import io.bluefog.BlueFogTimeoutException;
import io.bluefog.CommunicationException;
import java.util.function.Supplier;

/**
 * A one-shot event a rank thread can wait for (a matched message, all ranks arriving at a
 * collective). Waiting is bounded by the world's timeout and released early when any rank of the
 * world fails, so no rank thread ever blocks forever.
 */
final class Completion implements World.Wakeable {
    private boolean done;
    private CommunicationException error;

    synchronized void complete() {
        done = true;
        notifyAll();
    }

    synchronized void fail(CommunicationException e) {
        if (!done) {
            error = e;
            done = true;
            notifyAll();
        }
    }

    synchronized boolean isDone() {
        return done;
    }

    /** @return the failure this completion ended with, or null; only meaningful once done */
    synchronized CommunicationException error() {
        return error;
    }

    /** Wakes waiters so they re-check the world's failure state. */
    @Override
    public synchronized void wake() {
        notifyAll();
    }

    /**
     * Waits until this completion is done.
     *
     * @param world       whose failure state and timeout apply
     * @param rank        the waiting rank (for messages)
     * @param what        describes the operation, e.g. {@code "irecv from rank 1 tag 3"}
     * @param missing     describes what is still missing when the timeout fires (called then only)
     * @param hopeless    returns why the completion can never happen (a peer it needs has finished),
     *                    or null while it still can; checked on every wake-up
     * @throws CommunicationException  if another rank failed, this completion failed, or it is hopeless
     * @throws BlueFogTimeoutException if the world's timeout elapsed first
     */
    void await(World world, int rank, String what, Supplier<String> missing, Supplier<String> hopeless) {
        await(world, rank, what, world.timeoutMillis(), missing, hopeless);
    }

    /** {@link #await(World, int, String, Supplier, Supplier)} with its own timeout, in milliseconds. */
    void await(World world, int rank, String what, long timeoutMillis, Supplier<String> missing,
            Supplier<String> hopeless) {
        long timeoutNanos = timeoutMillis * 1_000_000L;
        long deadline = System.nanoTime() + timeoutNanos;
        world.register(this);
        try {
            synchronized (this) {
                while (!done) {
                    long remaining = world.remainingNanosOrThrow(rank, what, deadline, timeoutMillis, missing, hopeless);
                    try {
                        // wait(ms, ns) would round; wait in whole milliseconds, at least one.
                        wait(Math.max(1L, remaining / 1_000_000L));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new CommunicationException("rank " + rank + ": interrupted during " + what, e);
                    }
                }
                if (error != null) {
                    // A fresh exception so the stack trace shows this rank's call site; the cause is
                    // the one recorded where the failure was detected (possibly another rank's thread).
                    throw new CommunicationException(error.getMessage(), error);
                }
            }
        } finally {
            world.unregister(this);
        }
    }
}
