package io.bluefog.collectives;

import io.bluefog.Weighting;
import io.bluefog.topology.Topology;
import java.util.Objects;

/**
 * {@link Mixing} by a topology every rank passes equal: rank i computes
 * {@code w_ii x_i + sum_{j in In(i)} w_ij x_j} with row i of {@link #weights()} and sends its
 * tensor to its out-neighbors. Immutable; create it with {@link Mixing#of(Topology)} or
 * {@link Mixing#of(Topology, Weighting)}.
 */
public final class TopologyMixing implements Mixing {
    private final Topology topology;
    private final Weighting weighting;
    private final Topology weights;

    TopologyMixing(Topology topology, Weighting weighting) {
        this.topology = Objects.requireNonNull(topology, "topology");
        this.weighting = Objects.requireNonNull(weighting, "weighting");
        this.weights = weighting.apply(topology);
    }

    /** @return the topology as given */
    public Topology topology() {
        return topology;
    }

    /** @return how it is weighted */
    public Weighting weighting() {
        return weighting;
    }

    /** @return the mixing matrix used: {@link #topology()} when weighted, else its edges with uniform weights */
    public Topology weights() {
        return weights;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TopologyMixing m && weights.equals(m.weights);
    }

    @Override
    public int hashCode() {
        return weights.hashCode();
    }

    @Override
    public String toString() {
        return "TopologyMixing[" + weighting + ", " + topology + "]";
    }
}
