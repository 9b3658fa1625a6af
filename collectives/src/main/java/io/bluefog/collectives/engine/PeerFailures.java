package io.bluefog.collectives.engine;

import io.bluefog.CommunicationException;
import io.bluefog.comm.Communicator;
import io.bluefog.comm.Request;
import java.nio.DoubleBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Failure notices between the engines of one job. When an operation fails on one rank for a reason
 * the other ranks cannot see (an exception inside the operation on that rank alone), that rank's
 * engine breaks and it sends a notice with the cause to every other rank; every rank keeps one
 * receive per peer posted for such a notice, and every wait of the engine ({@link Waits}) polls
 * them, so a peer waiting for the failed rank's data or header fails at once with
 * {@link PeerFailureException} naming the rank and its cause, instead of timing out.
 *
 * <p>One instance per communicator for the life of the job (its receives stay posted with buffers
 * that stay reachable, also across {@code Collectives} instances that are closed and reopened).
 */
final class PeerFailures {
    /** Doubles of one notice: the failing rank, the text length, then one char per double. */
    static final int LENGTH = 512;
    private static final int MAX_CHARS = LENGTH - 2;
    private static final Map<Communicator, PeerFailures> BY_COMMUNICATOR = new WeakHashMap<>();

    private final int rank;
    private final int size;
    private final DoubleBuffer inbox;
    private final DoubleBuffer outbox = Coordinator.direct(LENGTH);
    private final Request[] posted;
    private final List<Request> sent = new ArrayList<>();
    private volatile PeerFailureException failure;
    private boolean announced;
    /**
     * On a shared-memory transport that counts its wake-ups (announce wakes the waiters after
     * sending): the count read before the last poll that found nothing, so that a check repeated
     * before anyone announced anything costs O(1) instead of a test of every peer's receive.
     */
    private final io.bluefog.comm.SharedMemoryExchange shm;
    private long polledAt = -1;

    private PeerFailures(Communicator comm) {
        this.rank = comm.rank();
        this.size = comm.size();
        this.inbox = Coordinator.direct(LENGTH * size);
        this.posted = new Request[size];
        this.shm = comm instanceof io.bluefog.comm.SharedMemoryExchange x && x.wakeups() >= 0 ? x : null;
        for (int r = 0; r < size; r++) {
            if (r != rank) {
                posted[r] = comm.irecv(slot(r), r, ExecutionContext.TAG_FAILURE);
            }
        }
    }

    /** @return the notices of {@code comm}'s rank, posting its receives on first use */
    static PeerFailures of(Communicator comm) {
        synchronized (BY_COMMUNICATOR) {
            return BY_COMMUNICATOR.computeIfAbsent(comm, PeerFailures::new);
        }
    }

    private DoubleBuffer slot(int r) {
        return inbox.duplicate().position(r * LENGTH).limit((r + 1) * LENGTH).slice();
    }

    /**
     * Throws if another rank has announced a failure (polls the posted receives; cheap).
     *
     * @throws PeerFailureException naming the failed rank and its cause
     */
    synchronized void check() {
        PeerFailureException f = failure;
        long wakeups = shm != null ? shm.wakeups() : -1;
        if (f == null && (wakeups < 0 || wakeups != polledAt)) {
            for (int r = 0; r < size && f == null; r++) {
                if (posted[r] != null && posted[r].test()) {
                    posted[r] = null;
                    f = decode(r);
                }
            }
            failure = f;
            polledAt = wakeups; // every announcement counted up to here was visible to this poll
        }
        if (f != null) {
            throw new PeerFailureException("rank " + rank + ": " + f.getMessage(), f.failedRank());
        }
    }

    /**
     * @return what {@link #check()} on {@code rank} throws once {@code failedRank} announced
     *         {@code cause} (the same text), for a transport where the rank learns of it directly
     *         (a shared-memory round whose work failed for {@code failedRank})
     */
    static PeerFailureException failureOf(int rank, int failedRank, Throwable cause) {
        String text = String.valueOf(cause);
        if (text.length() > MAX_CHARS) {
            text = text.substring(0, MAX_CHARS - 3) + "...";
        }
        return new PeerFailureException("rank " + rank + ": rank " + failedRank
                + " failed and its collectives cannot continue: " + text, failedRank);
    }

    private PeerFailureException decode(int r) {
        int o = r * LENGTH;
        int failed = (int) inbox.get(o);
        int len = (int) inbox.get(o + 1);
        StringBuilder sb = new StringBuilder(len);
        for (int k = 0; k < len; k++) {
            sb.append((char) inbox.get(o + 2 + k));
        }
        return new PeerFailureException("rank " + failed + " failed and its collectives cannot continue: " + sb,
                failed);
    }

    /**
     * Tells every other rank that this rank's engine failed with {@code cause} (once; the sends are
     * small and complete without their receives being waited for).
     */
    synchronized void announce(Communicator comm, Throwable cause) {
        if (announced || cause instanceof PeerFailureException) {
            return;
        }
        announced = true;
        String text = String.valueOf(cause);
        if (text.length() > MAX_CHARS) {
            text = text.substring(0, MAX_CHARS - 3) + "...";
        }
        outbox.clear();
        outbox.put(0, rank).put(1, text.length());
        for (int k = 0; k < text.length(); k++) {
            outbox.put(2 + k, text.charAt(k));
        }
        for (int r = 0; r < size; r++) {
            if (r != rank) {
                try {
                    sent.add(comm.isend(outbox, r, ExecutionContext.TAG_FAILURE));
                } catch (RuntimeException e) {
                    cause.addSuppressed(e); // the transport is failing too; the peers learn it from it
                }
            }
        }
        if (comm instanceof io.bluefog.comm.SharedMemoryExchange shm) {
            shm.wakeWaiters(); // ranks blocked in a shared round poll check() only when woken
        }
    }

    /** A peer's engine failed; this rank cannot continue either. */
    static final class PeerFailureException extends CommunicationException {
        private static final long serialVersionUID = 1L;
        private final int failedRank;

        PeerFailureException(String message, int failedRank) {
            super(message);
            this.failedRank = failedRank;
        }

        /** @return the rank whose failure was announced */
        int failedRank() {
            return failedRank;
        }
    }
}
