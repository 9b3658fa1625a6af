package io.bluefog.collectives.engine;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Broadcast from one root (BlueFog {@code broadcast}), fused batches packed into one message. */
final class BroadcastOperation implements Operation {
    @Override
    public void execute(List<Op> batch, ExecutionContext ctx) {
        INDArray work = ctx.workingCopy(batch);
        ctx.comm.broadcast(Tensors.nio(work), batch.get(0).root);
        ctx.unpack(batch, work);
    }
}
