package io.bluefog.collectives.engine;

import io.bluefog.comm.ReduceOp;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Allreduce over all ranks (BlueFog {@code allreduce}) and over the ranks of each machine
 * ({@link OpKind#LOCAL_ALLREDUCE}, BlueFog {@code allreduce(..., is_hierarchical_local=True)}),
 * fused batches packed into one message.
 */
final class AllreduceOperation implements Operation {
    @Override
    public void execute(List<Op> batch, ExecutionContext ctx) {
        Op first = batch.get(0);
        INDArray work = ctx.workingCopy(batch);
        if (first.kind == OpKind.LOCAL_ALLREDUCE) {
            // Sum (AVG: then scaled) at the machine's leader in ascending rank order, then shared.
            ctx.reduceAtLeader(work, first.reduceOp == ReduceOp.AVG, "localAllreduce");
            ctx.shareFromLeader(work, "localAllreduce");
        } else if (first.reduceOp == ReduceOp.AVG) {
            // The sum, then one scaling (Combiner.average): a transport's own AVG may divide element by
            // element in Java, and an ND4J op costs tens of microseconds to launch.
            ctx.comm.allreduce(Tensors.nio(work), ReduceOp.SUM);
            Combiner.average(work, ctx.size);
        } else {
            ctx.comm.allreduce(Tensors.nio(work), first.reduceOp);
        }
        ctx.unpack(batch, work);
    }
}
