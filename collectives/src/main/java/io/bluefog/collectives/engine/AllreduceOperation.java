package io.bluefog.collectives.engine;

import io.bluefog.comm.ReduceOp;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Allreduce over all ranks (BlueFog {@code allreduce}) and over the ranks of each machine
 * ({@link OpKind#LOCAL_ALLREDUCE}, BlueFog {@code allreduce(..., is_hierarchical_local=True)}),
 * fused batches packed into one message.
 */
final class AllreduceOperation implements Operation {
    private final DirectAllreduce direct = new DirectAllreduce();

    @Override
    public void execute(List<Op> batch, ExecutionContext ctx) {
        Op first = batch.get(0);
        if (first.kind == OpKind.ALLREDUCE && batch.size() == 1 && DirectAllreduce.applies(first.reduceOp,
                first.dataType(), first.length(), ctx.size, ctx.directAllreduceMinBytes)) {
            // Large float tensors: over point-to-point messages (see DirectAllreduce for why),
            // reading the input where it is and writing the result (new array or the input) directly.
            INDArray out = ctx.resultSpace(batch, true);
            direct.run(ctx, Tensors.flat(first.input), out, first.reduceOp);
            ctx.unpack(batch, out);
            return;
        }
        INDArray work = ctx.workingCopy(batch);
        if (first.kind == OpKind.LOCAL_ALLREDUCE) {
            // Sum (AVG: then divided) at the machine's leader in ascending rank order, then shared.
            ctx.reduceAtLeader(work, first.reduceOp == ReduceOp.AVG, "localAllreduce");
            ctx.shareFromLeader(work, "localAllreduce");
        } else if (DirectAllreduce.applies(first.reduceOp, work.dataType(), work.length(), ctx.size,
                ctx.directAllreduceMinBytes)) {
            // Large float tensors: over point-to-point messages (see DirectAllreduce for why).
            direct.run(ctx, work, work, first.reduceOp);
        } else if (first.reduceOp == ReduceOp.AVG && first.dataType() != DataType.HALF) {
            // BlueFog's average: the sum, then one correctly rounded division by n. (float16: the
            // transport's AVG, which divides the wider sum before its one rounding to float16.)
            ctx.comm.allreduce(Tensors.nio(work), ReduceOp.SUM);
            ctx.divide(work, ctx.size);
        } else {
            ctx.comm.allreduce(Tensors.nio(work), first.reduceOp);
        }
        ctx.unpack(batch, work);
    }
}
