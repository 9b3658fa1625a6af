package io.bluefog.collectives.engine;

import static io.bluefog.collectives.engine.ExecutionContext.TAG_DATA;
import static io.bluefog.collectives.engine.ExecutionContext.TAG_META;

import java.nio.DoubleBuffer;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Concatenation of the sources' tensors along the first dimension, in the plan's gather order
 * (BlueFog {@code neighbor_allgather}): first the first dimensions (they may differ), then the
 * data straight into the result.
 */
final class NeighborAllgatherOperation implements Operation {
    @Override
    public void execute(List<Op> batch, ExecutionContext ctx) {
        Op op = batch.get(0);
        NeighborPlan plan = op.plan;
        if (plan.needsSetExchange()) {
            ctx.exchangeSets(plan, ctx.rank, ctx.everyRank, "rank", "neighborAllgather");
        }
        long[] shape = op.shape();
        long row = op.length() / shape[0];
        int ns = plan.gatherOrder.length;
        long deadline = ctx.deadline();
        DoubleBuffer dims = Coordinator.direct(Math.max(1, ns));
        DoubleBuffer mine = Coordinator.direct(1).put(0, shape[0]);
        ctx.recvs.clear();
        ctx.sends.clear();
        for (int k = 0; k < ns; k++) {
            ctx.recvs.add(ctx.comm.irecv(dims.duplicate().position(k).limit(k + 1), plan.gatherOrder[k], TAG_META));
        }
        for (int d : plan.destinations) {
            ctx.sends.add(ctx.comm.isend(mine, d, TAG_META));
        }
        ctx.waitAll(ctx.recvs, deadline, k -> "neighborAllgather shape from rank " + plan.gatherOrder[k]);
        long[] outShape = shape.clone();
        outShape[0] = 0;
        for (int k = 0; k < ns; k++) {
            outShape[0] += (long) dims.get(k);
        }
        INDArray out = ctx.newResult(op.dataType(), outShape);
        ctx.recvs.clear();
        long at = 0;
        for (int k = 0; k < ns; k++) {
            long count = (long) dims.get(k) * row;
            ctx.recvs.add(ctx.comm.irecv(Tensors.nio(out, at, count), plan.gatherOrder[k], TAG_DATA));
            at += count;
        }
        for (int d : plan.destinations) {
            ctx.sends.add(ctx.comm.isend(Tensors.nio(op.input), d, TAG_DATA));
        }
        ctx.waitAll(ctx.recvs, deadline, k -> "neighborAllgather data from rank " + plan.gatherOrder[k]);
        ctx.waitSends(deadline, plan.destinations);
        op.future.complete(out);
    }
}
