package io.bluefog.local;

import io.bluefog.CommunicationException;
import io.bluefog.comm.Communicator;
import io.bluefog.comm.DType;
import io.bluefog.comm.ReduceOp;
import io.bluefog.comm.Request;
import io.bluefog.comm.SharedMemoryExchange;
import java.nio.Buffer;
import java.util.List;
import java.util.function.Function;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One rank's {@link Communicator} of a {@link LocalCluster}: the in-JVM transport (transport name
 * {@code "local"}). Data moves by bulk copies between the ranks' direct buffers; collectives meet
 * in {@link Rounds}, messages in {@link Mailboxes}.
 *
 * <p>Beyond the SPI's contract this transport checks, on every rank, that the ranks' collective
 * calls agree (kind, op, dtype, count, root, counts) and raises
 * {@link io.bluefog.CollectiveMismatchException} otherwise; every blocking wait ends after the
 * cluster's timeout with {@link io.bluefog.BlueFogTimeoutException}, or as soon as another rank
 * fails with {@link CommunicationException} naming that rank.
 */
final class LocalCommunicator implements Communicator, SharedMemoryExchange {
    private final World world;
    private final int rank;
    /**
     * Number of this rank's collective calls so far. Atomic so that a rank may hand its collectives
     * from one thread to another (never two at once, per the SPI contract).
     */
    private final AtomicLong collectiveSeq = new AtomicLong();
    private volatile boolean closed;

    LocalCommunicator(World world, int rank) {
        this.world = world;
        this.rank = rank;
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return world.size();
    }

    @Override
    public int localRank() {
        return rank % world.ranksPerMachine();
    }

    @Override
    public int localSize() {
        int first = machineRank() * world.ranksPerMachine();
        return Math.min(world.ranksPerMachine(), world.size() - first);
    }

    @Override
    public int machineRank() {
        return rank / world.ranksPerMachine();
    }

    @Override
    public int machineSize() {
        return (world.size() + world.ranksPerMachine() - 1) / world.ranksPerMachine();
    }

    /** @return {@code "localhost"} when all ranks share one simulated machine, else {@code "local-machine-<k>"} */
    @Override
    public String hostname() {
        return machineSize() == 1 ? "localhost" : "local-machine-" + machineRank();
    }

    @Override
    public String transportName() {
        return "local";
    }

    @Override
    public Request isend(Buffer buffer, int dest, int tag) {
        DType dtype = DType.of(buffer, "buffer");
        checkRank(dest, "dest");
        checkTag(tag);
        checkUsable("isend to rank " + dest + " tag " + tag);
        return world.mailboxes.send(rank, dest, tag, slice(buffer), dtype);
    }

    @Override
    public Request irecv(Buffer buffer, int source, int tag) {
        return receive(buffer, source, tag, false);
    }

    @Override
    public Request irecvUpTo(Buffer buffer, int source, int tag) {
        return receive(buffer, source, tag, true);
    }

    /** Posts a receive; {@code upTo}: a shorter message is accepted, else it must fill the buffer. */
    private Request receive(Buffer buffer, int source, int tag, boolean upTo) {
        DType dtype = DType.ofWritable(buffer, "buffer");
        checkRank(source, "source");
        checkTag(tag);
        checkUsable("irecv from rank " + source + " tag " + tag);
        return world.mailboxes.receive(source, rank, tag, slice(buffer), dtype, upTo);
    }

    @Override
    public boolean offersIrecvUpTo() {
        return true;
    }

    @Override
    public void allreduce(Buffer buffer, ReduceOp op) {
        if (op == null) {
            throw new IllegalArgumentException("op must not be null");
        }
        DType dtype = DType.ofWritable(buffer, "buffer");
        checkUsable("allreduce");
        Buffer mine = slice(buffer);
        int count = mine.remaining();
        Rounds.Call call = new Rounds.Call(Rounds.Kind.ALLREDUCE, op, dtype, count, -1, null, mine, null);
        Rounds.Round round = world.rounds.arrive(collectiveSeq.getAndIncrement(), rank, call);
        if (Rounds.reducedByLast(call)) {
            world.rounds.leave(round); // the last rank to arrive reduced every buffer before opening the gate
            return;
        }
        // Each rank reduces its own contiguous share of the elements across all ranks' buffers.
        int n = world.size();
        int from = (int) ((long) count * rank / n);
        int to = (int) ((long) count * (rank + 1) / n);
        Buffer[] all = new Buffer[n];
        for (int r = 0; r < n; r++) {
            all[r] = round.calls[r].data();
        }
        Reductions.reduce(all, dtype, op, from, to);
        world.rounds.depart(round, rank);
    }

    @Override
    public void broadcast(Buffer buffer, int root) {
        checkRank(root, "root");
        DType dtype = rank == root ? DType.of(buffer, "buffer") : DType.ofWritable(buffer, "buffer");
        checkUsable("broadcast from root " + root);
        Buffer mine = slice(buffer);
        Rounds.Round round = world.rounds.arrive(collectiveSeq.getAndIncrement(), rank,
                new Rounds.Call(Rounds.Kind.BROADCAST, null, dtype, mine.remaining(), root, null, mine, null));
        if (rank != root) {
            Mailboxes.copy(mine, round.calls[root].data(), dtype);
        }
        world.rounds.depart(round, rank);
    }

    @Override
    public void allgather(Buffer send, Buffer recv) {
        DType sendType = DType.of(send, "send");
        DType recvType = DType.ofWritable(recv, "recv");
        DType.requireSame(sendType, "send", recvType, "recv");
        long needed = (long) send.remaining() * world.size();
        if (recv.remaining() != needed) {
            throw new IllegalArgumentException("recv has " + recv.remaining() + " elements but allgather of "
                    + send.remaining() + " elements from " + world.size() + " ranks needs " + needed);
        }
        checkUsable("allgather");
        Buffer mine = slice(send);
        Buffer out = slice(recv);
        Rounds.Round round = world.rounds.arrive(collectiveSeq.getAndIncrement(), rank,
                new Rounds.Call(Rounds.Kind.ALLGATHER, null, sendType, mine.remaining(), -1, null, mine, out));
        int m = mine.remaining();
        for (int r = 0; r < world.size(); r++) {
            Mailboxes.copy(out.slice(r * m, m), round.calls[r].data(), sendType);
        }
        world.rounds.depart(round, rank);
    }

    @Override
    public void allgatherv(Buffer send, Buffer recv, int[] counts) {
        DType sendType = DType.of(send, "send");
        DType recvType = DType.ofWritable(recv, "recv");
        DType.requireSame(sendType, "send", recvType, "recv");
        long total = checkCounts(counts);
        if (send.remaining() != counts[rank]) {
            throw new IllegalArgumentException("send has " + send.remaining() + " elements but counts[" + rank
                    + "] = " + counts[rank]);
        }
        if (recv.remaining() != total) {
            throw new IllegalArgumentException("recv has " + recv.remaining() + " elements but sum(counts) = " + total);
        }
        checkUsable("allgatherv");
        Buffer mine = slice(send);
        Buffer out = slice(recv);
        Rounds.Round round = world.rounds.arrive(collectiveSeq.getAndIncrement(), rank, new Rounds.Call(Rounds.Kind.ALLGATHERV,
                null, sendType, mine.remaining(), -1, counts.clone(), mine, out));
        int offset = 0;
        for (int r = 0; r < world.size(); r++) {
            Mailboxes.copy(out.slice(offset, counts[r]), round.calls[r].data(), sendType);
            offset += counts[r];
        }
        world.rounds.depart(round, rank);
    }

    @Override
    public void barrier() {
        checkUsable("barrier");
        Rounds.Round round = world.rounds.arrive(collectiveSeq.getAndIncrement(), rank,
                new Rounds.Call(Rounds.Kind.BARRIER, null, null, 0, -1, null, null, null));
        world.rounds.leave(round);
    }

    /**
     * A {@link Rounds} round of kind {@code share}: arrive publishes {@code mine}, release is the
     * depart gate. Its object array is read under the round's happens-before edge (every rank's
     * publication precedes the completion of the arrive gate, which precedes every read).
     */
    @Override
    public Shared share(Object mine, String what, long timeoutMillis, Runnable check,
            Function<List<Integer>, String> absent) {
        return share(mine, what, timeoutMillis, check, absent, (RoundWork) null);
    }

    /** {@link #share(Object, String, long, Runnable, Function)} whose work is done before any rank is released. */
    @Override
    public Shared share(Object mine, String what, long timeoutMillis, Runnable check,
            Function<List<Integer>, String> absent, RoundWork work) {
        if (mine == null || what == null || check == null || absent == null) {
            throw new IllegalArgumentException("share: mine, what, check and absent must not be null");
        }
        if (timeoutMillis <= 0) {
            throw new IllegalArgumentException("share: timeoutMillis = " + timeoutMillis + " must be positive");
        }
        checkUsable(what);
        Rounds.Round round = world.rounds.arriveShared(collectiveSeq.getAndIncrement(), rank, mine, what,
                timeoutMillis, check, absent, work);
        return new Shared() {
            private boolean released;

            @Override
            public Object of(int r) {
                if (released) {
                    throw new IllegalStateException("rank " + rank + ": share round #" + round.seq + " already released");
                }
                return round.shared[r];
            }

            @Override
            public void release() {
                if (released) {
                    throw new IllegalStateException("rank " + rank + ": share round #" + round.seq + " released twice");
                }
                released = true;
                world.rounds.departShared(round, rank, what, timeoutMillis, check);
            }

            @Override
            public void flagFailure() {
                round.failed = true;
            }

            @Override
            public void leave() {
                if (released) {
                    throw new IllegalStateException("rank " + rank + ": share round #" + round.seq + " released twice");
                }
                released = true;
                world.rounds.leave(round);
            }
        };
    }

    @Override
    public void wakeWaiters() {
        world.wakeAll();
    }

    @Override
    public long wakeups() {
        return world.wakeups();
    }

    /**
     * Marks the cluster as failed by this rank, which releases every other rank with a
     * {@link CommunicationException} naming this rank, and throws one here too (the in-JVM analogue
     * of {@code MPI_Abort}: the cluster's {@code run} rethrows {@code cause}).
     */
    @Override
    public void abort(int exitCode, Throwable cause) {
        Throwable reason = cause != null ? cause
                : new CommunicationException("rank " + rank + " called abort(" + exitCode + ")");
        world.fail(rank, reason);
        throw new CommunicationException("rank " + rank + " aborted the job with exit code " + exitCode, cause);
    }

    /** Local: later calls on this rank's communicator fail; other ranks are unaffected. Idempotent. */
    @Override
    public void close() {
        closed = true;
    }

    private void checkUsable(String what) {
        if (closed) {
            throw new CommunicationException("rank " + rank + ": " + what + " on a closed communicator");
        }
        world.throwIfFailed(rank, what);
    }

    private void checkRank(int peer, String param) {
        if (peer < 0 || peer >= world.size()) {
            throw new IllegalArgumentException(param + " = " + peer + " is not a rank of this " + world.size()
                    + "-rank job (0.." + (world.size() - 1) + ")");
        }
    }

    private void checkTag(int tag) {
        if (tag < 0 || tag > maxTag()) {
            throw new IllegalArgumentException("tag = " + tag + " is outside 0.." + maxTag());
        }
    }

    private long checkCounts(int[] counts) {
        if (counts == null) {
            throw new IllegalArgumentException("counts must not be null");
        }
        if (counts.length != world.size()) {
            throw new IllegalArgumentException("counts has length " + counts.length + " but the job has "
                    + world.size() + " ranks");
        }
        long total = 0;
        for (int r = 0; r < counts.length; r++) {
            if (counts[r] < 0) {
                throw new IllegalArgumentException("counts[" + r + "] = " + counts[r] + " is negative");
            }
            total += counts[r];
        }
        return total;
    }

    /** The elements position..limit as a buffer of their own (position 0), leaving the caller's untouched. */
    private static Buffer slice(Buffer buffer) {
        return buffer.slice();
    }

    @Override
    public String toString() {
        return "LocalCommunicator[rank " + rank + " of " + world.size() + "]";
    }
}
