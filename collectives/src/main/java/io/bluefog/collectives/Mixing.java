package io.bluefog.collectives;

import io.bluefog.Weighting;
import io.bluefog.topology.Topology;

/**
 * The one mixing argument of the neighbor operations of {@link Collectives}: who this rank
 * receives from and sends to, and with which weights. Three kinds, each an immutable value:
 * <ul>
 *   <li>{@link TopologyMixing} ({@link #of(Topology)}, {@link #of(Topology, Weighting)}): a static
 *       or per-iteration topology every rank passes equal; rank i receives from its in-neighbors
 *       with row i of the mixing matrix and sends to its out-neighbors (BlueFog's
 *       {@code neighbor_allreduce} over {@code set_topology}'s graph).</li>
 *   <li>{@link NeighborWeights}: this rank's self weight and source weights only; the ranks learn
 *       who sends to whom inside the call (one small allgather of the source lists).</li>
 *   <li>{@link DynamicNeighbors}: this rank's self weight, sources with weights and destinations
 *       with optional weights (BlueFog's {@code self_weight}, {@code src_weights},
 *       {@code dst_weights}); the send/receive sets are checked across ranks by default
 *       (BlueFog's {@code enable_topo_check=True}).</li>
 * </ul>
 * For a hierarchical neighbor allreduce the same values describe machines instead of ranks.
 */
public sealed interface Mixing permits TopologyMixing, NeighborWeights, DynamicNeighbors {

    /**
     * @return {@code topology} with its own mixing weights ({@link Weighting#TOPOLOGY}): what a
     *         per-iteration schedule's graph, whose weights are part of the algorithm, needs
     */
    static TopologyMixing of(Topology topology) {
        return new TopologyMixing(topology, Weighting.TOPOLOGY);
    }

    /**
     * @return {@code topology} weighted as {@code weighting} says ({@link Weighting#UNIFORM}: the
     *         uniform average over self and in-neighbors, the topology's weights ignored)
     */
    static TopologyMixing of(Topology topology, Weighting weighting) {
        return new TopologyMixing(topology, weighting);
    }
}
