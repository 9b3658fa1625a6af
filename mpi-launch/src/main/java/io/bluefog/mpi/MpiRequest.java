package io.bluefog.mpi;

import io.bluefog.CommunicationException;
import io.bluefog.comm.Request;
import java.nio.Buffer;
import mpi.MPIException;
import mpi.Status;

/**
 * A nonblocking MPI send or receive. Keeps the buffer reachable until completion (MPI writes into or
 * reads from its native memory meanwhile) and, for receives, records the message's length
 * (MPI_Get_count) and checks that it filled the buffer exactly ({@code irecv}) or, for
 * {@link MpiCommunicator#irecvUpTo}, accepts any length that fits (MPI itself fails a longer one).
 */
final class MpiRequest implements Request {
    private final mpi.Request request;
    // What the request is, for error messages only (built when one is needed: requests are per message).
    private final int rank;
    private final int peer;
    private final int tag;
    /** {@code expectedCount} of a send. */
    static final int SEND = -1;
    /** {@code expectedCount} of a receive that accepts any length up to its buffer's. */
    static final int UP_TO = -2;
    /** Elements a receive must deliver; {@link #SEND}, or {@link #UP_TO}. */
    private final int expectedCount;
    /** Elements the completed receive delivered. */
    private int received = -1;
    private Buffer buffer;
    private boolean done;
    private CommunicationException failure;

    /**
     * @param rank          the calling rank
     * @param peer          the destination of a send, the source of a receive
     * @param expectedCount elements a receive must deliver; {@link #SEND} for a send; {@link #UP_TO}
     *                      for a receive of any length up to the buffer's
     */
    MpiRequest(mpi.Request request, Buffer buffer, int rank, int peer, int tag, int expectedCount) {
        this.request = request;
        this.buffer = buffer;
        this.rank = rank;
        this.peer = peer;
        this.tag = tag;
        this.expectedCount = expectedCount;
    }

    /** @return the destination of a send, the source of a receive */
    int peer() {
        return peer;
    }

    /** @return e.g. "rank 0: isend to 1 (tag 4)" */
    static String describe(int rank, boolean send, int peer, int tag) {
        return "rank " + rank + ": " + (send ? "isend to " : "irecv from ") + peer + " (tag " + tag + ")";
    }

    private String what() {
        return describe(rank, expectedCount == SEND, peer, tag);
    }

    /** @return e.g. "rank 0: irecv from 1 (tag 1)" */
    @Override
    public String toString() {
        return what();
    }

    @Override
    public synchronized boolean test() {
        if (done) {
            rethrow();
            return true;
        }
        try {
            if (expectedCount == SEND) {
                // A send has no count to check: MPI_Test without a status object (one allocation
                // and one JNI call fewer per message).
                if (!request.test()) {
                    return false;
                }
                done = true;
                buffer = null;
                return true;
            }
            Status status = request.testStatus();
            if (status == null) {
                return false;
            }
            complete(status);
        } catch (MPIException e) {
            fail(e);
        }
        rethrow();
        return true;
    }

    @Override
    public synchronized void waitFor() {
        if (!done) {
            try {
                complete(request.waitStatus());
            } catch (MPIException e) {
                fail(e);
            }
        }
        rethrow();
    }

    private void complete(Status status) throws MPIException {
        done = true;
        if (expectedCount != SEND) {
            int got = status.getCount(MpiBuffers.datatype(buffer));
            received = got;
            if (expectedCount != UP_TO && got != expectedCount) {
                failure = new CommunicationException(
                        what() + ": received " + got + " elements but the buffer expects " + expectedCount);
            }
        }
        buffer = null;
    }

    @Override
    public synchronized int receivedElements() {
        if (expectedCount == SEND) {
            throw new IllegalStateException(what() + " is a send");
        }
        if (!done || failure != null) {
            throw new IllegalStateException(what() + (done ? " failed" : " is not complete"));
        }
        return received;
    }

    private void fail(MPIException e) {
        done = true;
        buffer = null;
        failure = MpiCommunicator.wrap(what(), e);
    }

    private void rethrow() {
        if (failure != null) {
            throw failure;
        }
    }
}
