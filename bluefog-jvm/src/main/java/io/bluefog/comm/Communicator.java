package io.bluefog.comm;

import java.nio.Buffer;

/**
 * The transport SPI: what every transport (Open MPI, the in-JVM {@code LocalCluster}) offers to
 * the collectives above it. One instance per rank.
 *
 * <h2>Buffers</h2>
 * Every data argument is a <em>direct</em> {@link java.nio.FloatBuffer} (float32),
 * {@link java.nio.DoubleBuffer} (float64), {@link java.nio.ShortBuffer} (float16 bit patterns,
 * {@link Float16}), {@link java.nio.IntBuffer} (int32) or {@link java.nio.LongBuffer} (int64), in
 * native byte order, as ND4J's {@code data().asNio()} views; {@link DType} says how each dtype is
 * reduced. An
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
     * Starts sending {@code buffer}'s elements (position..limit) to rank {@code dest} with message
     * tag {@code tag}. Point to point: only this rank and {@code dest} take part; {@code dest} must
     * post a matching {@link #irecv} with the same element count and dtype. Messages between one
     * pair of ranks with the same tag arrive in the order they were sent (MPI's non-overtaking rule);
     * sending to oneself is allowed. The buffer must not be modified until the request completes;
     * small messages may complete before the receive is posted, large ones only once it is (post
     * receives before waiting on sends).
     *
     * @param buffer direct native-order data buffer; read only
     * @param dest   receiving rank, 0 &le; dest &lt; {@link #size()}
     * @param tag    0 &le; tag &le; {@link #maxTag()}
     * @return the request; {@link Request#waitFor()} returns once the buffer may be reused
     * @throws IllegalArgumentException if the buffer, {@code dest} or {@code tag} is invalid
     */
    Request isend(Buffer buffer, int dest, int tag);

    /**
     * Starts receiving the next message from rank {@code source} with tag {@code tag} into
     * {@code buffer}'s elements (position..limit); the message must have exactly
     * {@code buffer.remaining()} elements of the buffer's dtype, otherwise the request fails with
     * {@link io.bluefog.CommunicationException} when waited for.
     *
     * @param buffer direct native-order, writable data buffer
     * @param source sending rank, 0 &le; source &lt; {@link #size()}
     * @param tag    0 &le; tag &le; {@link #maxTag()}
     * @return the request; the buffer holds the message once {@link Request#waitFor()} returned
     * @throws IllegalArgumentException if the buffer, {@code source} or {@code tag} is invalid
     */
    Request irecv(Buffer buffer, int source, int tag);

    /**
     * Starts receiving the next message from rank {@code source} with tag {@code tag}, as
     * {@link #irecv}, but accepts a message of any length up to {@code buffer.remaining()} elements
     * of the buffer's dtype (MPI's own receive rule; the length is MPI_Get_count of the receive's
     * status). The message fills the buffer from its position; elements past its length are left
     * as they were. A longer message fails the request with {@link io.bluefog.CommunicationException}
     * when waited for (MPI's truncation error), and is consumed. Lets a rank receive, in one message,
     * a header followed by data whose presence only the sender knows.
     *
     * <p>Optional: a transport that offers it says so with {@link #offersIrecvUpTo()}; the default
     * throws {@link UnsupportedOperationException}.
     *
     * @param buffer direct native-order, writable data buffer: room for the longest message
     * @param source sending rank, 0 &le; source &lt; {@link #size()}
     * @param tag    0 &le; tag &le; {@link #maxTag()}
     * @return the request; once complete, {@link Request#receivedElements()} is the message's length
     * @throws IllegalArgumentException if the buffer, {@code source} or {@code tag} is invalid
     * @throws UnsupportedOperationException if the transport does not offer it
     */
    default Request irecvUpTo(Buffer buffer, int source, int tag) {
        throw new UnsupportedOperationException(transportName() + " transport does not offer irecvUpTo");
    }

    /** @return true if {@link #irecvUpTo} is implemented (the default: false) */
    default boolean offersIrecvUpTo() {
        return false;
    }

    /**
     * @return the longest message, in bytes of payload, that this transport delivers eagerly: in
     *         one step, without a rendezvous handshake or a copy system call on the receiver. A
     *         sender may split a somewhat longer message into pieces of at most this length when
     *         that is faster (the collectives engine does so for small calls). The default,
     *         {@link Integer#MAX_VALUE}, says no such limit is known or worth splitting for.
     */
    default int eagerMessageBytes() {
        return Integer.MAX_VALUE;
    }

    /** @return the largest tag {@link #isend} and {@link #irecv} accept (at least 32767, as MPI guarantees) */
    default int maxTag() {
        return 32767;
    }

    /**
     * In-place element-wise reduction over all ranks (MPI_Allreduce); afterwards every rank holds
     * the result in {@code buffer}. Collective: every rank calls it with the same op, dtype and
     * element count.
     *
     * @param buffer direct native-order, writable data buffer; input and output
     * @param op     SUM, AVG (sum / size), MIN or MAX
     * @throws IllegalArgumentException if the buffer is invalid or {@code op} is null
     */
    void allreduce(Buffer buffer, ReduceOp op);

    /**
     * Copies {@code root}'s elements into every other rank's buffer (MPI_Bcast). Collective: every
     * rank calls it with the same root, dtype and element count.
     *
     * @param buffer on the root: the data (read only); elsewhere: a writable buffer receiving it
     * @param root   the sending rank, 0 &le; root &lt; {@link #size()}
     * @throws IllegalArgumentException if the buffer or {@code root} is invalid
     */
    void broadcast(Buffer buffer, int root);

    /**
     * Gathers {@code send} (m elements on every rank) from all ranks into {@code recv}
     * ({@code size() * m} elements), in rank order (MPI_Allgather). Collective: every rank calls it
     * with the same m and dtype.
     *
     * @param send this rank's piece; read only
     * @param recv writable, same dtype as {@code send}, exactly {@code size() * send.remaining()} elements
     * @throws IllegalArgumentException if a buffer is invalid, the dtypes differ or {@code recv} has
     *                                  the wrong element count
     */
    void allgather(Buffer send, Buffer recv);

    /**
     * Gathers {@code send} ({@code counts[rank]} elements) from all ranks into {@code recv}
     * ({@code sum(counts)} elements), concatenated in rank order (MPI_Allgatherv). Collective:
     * every rank passes equal {@code counts} (length {@code size()}) and the same dtype.
     *
     * @param send   this rank's piece, exactly {@code counts[rank()]} elements; read only
     * @param recv   writable, same dtype, exactly {@code sum(counts)} elements
     * @param counts elements contributed by each rank, all &ge; 0 (zero-length pieces are allowed)
     * @throws IllegalArgumentException if a buffer is invalid, the dtypes differ, {@code counts} is
     *                                  null, of the wrong length or negative, or an element count
     *                                  does not fit
     */
    void allgatherv(Buffer send, Buffer recv, int[] counts);

    /** Returns once every rank has entered the barrier (MPI_Barrier). Collective. */
    void barrier();

    /**
     * Ends the whole job after an unrecoverable error on this rank, so that no other rank is left
     * waiting for it (MPI_Abort for the MPI transport, which does not return). The in-JVM transport
     * releases the other ranks with {@link io.bluefog.CommunicationException} and throws one here.
     *
     * @param exitCode the job's exit status (MPI)
     * @param cause    the error, reported as the job's failure; may be null
     */
    void abort(int exitCode, Throwable cause);

    /**
     * Ends this rank's use of the transport; later calls throw {@link io.bluefog.CommunicationException}.
     * Idempotent, local to this rank, and never blocks on other ranks. The MPI transport only marks
     * itself closed here: {@code MPI_Finalize}, which is collective, runs in a JVM shutdown hook when
     * the process exits, and only if the communicator was closed and the job was not aborted (see
     * {@code io.bluefog.mpi.MpiCommunicator}); every rank must therefore close it before exiting. The
     * in-JVM transport also only marks itself closed; its peers learn that a rank is gone when the
     * rank's task in {@code LocalCluster} returns.
     */
    @Override
    void close();
}
