package io.bluefog.collectives;

import io.bluefog.topology.Topology;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * {@link Mixing} by the weights one rank applies in one {@link Collectives#neighborAllreduce(org.nd4j.linalg.api.ndarray.INDArray,
 * Mixing) neighborAllreduce}: its self weight {@code w_ii} and a weight {@code w_ij} for every
 * source rank {@code j} it receives from. The result on rank {@code i} is
 * {@code w_ii x_i + sum_j w_ij x_j}, the sum taken in ascending rank order. Sources need not be
 * neighbors in the static topology; every rank learns who receives from it through a small
 * allgather of the source lists inside the call.
 *
 * <p>Immutable and validated on construction: weights finite, sources distinct and non-negative.
 * Whether a source is below the world size and differs from the calling rank is checked when the
 * value is used (the value does not know the rank).
 */
public final class NeighborWeights implements Mixing {
    private final double selfWeight;
    private final int[] sources;      // ascending
    private final double[] weights;   // aligned with sources

    private NeighborWeights(double selfWeight, int[] sources, double[] weights) {
        this.selfWeight = selfWeight;
        this.sources = sources;
        this.weights = weights;
    }

    /**
     * @param selfWeight    {@code w_ii}, finite
     * @param sourceWeights source rank to {@code w_ij}; may be empty (then the result is
     *                      {@code selfWeight * x})
     * @throws IllegalArgumentException naming the rank whose weight is not finite or which is negative
     */
    public static NeighborWeights of(double selfWeight, Map<Integer, Double> sourceWeights) {
        Objects.requireNonNull(sourceWeights, "sourceWeights");
        TreeMap<Integer, Double> sorted = new TreeMap<>(sourceWeights);
        int[] src = new int[sorted.size()];
        double[] w = new double[sorted.size()];
        int k = 0;
        for (Map.Entry<Integer, Double> e : sorted.entrySet()) {
            src[k] = Objects.requireNonNull(e.getKey(), "source rank");
            w[k++] = Objects.requireNonNull(e.getValue(), "weight of source " + e.getKey());
        }
        return of(selfWeight, src, w);
    }

    /**
     * @param selfWeight {@code w_ii}, finite
     * @param sources    distinct source ranks (any order)
     * @param weights    {@code weights[k]} is the weight of {@code sources[k]}
     * @throws IllegalArgumentException if the arrays differ in length, a source is negative or
     *                                  repeated, or a weight is not finite
     */
    public static NeighborWeights of(double selfWeight, int[] sources, double[] weights) {
        checkFinite("selfWeight", selfWeight);
        if (sources.length != weights.length) {
            throw new IllegalArgumentException("sources has " + sources.length + " ranks but weights has "
                    + weights.length + " entries");
        }
        Integer[] order = new Integer[sources.length];
        for (int k = 0; k < order.length; k++) {
            order[k] = k;
        }
        Arrays.sort(order, (a, b) -> Integer.compare(sources[a], sources[b]));
        int[] src = new int[sources.length];
        double[] w = new double[sources.length];
        for (int k = 0; k < order.length; k++) {
            src[k] = sources[order[k]];
            w[k] = weights[order[k]];
            if (src[k] < 0) {
                throw new IllegalArgumentException("source rank " + src[k] + " is negative");
            }
            if (k > 0 && src[k] == src[k - 1]) {
                throw new IllegalArgumentException("source rank " + src[k] + " is listed twice");
            }
            checkFinite("weight of source " + src[k], w[k]);
        }
        return new NeighborWeights(selfWeight, src, w);
    }

    /** @return rank {@code rank}'s row of the topology's mixing matrix as weights */
    public static NeighborWeights fromTopology(Topology topology, int rank) {
        return new NeighborWeights(topology.selfWeight(rank), topology.inNeighbors(rank), topology.recvWeights(rank));
    }

    static void checkFinite(String what, double w) {
        if (!Double.isFinite(w)) {
            throw new IllegalArgumentException(what + " must be finite, got " + w);
        }
    }

    /** @return {@code w_ii} */
    public double selfWeight() {
        return selfWeight;
    }

    /** @return the source ranks, ascending (a fresh array) */
    public int[] sources() {
        return sources.clone();
    }

    /** @return the weights of {@link #sources()}, same order (a fresh array) */
    public double[] sourceWeights() {
        return weights.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NeighborWeights
                && Double.compare(selfWeight, ((NeighborWeights) o).selfWeight) == 0
                && Arrays.equals(sources, ((NeighborWeights) o).sources)
                && Arrays.equals(weights, ((NeighborWeights) o).weights);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Double.hashCode(selfWeight) + Arrays.hashCode(sources)) + Arrays.hashCode(weights);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("NeighborWeights[self=").append(selfWeight);
        for (int k = 0; k < sources.length; k++) {
            sb.append(", ").append(sources[k]).append(':').append(weights[k]);
        }
        return sb.append(']').toString();
    }
}
