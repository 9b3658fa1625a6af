package io.bluefog;

import io.bluefog.comm.Communicator;
import io.bluefog.comm.ReduceOp;
import io.bluefog.comm.Request;
import java.nio.Buffer;

/**
 * The communicator of a one-rank world (a program started without mpirun): every collective is the
 * identity. Placeholder until the in-JVM transport provides a size-1 cluster.
 */
final class SingleRankCommunicator implements Communicator {
    static final SingleRankCommunicator INSTANCE = new SingleRankCommunicator();

    @Override public int rank() { return 0; }
    @Override public int size() { return 1; }
    @Override public int localRank() { return 0; }
    @Override public int localSize() { return 1; }
    @Override public int machineRank() { return 0; }
    @Override public int machineSize() { return 1; }
    @Override public String hostname() { return "localhost"; }
    @Override public String transportName() { return "single"; }

    @Override
    public Request isend(Buffer buffer, int dest, int tag) {
        throw new IllegalArgumentException("rank 0 of a one-rank world has no peer " + dest);
    }

    @Override
    public Request irecv(Buffer buffer, int source, int tag) {
        throw new IllegalArgumentException("rank 0 of a one-rank world has no peer " + source);
    }

    @Override public void allreduce(Buffer buffer, ReduceOp op) { }
    @Override public void broadcast(Buffer buffer, int root) { }

    @Override
    public void allgather(Buffer send, Buffer recv) {
        throw new UnsupportedOperationException("not yet");
    }

    @Override
    public void allgatherv(Buffer send, Buffer recv, int[] counts) {
        throw new UnsupportedOperationException("not yet");
    }

    @Override public void barrier() { }
    @Override public void abort(int exitCode, Throwable cause) { throw new CommunicationException("aborted", cause); }
    @Override public void close() { }
}
