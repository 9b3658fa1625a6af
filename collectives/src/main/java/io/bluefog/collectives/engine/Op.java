package io.bluefog.collectives.engine;

import io.bluefog.comm.ReduceOp;
import io.bluefog.topology.Topology;
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
    final NeighborPlan plan;
    final Topology machineTopology;
    final long globalParam;
    final long localParam;
    final CompletableFuture<Object> future = new CompletableFuture<>();
    long seq;
    String name; // the caller's operation name, or null

    private Op(OpKind kind, INDArray input, INDArray target, ReduceOp reduceOp, int root, int peer,
               NeighborPlan plan, Topology machineTopology, long globalParam, long localParam) {
        this.kind = kind;
        this.input = input;
        this.target = target;
        this.reduceOp = reduceOp;
        this.root = root;
        this.peer = peer;
        this.plan = plan;
        this.machineTopology = machineTopology;
        this.globalParam = globalParam;
        this.localParam = localParam;
    }

    public static Op allreduce(INDArray x, ReduceOp op, boolean inPlace) {
        return new Op(OpKind.ALLREDUCE, Tensors.contiguous(x), inPlace ? x : null, op, -1, -1, null, null,
                op.ordinal(), 0);
    }

    public static Op broadcast(INDArray x, int root, boolean inPlace) {
        return new Op(OpKind.BROADCAST, Tensors.contiguous(x), inPlace ? x : null, null, root, -1, null, null, root, 0);
    }

    public static Op allgather(INDArray x) {
        return new Op(OpKind.ALLGATHER, Tensors.contiguous(x), null, null, -1, -1, null, null, 0, 0);
    }

    public static Op barrier() {
        return new Op(OpKind.BARRIER, null, null, null, -1, -1, null, null, 0, 0);
    }

    public static Op neighborAllreduce(INDArray x, NeighborPlan plan, boolean inPlace) {
        return new Op(OpKind.NEIGHBOR_ALLREDUCE, Tensors.contiguous(x), inPlace ? x : null, null, -1, -1, plan, null,
                plan.globalParam(), plan.localParam());
    }

    public static Op neighborAllgather(INDArray x, NeighborPlan plan) {
        return new Op(OpKind.NEIGHBOR_ALLGATHER, Tensors.contiguous(x), null, null, -1, -1, plan, null,
                plan.globalParam(), plan.localParam());
    }

    public static Op hierarchicalNeighborAllreduce(INDArray x, Topology machineTopology) {
        return new Op(OpKind.HIERARCHICAL_NEIGHBOR_ALLREDUCE, Tensors.contiguous(x), null, null, -1, -1, null,
                machineTopology, machineTopology.hashCode() & 0xffffffffL, 0);
    }

    public static Op pairGossip(INDArray x, int peer) {
        return new Op(OpKind.PAIR_GOSSIP, Tensors.contiguous(x), null, null, -1, peer, null, null, 0, peer);
    }

    /** Gives the operation a name (null: none), set before it is submitted. */
    public void name(String name) {
        this.name = name;
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
