/**
 * Tensor collectives on ND4J arrays for decentralized training, after BlueFog: global operations
 * (allreduce, machine-local allreduce, broadcast, allgather, barrier) and neighbor operations
 * (neighbor allreduce and allgather, hierarchical neighbor allreduce, pair gossip), each in the same
 * forms (blocking, {@code Async}, {@code InPlace}, {@code InPlaceAsync}), plus inferring sources
 * from destinations and back. Start at {@link io.bluefog.collectives.Collectives}; the one mixing
 * argument of the neighbor operations is a {@link io.bluefog.collectives.Mixing}: a
 * {@link io.bluefog.collectives.TopologyMixing}, one rank's
 * {@link io.bluefog.collectives.NeighborWeights}, or {@link io.bluefog.collectives.DynamicNeighbors}.
 * Algorithms built on them (Gossip-PGA, Exact Diffusion, gradient tracking, ...) are in the
 * optimizers module.
 */
package io.bluefog.collectives;
