package io.bluefog.collectives.engine;

import io.bluefog.collectives.ResultBlocks;
import io.bluefog.comm.ReduceOp;
import java.util.concurrent.CompletableFuture;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One queued operation: what to do, on which tensor, with which parameters, and the future its
 * caller waits on. Built by the factories below on the caller's thread, executed on the
 * communication thread.
 */
public final class Op {
    final OpKind kind;
    /** Contiguous C-order tensor the data is read from (the caller's array, or a copy of a view). */
    final INDArray input;
    /** Where an in-place operation writes its result (the caller's array); null: a new array. */
    final INDArray target;
    final ReduceOp reduceOp;
    final int root;
    final int peer;
    /** Rank-level plan (neighbor ops) or machine-level plan (hierarchical neighborAllreduce). */
    final NeighborPlan plan;
    /** Pair gossip: the weight of this rank's own tensor and of the peer's. */
    final double selfWeight;
    final double pairWeight;
    final long globalParam;
    final long localParam;
    final CompletableFuture<Object> future = new CompletableFuture<>();
    long seq;
    String name; // the caller's operation name, or null
    /** Told of the final blocks of an in-place result (see {@link #resultBlocks(ResultBlocks)}), or null. */
    ResultBlocks resultBlocks;
    /** Elements from 0 on that {@link #resultBlocks} has been told of during execution (set by the thread that told it). */
    long resultBlocksTold;
    /** What {@link #resultBlocks} threw during execution (it is not told more), or null. */
    RuntimeException resultBlocksError;

    private Op(OpKind kind, INDArray input, INDArray target, ReduceOp reduceOp, int root, int peer,
               NeighborPlan plan, double selfWeight, double pairWeight, long globalParam, long localParam) {
        this.kind = kind;
        this.input = input;
        this.target = target;
        this.reduceOp = reduceOp;
        this.root = root;
        this.peer = peer;
        this.plan = plan;
        this.selfWeight = selfWeight;
        this.pairWeight = pairWeight;
        this.globalParam = globalParam;
        this.localParam = localParam;
    }

    /**
     * Allreduce over all ranks (BlueFog {@code allreduce}).
     *
     * @param inPlace the result is written into {@code x}, which the future then holds; else a new array
     */
    public static Op allreduce(INDArray x, ReduceOp op, boolean inPlace) {
        return new Op(OpKind.ALLREDUCE, Tensors.contiguous(x), inPlace ? x : null, op, -1, -1, null, 0, 0,
                op.ordinal(), 0);
    }

    /**
     * Allreduce among the ranks of this rank's machine (those with the same {@code machineRank};
     * BlueFog {@code allreduce(..., is_hierarchical_local=True)}). Every rank of the job calls it.
     * The machine's lowest rank sums in ascending rank order and sends the result back, so the
     * ranks of a machine hold bitwise equal results.
     *
     * @param op {@link ReduceOp#SUM} or {@link ReduceOp#AVG} (BlueFog's allreduce offers these two)
     * @throws IllegalArgumentException for another op
     */
    public static Op localAllreduce(INDArray x, ReduceOp op, boolean inPlace) {
        if (op != ReduceOp.SUM && op != ReduceOp.AVG) {
            throw new IllegalArgumentException("localAllreduce supports SUM and AVG (as BlueFog's allreduce), got "
                    + op);
        }
        return new Op(OpKind.LOCAL_ALLREDUCE, Tensors.contiguous(x), inPlace ? x : null, op, -1, -1, null, 0, 0,
                op.ordinal(), 0);
    }

    /** Broadcast from {@code root} (BlueFog {@code broadcast}); in place: into {@code x}. */
    public static Op broadcast(INDArray x, int root, boolean inPlace) {
        return new Op(OpKind.BROADCAST, Tensors.contiguous(x), inPlace ? x : null, null, root, -1, null, 0, 0, root,
                0);
    }

    /** Allgather along the first dimension, which may differ between ranks (BlueFog {@code allgather}). */
    public static Op allgather(INDArray x) {
        return new Op(OpKind.ALLGATHER, Tensors.contiguous(x), null, null, -1, -1, null, 0, 0, 0, 0);
    }

    /** Barrier over all ranks. */
    public static Op barrier() {
        return new Op(OpKind.BARRIER, null, null, null, -1, -1, null, 0, 0, 0, 0);
    }

    /** Weighted neighbor average with this rank's {@code plan} (BlueFog {@code neighbor_allreduce}). */
    public static Op neighborAllreduce(INDArray x, NeighborPlan plan, boolean inPlace) {
        return new Op(OpKind.NEIGHBOR_ALLREDUCE, Tensors.contiguous(x), inPlace ? x : null, null, -1, -1, plan, 0, 0,
                plan.globalParam(), plan.localParam());
    }

    /** Concatenation of the sources' tensors in the plan's gather order (BlueFog {@code neighbor_allgather}). */
    public static Op neighborAllgather(INDArray x, NeighborPlan plan) {
        return new Op(OpKind.NEIGHBOR_ALLGATHER, Tensors.contiguous(x), null, null, -1, -1, plan, 0, 0,
                plan.globalParam(), plan.localParam());
    }

    /**
     * Hierarchical neighbor allreduce (BlueFog {@code hierarchical_neighbor_allreduce}): the machine
     * average of {@code x}, mixed between machines with {@code machinePlan}, a plan over machines
     * (its ranks are machine ranks: {@code NeighborPlan.of(machineTopology, machineRank)} or
     * {@code NeighborPlan.of(dynamicNeighbors, machineRank, machineSize)}); every rank of a machine
     * gets its machine's result and passes an equal plan.
     */
    public static Op hierarchicalNeighborAllreduce(INDArray x, NeighborPlan machinePlan, boolean inPlace) {
        return new Op(OpKind.HIERARCHICAL_NEIGHBOR_ALLREDUCE, Tensors.contiguous(x), inPlace ? x : null, null, -1, -1,
                machinePlan, 0, 0, machinePlan.globalParam(), machinePlan.localParam());
    }

    /** {@link #pairGossip(INDArray, int, double, double, boolean)} with weights 0.5 and 0.5, not in place. */
    public static Op pairGossip(INDArray x, int peer) {
        return pairGossip(x, peer, 0.5, 0.5, false);
    }

    /**
     * Weighted pair gossip (BlueFog {@code pair_gossip(tensor, target_rank, self_weight, pair_weight)}):
     * {@code selfWeight * x_self + pairWeight * x_peer}, both ranks of a pair summing the low rank's
     * term first (so with equal weights both hold bitwise equal results); {@code peer == rank}
     * sits the round out and gets {@code x} unchanged.
     */
    public static Op pairGossip(INDArray x, int peer, double selfWeight, double pairWeight, boolean inPlace) {
        return new Op(OpKind.PAIR_GOSSIP, Tensors.contiguous(x), inPlace ? x : null, null, -1, peer, null, selfWeight,
                pairWeight, 0, Headers.mix(peer, Headers.mix(Double.hashCode(selfWeight), Double.hashCode(pairWeight))));
    }

    /** Gives the operation a name (null: none), set before it is submitted. */
    public void name(String name) {
        this.name = name;
    }

    /**
     * Asks that {@code listener} be told of this in-place operation's result blocks as they become
     * final (a shared-memory neighborAllreduce tells it while combining; every other path leaves it
     * to {@link #finishResultBlocks()}). Set before the operation is submitted.
     *
     * @throws IllegalStateException if the operation is not in place
     */
    public void resultBlocks(ResultBlocks listener) {
        if (!inPlace()) {
            throw new IllegalStateException("result blocks are told of in-place operations only, not " + kind);
        }
        this.resultBlocks = listener;
    }

    /**
     * @return true if execution may tell {@link #resultBlocks} of blocks while it writes them: the
     *         result is written straight into the caller's array (contiguous, so not copied back)
     */
    boolean tellsBlocksWhileWriting() {
        return resultBlocks != null && target == input;
    }

    /**
     * Completes the listener's calls after the operation completed successfully, on the caller's
     * thread: tells it of the elements execution did not tell it of (all of them on most paths), or
     * rethrows what it threw during execution.
     */
    public void finishResultBlocks() {
        if (resultBlocks == null) {
            return;
        }
        if (resultBlocksError != null) {
            throw resultBlocksError;
        }
        long length = target.length();
        for (long at = resultBlocksTold; at < length; at += Integer.MAX_VALUE) {
            resultBlocks.ready(at, (int) Math.min(Integer.MAX_VALUE, length - at));
        }
    }

    /** @return the future completed with the result (an INDArray, or null for a barrier) */
    public CompletableFuture<Object> future() {
        return future;
    }

    long[] shape() {
        return input == null ? new long[0] : input.shape();
    }

    long length() {
        return input == null ? 0 : input.length();
    }

    int dtypeCode() {
        return input == null ? 0 : Tensors.code(input.dataType());
    }

    DataType dataType() {
        return input.dataType();
    }

    boolean inPlace() {
        return target != null;
    }

    /** Writes an in-place result back to the caller's array when it was not contiguous. */
    INDArray finishInPlace() {
        if (target != input) {
            target.assign(input);
        }
        return target;
    }
}
