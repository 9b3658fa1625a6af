package io.bluefog.comm;

import java.nio.Buffer;

/**
 * The transport SPI: what every transport (Open MPI, the in-JVM {@code LocalCluster}) offers to
 * the collectives above it. One instance per rank.
 *
 * <h2>Buffers</h2>
 * Every data argument is a <em>direct</em> {@link java.nio.FloatBuffer} or
 * {@link java.nio.DoubleBuffer} (native byte order, as ND4J's {@code data().asNio()} views). An
 * operation acts on the elements from the buffer's {@code position()} to its {@code limit()} and
 * leaves position and limit unchanged. Heap buffers, other buffer types, buffers not in native byte
 * order, read-only output buffers, or a dtype that differs between the buffers of one call raise
 * {@link IllegalArgumentException} before anything is sent; transports use {@link DType#of} and
 * {@link DType#ofWritable} so the messages agree. Ranks, roots and tags out of range, and
 * {@code allgather}/{@code allgatherv} element counts that do not fit, raise
 * {@link IllegalArgumentException} too. The contract tests in {@code io.bluefog.testing.CommunicatorContract}
 * (bluefog-jvm test-jar) check all of this for every transport.
 *
 * <h2>Collective contract</h2>
 * Collective methods ({@link #allreduce}, {@link #broadcast}, {@link #allgather},
 * {@link #allgatherv}, {@link #barrier}) must be called by every rank, in the same order, with the
 * same element count and dtype (except {@code allgatherv}, whose counts are per rank). The MPI
 * transport does not check this (the collectives module does, before it moves data); the in-JVM
 * transport raises {@link io.bluefog.CollectiveMismatchException} on every rank. Collective
 * methods may be called from one thread per rank at a time; point-to-point methods from any
 * thread.
 *
 * <h2>Errors</h2>
 * {@link io.bluefog.CommunicationException} when the transport fails (including when another rank
 * aborted the job), {@link io.bluefog.BlueFogTimeoutException} when a transport with a timeout
 * gives up waiting.
 */
public interface Communicator extends AutoCloseable {

    /** @return this process's rank, 0 &le; rank &lt; size */
    int rank();

    /** @return the number of ranks in the job */
    int size();

    /** @return the rank's index among the ranks on the same machine */
    int localRank();

    /** @return the number of ranks on this rank's machine */
    int localSize();

    /** @return the index of this rank's machine, machines numbered in order of their lowest rank */
    int machineRank();

    /** @return the number of machines in the job */
    int machineSize();

    /** @return the name of the host this rank runs on */
    String hostname();

    /** @return the transport's name, e.g. {@code "mpi"} or {@code "local"} */
    String transportName();

    /**
     * Starts sending {@code buffer}'s elements to rank {@code dest} with message tag {@code tag}
     * (0 &le; tag &le; {@link #maxTag()}). Messages between one pair of ranks with the same tag
     * arrive in the order they were sent.
     */
    Request isend(Buffer buffer, int dest, int tag);

    /**
     * Starts receiving a message from rank {@code source} with tag {@code tag} into
     * {@code buffer}; the message must have exactly {@code buffer.remaining()} elements of the
     * buffer's dtype, otherwise the request fails with {@link io.bluefog.CommunicationException}.
     */
    Request irecv(Buffer buffer, int source, int tag);

    /** @return the largest tag {@link #isend} and {@link #irecv} accept (at least 32767, as MPI guarantees) */
    default int maxTag() {
        return 32767;
    }

    /** In-place element-wise reduction over all ranks; afterwards every rank holds the result. */
    void allreduce(Buffer buffer, ReduceOp op);

    /** Copies {@code root}'s buffer into every other rank's buffer (same element count everywhere). */
    void broadcast(Buffer buffer, int root);

    /**
     * Gathers {@code send} (n elements on every rank) from all ranks into {@code recv}
     * ({@code size() * n} elements), in rank order.
     */
    void allgather(Buffer send, Buffer recv);

    /**
     * Gathers {@code send} ({@code counts[rank]} elements) from all ranks into {@code recv}
     * ({@code sum(counts)} elements), concatenated in rank order. {@code counts} must be the same
     * array (length {@code size()}) on every rank.
     */
    void allgatherv(Buffer send, Buffer recv, int[] counts);

    /** Returns once every rank has entered the barrier. */
    void barrier();

    /**
     * Ends the whole job after an unrecoverable error on this rank, so that no other rank is left
     * waiting for it (MPI_Abort for the MPI transport). Does not return normally on MPI.
     */
    void abort(int exitCode, Throwable cause);

    /** Releases the transport; collective on all ranks. Idempotent. */
    @Override
    void close();
}
