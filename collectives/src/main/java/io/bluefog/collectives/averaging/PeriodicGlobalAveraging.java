package io.bluefog.collectives.averaging;

import io.bluefog.collectives.Collectives;
import io.bluefog.topology.Topology;
import java.util.function.LongFunction;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Periodic global averaging (Gossip-PGA: Chen, Yuan, Zhang, Pan, Xu, Yin, "Accelerating Gossip
 * SGD with Periodic Global Averaging", ICML 2021; with an infinite period it is plain gossip,
 * with period 1 parallel SGD's allreduce): calls {@code H, 2H, 3H, ...} (1-based) are a global
 * average, every other call a neighbor average with the topology of that iteration.
 *
 * <p>Lifecycle: one instance per rank per averaged quantity; every rank calls {@link #average}
 * the same number of times (the counter is local, so it stays in step). Not thread-safe.
 */
public final class PeriodicGlobalAveraging {
    private final Collectives collectives;
    private final int period;
    private final LongFunction<Topology> topologyOfIteration;
    private long calls;

    /**
     * Neighbor steps use the static topology {@code bf.topology()} at the time of each call.
     *
     * @param period H &ge; 1
     * @throws IllegalArgumentException if {@code period < 1}
     */
    public PeriodicGlobalAveraging(Collectives collectives, int period) {
        this(collectives, period, k -> collectives.blueFog().topology());
    }

    /**
     * @param period              H &ge; 1
     * @param topologyOfIteration topology of the 0-based iteration k (e.g. a dynamic schedule's)
     * @throws IllegalArgumentException if {@code period < 1}
     */
    public PeriodicGlobalAveraging(Collectives collectives, int period, LongFunction<Topology> topologyOfIteration) {
        if (period < 1) {
            throw new IllegalArgumentException("period must be >= 1, got " + period);
        }
        this.collectives = collectives;
        this.period = period;
        this.topologyOfIteration = topologyOfIteration;
    }

    /** @return true if the next call of {@link #average} will be a global average */
    public boolean nextIsGlobal() {
        return (calls + 1) % period == 0;
    }

    /** @return the number of calls so far */
    public long calls() {
        return calls;
    }

    /**
     * @param x float32/float64, same shape on every rank
     * @return a new array: the global average on every H-th call, otherwise
     *         {@code neighborAllreduce(x, topologyOfIteration(k))}
     */
    public INDArray average(INDArray x) {
        boolean global = nextIsGlobal();
        long k = calls++;
        return global ? collectives.allreduce(x) : collectives.neighborAllreduce(x, topologyOfIteration.apply(k));
    }

    /** {@link #average(INDArray)} written into {@code x}; returns {@code x}. */
    public INDArray averageInPlace(INDArray x) {
        boolean global = nextIsGlobal();
        long k = calls++;
        return global ? collectives.allreduceInPlace(x, io.bluefog.comm.ReduceOp.AVG)
                : collectives.neighborAllreduceInPlace(x, topologyOfIteration.apply(k));
    }
}
