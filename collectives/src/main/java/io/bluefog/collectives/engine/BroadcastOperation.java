package io.bluefog.collectives.engine;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Broadcast from one root (BlueFog {@code broadcast}), fused batches packed into one message. */
final class BroadcastOperation implements Operation {
    @Override
    public void execute(List<Op> batch, ExecutionContext ctx) {
        Op first = batch.get(0);
        // A single op's receivers need no copy of their input: the root's data overwrites it.
        INDArray work = batch.size() == 1 && first.root != ctx.rank ? ctx.resultSpace(batch, true)
                : ctx.workingCopy(batch);
        ctx.comm.broadcast(Tensors.nio(work), first.root);
        ctx.unpack(batch, work);
    }
}
