package io.bluefog;

import io.bluefog.topology.Topology;
import io.bluefog.topology.WeightRule;
import java.util.Objects;

/**
 * Which weights a neighbor average over a static topology uses: BlueFog's {@code is_weighted}
 * argument of {@code set_topology} and {@code set_machine_topology}.
 *
 * <p>{@link #UNIFORM} is BlueFog's default ({@code is_weighted=False}): the topology's weights are
 * ignored and rank i averages itself and its in-neighbors uniformly, {@code w_ij = w_ii =
 * 1/(indeg_i + 1)} ({@link WeightRule#UNIFORM}). {@link #TOPOLOGY} ({@code is_weighted=True}) uses
 * the topology's own mixing matrix, self weights included. The two agree on every graph whose
 * weights already are uniform (exponential, ring, torus, hypercube, fully connected, ...); they
 * differ where the factory chose another rule (e.g. {@code Topologies.star} and {@code mesh2d} use
 * Metropolis–Hastings weights).
 */
public enum Weighting {
    /** Uniform average over self and in-neighbors, the topology's weights ignored (BlueFog's default). */
    UNIFORM,
    /** The topology's mixing weights, self weight included ({@code is_weighted=True}). */
    TOPOLOGY;

    /**
     * @param topology any topology
     * @return the topology whose weights a neighbor average with this weighting uses: {@code topology}
     *         itself for {@link #TOPOLOGY}, the same edges with uniform weights for {@link #UNIFORM}
     */
    public Topology apply(Topology topology) {
        Objects.requireNonNull(topology, "topology");
        return this == TOPOLOGY ? topology : WeightRule.UNIFORM.apply(topology);
    }
}
