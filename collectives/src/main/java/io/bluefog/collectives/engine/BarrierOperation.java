package io.bluefog.collectives.engine;

import java.util.List;

/** Barrier: the coordinator round that agreed on it already synchronized every rank. */
final class BarrierOperation implements Operation {
    @Override
    public void execute(List<Op> batch, ExecutionContext ctx) {
        batch.get(0).future.complete(null);
    }
}
