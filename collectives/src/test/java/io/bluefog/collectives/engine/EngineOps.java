package io.bluefog.collectives.engine;

import io.bluefog.BlueFog;
import io.bluefog.collectives.CollectivesConfig;
import io.bluefog.collectives.DynamicNeighbors;
import io.bluefog.comm.ReduceOp;
import io.bluefog.topology.Topology;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.CompletionException;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Test access to the engine's operations through the {@link Op} factories, for the contract's
 * cases of operations whose public {@code Collectives} methods are being reshaped: one engine per
 * {@link BlueFog} instance (configured from its settings, as {@code Collectives.of} does), calls
 * blocking on the caller's thread. Use it only in checks that make no concurrent calls through
 * {@code Collectives} (both engines share the communicator's tags).
 */
public final class EngineOps {
    private static final Map<BlueFog, Engine> ENGINES = new WeakHashMap<>();

    private EngineOps() {
    }

    private static Engine engine(BlueFog bf) {
        synchronized (ENGINES) {
            return ENGINES.computeIfAbsent(bf, b -> {
                CollectivesConfig c = CollectivesConfig.from(b.config());
                return new Engine(b.communicator(), c.fusionThresholdBytes(), c.timeoutMillis(),
                        c.pipelineChunkBytes(), c.skipNegotiation(), b.timeline());
            });
        }
    }

    /** Runs {@code op} on {@code bf}'s test engine and returns its result, rethrowing its failure. */
    public static INDArray run(BlueFog bf, Op op) {
        try {
            return (INDArray) engine(bf).runInCallerOrSubmit(op).future().join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    public static INDArray allgather(BlueFog bf, INDArray x) {
        return run(bf, Op.allgather(x));
    }

    public static INDArray localAllreduce(BlueFog bf, INDArray x, ReduceOp op, boolean inPlace) {
        return run(bf, Op.localAllreduce(x, op, inPlace));
    }

    public static INDArray allreduce(BlueFog bf, INDArray x, ReduceOp op, boolean inPlace) {
        return run(bf, Op.allreduce(x, op, inPlace));
    }

    public static INDArray broadcast(BlueFog bf, INDArray x, int root, boolean inPlace) {
        return run(bf, Op.broadcast(x, root, inPlace));
    }

    public static INDArray neighborAllreduce(BlueFog bf, INDArray x, Topology t, boolean inPlace) {
        return run(bf, Op.neighborAllreduce(x, NeighborPlan.of(t, bf.rank()), inPlace));
    }

    /** With the static machine topology {@code machines} (node m is machine m). */
    public static INDArray hierarchicalNeighborAllreduce(BlueFog bf, INDArray x, Topology machines, boolean inPlace) {
        return run(bf, Op.hierarchicalNeighborAllreduce(x, NeighborPlan.of(machines, bf.machineRank()), inPlace));
    }

    /** With dynamic machine weights (sources and destinations are machine ranks). */
    public static INDArray hierarchicalNeighborAllreduce(BlueFog bf, INDArray x, DynamicNeighbors machines,
            boolean inPlace) {
        return run(bf, Op.hierarchicalNeighborAllreduce(x,
                NeighborPlan.of(machines, bf.machineRank(), bf.machineSize()), inPlace));
    }

    public static INDArray pairGossip(BlueFog bf, INDArray x, int peer, double selfWeight, double pairWeight,
            boolean inPlace) {
        return run(bf, Op.pairGossip(x, peer, selfWeight, pairWeight, inPlace));
    }
}
