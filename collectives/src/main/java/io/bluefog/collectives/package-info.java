/**
 * Tensor collectives on ND4J arrays for decentralized training, after BlueFog: global operations
 * (allreduce, broadcast, allgather, barrier) and neighbor operations (static, explicit-weight and
 * dynamic neighbor allreduce, neighbor allgather, hierarchical neighbor allreduce, pair gossip).
 * Start at {@link io.bluefog.collectives.Collectives}; the values {@link io.bluefog.collectives.NeighborWeights}
 * and {@link io.bluefog.collectives.DynamicNeighbors} describe one rank's part of a weighted exchange.
 */
package io.bluefog.collectives;
