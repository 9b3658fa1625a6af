package io.bluefog.collectives.engine;

import java.util.List;

/**
 * One kind of collective operation, executed on an agreed batch (one op, or several fusable ops
 * of the same kind with equal parameters) on the thread that holds the engine's execution lock.
 * Implementations complete every op's future with its result; they share the transport, pooled
 * buffers, pending requests, deadlines and the combine kernel through the {@link ExecutionContext}.
 * The engine's executor picks the implementation by {@link OpKind}, as Horovod's op chain picks an
 * operation per response.
 */
interface Operation {
    /**
     * Moves the data of {@code batch} and completes its futures.
     *
     * @throws io.bluefog.CollectiveMismatchException for a disagreement every taking-part rank
     *         detects alike (the engine stays usable); any other exception breaks this rank's engine
     */
    void execute(List<Op> batch, ExecutionContext ctx);
}
