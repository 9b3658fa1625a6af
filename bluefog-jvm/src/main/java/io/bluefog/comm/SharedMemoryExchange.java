package io.bluefog.comm;

import java.util.List;
import java.util.function.IntSupplier;
import java.util.function.Function;

/**
 * Optional capability of a transport whose ranks share one address space (the in-JVM
 * {@code LocalCluster}, transport name {@code "local"}): a collective step in which every rank
 * publishes an object (typically its buffers) and then reads the other ranks' objects directly,
 * without a copy or a message. A round of n ranks costs one phase barrier to publish and one to
 * release, instead of a send, a receive and a thread wake-up per message; with a {@link RoundWork}
 * (the work of every rank done before anyone is released) only the first.
 *
 * <p>The collectives engine uses it, when the communicator implements it, for neighborAllreduce
 * once every rank has agreed on the call: each rank publishes its (destination-weighted) payloads
 * and combines its sources' payloads in place of receiving copies. The MPI transport does not
 * implement it, so its semantics are unchanged.
 *
 * <p>Contract: {@link #share} is a collective call: every rank of the job calls it, in the same
 * order relative to the communicator's other collective methods ({@link Communicator#allreduce}
 * and so on), from one thread per rank at a time. A rank whose other collective call meets a
 * {@code share} fails with {@link io.bluefog.CollectiveMismatchException} on every rank, as for
 * any disagreeing collective call of this transport.
 */
public interface SharedMemoryExchange {
    /**
     * Publishes {@code mine} and waits until every rank of the job has published its object.
     * Every rank must then call {@link Shared#release()} or {@link Shared#leave()} exactly once (also on
     * error paths).
     *
     * @param mine      this rank's object (not null); it and everything it refers to must stay
     *                  unchanged until {@link Shared#release()} returns on this rank
     * @param what      names the step for messages, e.g. {@code "neighborAllreduce"}
     * @param timeoutMillis bound on this wait and on the wait of {@link Shared#release()}, &gt; 0
     *                  (the caller's own timeout, which may be shorter than the transport's)
     * @param check     run whenever the wait wakes up (after {@link #wakeWaiters()} among others);
     *                  an exception it throws ends the wait and is thrown from here (the caller's way
     *                  to notice failures announced outside this transport's knowledge)
     * @param absent    the end of the timeout message, given the ranks that have not called, e.g.
     *                  {@code "ranks [2] did not call"}
     * @return the round, from which every rank's object can be read until {@link Shared#release()}
     * @throws io.bluefog.CollectiveMismatchException if another rank made a different collective call
     * @throws io.bluefog.BlueFogTimeoutException     if some rank did not call within the transport's
     *                                                timeout (the message names the absent ranks)
     * @throws io.bluefog.CommunicationException      if another rank failed meanwhile
     */
    Shared share(Object mine, String what, long timeoutMillis, Runnable check, Function<List<Integer>, String> absent);

    /**
     * {@link #share(Object, String, long, Runnable, Function)} in which the work of the whole round
     * is done before any rank is released: the last rank to arrive runs {@code work.prepare} on
     * every rank's object (index = rank), once, while every other rank waits; then up to one
     * thread per core (the last rank's and waiting ranks' threads) run {@code work.work}, sharing
     * its parts; then every rank is released (like a {@code CyclicBarrier}'s action, spread over
     * the cores). One phase barrier per round: since nobody reads a published object after the
     * work, each rank ends the round with {@link Shared#leave()} and may change its object at once.
     *
     * @param work what to run once every rank has published; every rank passes an equivalent one
     *             (the first one passed is run). It runs on other ranks' threads, so it must not use
     *             thread-confined state except through the objects published. Not run if the
     *             ranks' calls do not match (the mismatch is raised as by {@link #share}).
     * @throws io.bluefog.CommunicationException on every rank if the work threw (its cause),
     *                                           besides what {@link #share} throws
     */
    Shared share(Object mine, String what, long timeoutMillis, Runnable check, Function<List<Integer>, String> absent,
            RoundWork work);

    /** The work of a {@link #share(Object, String, long, Runnable, Function, RoundWork)} round. */
    interface RoundWork {
        /**
         * Run once, by one thread, when every rank has published.
         *
         * @param all every rank's published object, indexed by rank
         * @return the number of independent parts of the work, &gt;= 0
         */
        int prepare(Object[] all);

        /**
         * Run by each worker thread (up to one per core, concurrently), after {@link #prepare}.
         *
         * @param next gives the index of the next part this worker runs (each part to exactly one
         *             worker), or -1 once none is left; calling it again marks the previous part done
         */
        void work(IntSupplier next);
    }

    /** Wakes every rank waiting in {@link #share} or {@link Shared#release()}, so that it runs its check. */
    void wakeWaiters();

    /**
     * The number of {@link #wakeWaiters()} calls of the whole job so far, or -1 if not counted. A
     * caller that announces something to the waiters (e.g. by messages) and then calls
     * {@link #wakeWaiters()} lets a check that found nothing after reading the value v skip its
     * next poll while the value is still v: whatever was announced before the count moved past v
     * was visible to that poll. Makes a check that polls n peers cost O(1) in the common case.
     *
     * @return a count that only grows, or -1 (the default) when the transport does not count
     */
    default long wakeups() {
        return -1;
    }

    /** One {@link #share} round as seen by one rank. */
    interface Shared {
        /**
         * @param rank 0 .. size - 1
         * @return the object {@code rank} published in this round
         */
        Object of(int rank);

        /**
         * Waits until every rank has released the round: afterwards no rank reads this rank's
         * object any more, so its buffers may be written or reused.
         *
         * @throws io.bluefog.BlueFogTimeoutException if some rank does not release within the timeout
         * @throws io.bluefog.CommunicationException  if another rank failed meanwhile
         * @throws RuntimeException                   what {@code check} of {@link #share} threw (run on
         *                                            every wake-up, and once at the end when a rank
         *                                            called {@link #flagFailure()})
         */
        void release();

        /**
         * Marks the round as failed by this rank; call it before {@link #release()}, after making
         * the failure known to the other ranks. Every rank's {@link #release()} then runs the
         * {@code check} of {@link #share} once more after the round completed, so that it learns
         * of the failure without the cost of checking after every round.
         */
        void flagFailure();

        /**
         * Ends this rank's part of the round without waiting for the others; call it instead of
         * {@link #release()} only when this rank's object is never changed afterwards (e.g. a fresh
         * copy), since other ranks may still read it.
         */
        void leave();
    }
}
