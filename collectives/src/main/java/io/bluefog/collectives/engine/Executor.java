package io.bluefog.collectives.engine;

import io.bluefog.comm.Communicator;
import io.bluefog.comm.SharedMemoryExchange;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Executes agreed batches on the thread that holds the engine's execution lock: picks the
 * {@link Operation} of the batch's {@link OpKind} and gives it the rank's {@link ExecutionContext}.
 * Sends read the caller's off-heap buffer directly; receives land in pooled arrays; weighted sums
 * run in the {@link Combiner}, self term first and then the sources in ascending rank order, so
 * results are bitwise reproducible from run to run.
 */
final class Executor {
    private final ExecutionContext ctx;
    private final SmallCalls small;
    private final NeighborAllreduceOperation neighborAllreduce = new NeighborAllreduceOperation();
    private final Map<OpKind, Operation> operations = new EnumMap<>(OpKind.class);

    Executor(Communicator comm, long timeoutMillis, long pipelineChunkBytes) {
        this.ctx = new ExecutionContext(comm, timeoutMillis, pipelineChunkBytes);
        this.small = new SmallCalls(ctx);
        AllreduceOperation allreduce = new AllreduceOperation();
        operations.put(OpKind.ALLREDUCE, allreduce);
        operations.put(OpKind.LOCAL_ALLREDUCE, allreduce);
        operations.put(OpKind.BROADCAST, new BroadcastOperation());
        operations.put(OpKind.ALLGATHER, new AllgatherOperation());
        operations.put(OpKind.BARRIER, new BarrierOperation());
        operations.put(OpKind.NEIGHBOR_ALLREDUCE, neighborAllreduce);
        operations.put(OpKind.NEIGHBOR_ALLGATHER, new NeighborAllgatherOperation());
        operations.put(OpKind.HIERARCHICAL_NEIGHBOR_ALLREDUCE, new HierarchicalNeighborAllreduceOperation());
        operations.put(OpKind.PAIR_GOSSIP, new PairGossipOperation());
        if (operations.size() != OpKind.values().length) {
            throw new AssertionError("an OpKind has no Operation");
        }
    }

    /** Executes {@code batch} (one op, or several fusable ops) and completes their futures. */
    void execute(List<Op> batch) {
        execute(batch, null);
    }

    /**
     * Runs an agreed batch.
     *
     * @param firstDims every rank's first dimension of the batch's single call, as the cache round
     *                  that agreed it carried them ({@link Coordinator#firstDims}), or null if not known
     */
    void execute(List<Op> batch, long[] firstDims) {
        ctx.agreedFirstDims = firstDims;
        try {
            operations.get(batch.get(0).kind).execute(batch, ctx);
        } finally {
            ctx.agreedFirstDims = null;
            ctx.finish();
        }
    }

    /** @return the execution context (tests) */
    ExecutionContext context() {
        return ctx;
    }

    /** @return the sender of small cached calls' data with the cache round (the coordinator uses it) */
    SmallCalls small() {
        return small;
    }

    /**
     * Completes a small cached call whose data every rank sent with the cache round ({@link SmallCalls}),
     * or, on a shared-memory transport, the call the cache round ran ({@link #fold}).
     */
    void executeEarly(Op op, long[] firstDims) {
        if (folded != null) {
            Object mine = folded;
            folded = null;
            try {
                NeighborAllreduceOperation.finishFolded(op, mine, ctx);
            } finally {
                ctx.finish();
            }
            return;
        }
        small.execute(op, firstDims);
    }

    /** What this rank published with the last cache round ({@link #fold}), while it is in flight or agreed; else null. */
    private Object folded;

    /**
     * On a shared-memory transport: what {@code op} publishes with the cache round so that the
     * round itself runs it ({@link NeighborAllreduceOperation#foldable}); remembered until
     * {@link #executeEarly} completes it or {@link #unfold} forgets it.
     *
     * @return the object to publish, or null if {@code op} cannot go with the cache round
     */
    Object fold(Op op) {
        folded = NeighborAllreduceOperation.foldable(op, ctx);
        return folded;
    }

    /** Forgets {@link #fold}'s object: the cache round did not run the call (it runs the usual way, or fails). */
    void unfold() {
        folded = null;
    }

    /** @return the work of a cache round in which every rank published its {@link #fold} object */
    SharedMemoryExchange.RoundWork foldedWork() {
        return NeighborAllreduceOperation.foldedWork();
    }

    /** @return true if {@code op} can run checked by its neighbors alone (see {@link #executePeerChecked}) */
    static boolean peerCheckable(Op op) {
        return NeighborAllreduceOperation.peerCheckable(op);
    }

    /** A neighborAllreduce agreed with its neighbors only (negotiation skipped). */
    void executePeerChecked(Op op) {
        try {
            neighborAllreduce.executePeerChecked(op, ctx);
        } finally {
            ctx.finish();
        }
    }

    /** Tells the other ranks that this rank's engine failed with {@code cause} ({@link PeerFailures}). */
    void announceFailure(Throwable cause) {
        ctx.failures.announce(ctx.comm, cause);
    }

    void clear() {
        small.clear();
        ctx.clear();
    }

    /** Sets the smallest allreduce that runs as {@link DirectAllreduce} (tests: 0 for every size). */
    void directAllreduceMinBytes(long bytes) {
        ctx.directAllreduceMinBytes = bytes;
    }

    /** Sets whether {@link DirectAllreduce} goes through shared memory (tests: both ways). */
    void sharedMemoryAllreduce(boolean on) {
        ctx.sharedMemoryAllreduce = on;
    }

    /** Sets the smallest single broadcast that runs as {@link BroadcastOperation#chain} (tests: 0 for every size). */
    void chainBroadcastMinBytes(long bytes) {
        ctx.chainBroadcastMinBytes = bytes;
    }
}
