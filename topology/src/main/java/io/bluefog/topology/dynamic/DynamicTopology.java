package io.bluefog.topology.dynamic;

import io.bluefog.topology.Topology;

/**
 * A schedule of mixing matrices: the topology used at every iteration {@code k = 0, 1, 2, ...} of a
 * decentralized algorithm (BlueFog's dynamic topologies, e.g. the one-peer exponential graph of
 * Ying et al., "Exponential Graph is Provably Efficient for Decentralized Deep Training",
 * NeurIPS 2021).
 *
 * <p>At iteration {@code k} rank {@code r} sends to {@code at(k).outNeighbors(r)} (with
 * {@code at(k).sendWeights(r)}) and receives from {@code at(k).inNeighbors(r)} (with
 * {@code at(k).recvWeights(r)}), keeping {@code at(k).selfWeight(r)}. Every rank must evaluate the
 * schedule at the same {@code k}; implementations are deterministic and immutable, so every rank
 * computes the same matrix without communicating.
 *
 * <p>Implementations are thread-safe.
 */
public interface DynamicTopology {

    /** @return the number of ranks n; every {@link #at(long)} has this size */
    int size();

    /**
     * The mixing matrix used at an iteration.
     *
     * @param iteration k &ge; 0
     * @return the topology of iteration k, of size {@link #size()}
     * @throws IllegalArgumentException if {@code iteration < 0}
     */
    Topology at(long iteration);

    /**
     * @return the smallest p &ge; 1 with {@code at(k + p).equals(at(k))} for every k, or 0 when the
     *         schedule has no period (or its period exceeds {@link Integer#MAX_VALUE})
     */
    int period();

    /** Checks an iteration argument; shared by implementations. */
    static void requireIteration(long iteration) {
        if (iteration < 0) {
            throw new IllegalArgumentException("iteration must be >= 0, got " + iteration);
        }
    }
}
