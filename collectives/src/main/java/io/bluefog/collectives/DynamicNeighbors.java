package io.bluefog.collectives;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@link Mixing} by one rank's part of a dynamic (per-iteration) neighbor exchange, as BlueFog's
 * {@code neighbor_allreduce(tensor, self_weight, src_weights, dst_weights)}: the self weight, the
 * sources it receives from with their weights, and the destinations it sends to, each with an
 * optional destination weight (what is sent to {@code d} is {@code dstWeight_d * x}; default 1).
 * A rank may send to peers it does not receive from and vice versa. The result on rank {@code i} is
 * {@code w_ii x_i + sum_j w_ij (dstWeight_{j->i} x_j)}, the sum taken in ascending source rank order.
 *
 * <p>Every send must have a matching receive on the other side. By default (BlueFog's
 * {@code enable_topo_check=True}) every rank's send and receive sets are exchanged first (one small
 * allgather) and a mismatch raises {@link io.bluefog.CollectiveMismatchException} on every rank at
 * once, naming the ranks; {@link Builder#checkConsistency(boolean) checkConsistency(false)} skips
 * that exchange, and an unmatched receive then ends in a {@link io.bluefog.BlueFogTimeoutException}
 * after the configured timeout.
 *
 * <p>Immutable. Sources keep the order they were added in (the order of
 * {@link Collectives#neighborAllgather(org.nd4j.linalg.api.ndarray.INDArray, Mixing)});
 * destinations are kept ascending.
 */
public final class DynamicNeighbors implements Mixing {
    private final double selfWeight;
    private final int[] sources;          // as given
    private final double[] sourceWeights; // aligned with sources
    private final int[] destinations;     // ascending
    private final double[] destinationWeights; // aligned with destinations
    private final boolean checkConsistency;

    private DynamicNeighbors(Builder b) {
        this.selfWeight = b.selfWeight;
        this.sources = b.sources.keySet().stream().mapToInt(Integer::intValue).toArray();
        this.sourceWeights = b.sources.values().stream().mapToDouble(Double::doubleValue).toArray();
        int[] dst = b.destinations.keySet().stream().mapToInt(Integer::intValue).toArray();
        Arrays.sort(dst);
        this.destinations = dst;
        this.destinationWeights = new double[dst.length];
        for (int k = 0; k < dst.length; k++) {
            destinationWeights[k] = b.destinations.get(dst[k]);
        }
        this.checkConsistency = b.checkConsistency;
    }

    /** @return a builder with self weight 1, no sources, no destinations and the consistency check on */
    public static Builder builder() {
        return new Builder();
    }

    /** @return {@code w_ii} */
    public double selfWeight() {
        return selfWeight;
    }

    /** @return the source ranks in the order they were added (a fresh array) */
    public int[] sources() {
        return sources.clone();
    }

    /** @return the weights of {@link #sources()}, same order (a fresh array) */
    public double[] sourceWeights() {
        return sourceWeights.clone();
    }

    /** @return the destination ranks, ascending (a fresh array) */
    public int[] destinations() {
        return destinations.clone();
    }

    /** @return the weight that scales what is sent to each of {@link #destinations()} (a fresh array) */
    public double[] destinationWeights() {
        return destinationWeights.clone();
    }

    /** @return whether the send/receive sets are checked across ranks before data moves */
    public boolean checkConsistency() {
        return checkConsistency;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof DynamicNeighbors)) {
            return false;
        }
        DynamicNeighbors d = (DynamicNeighbors) o;
        return Double.compare(selfWeight, d.selfWeight) == 0 && checkConsistency == d.checkConsistency
                && Arrays.equals(sources, d.sources) && Arrays.equals(sourceWeights, d.sourceWeights)
                && Arrays.equals(destinations, d.destinations)
                && Arrays.equals(destinationWeights, d.destinationWeights);
    }

    @Override
    public int hashCode() {
        int h = Double.hashCode(selfWeight);
        h = 31 * h + Arrays.hashCode(sources);
        h = 31 * h + Arrays.hashCode(sourceWeights);
        h = 31 * h + Arrays.hashCode(destinations);
        h = 31 * h + Arrays.hashCode(destinationWeights);
        return 31 * h + Boolean.hashCode(checkConsistency);
    }

    @Override
    public String toString() {
        return "DynamicNeighbors[self=" + selfWeight + ", sources=" + Arrays.toString(sources)
                + " weights " + Arrays.toString(sourceWeights) + ", destinations=" + Arrays.toString(destinations)
                + " weights " + Arrays.toString(destinationWeights) + ", check=" + checkConsistency + "]";
    }

    /** Builder of {@link DynamicNeighbors}; validates each argument as it is added. */
    public static final class Builder {
        private double selfWeight = 1.0;
        private final LinkedHashMap<Integer, Double> sources = new LinkedHashMap<>();
        private final LinkedHashMap<Integer, Double> destinations = new LinkedHashMap<>();
        private boolean checkConsistency = true;

        private Builder() {
        }

        /** @param w {@code w_ii}, finite (default 1) */
        public Builder selfWeight(double w) {
            NeighborWeights.checkFinite("selfWeight", w);
            this.selfWeight = w;
            return this;
        }

        /**
         * Adds a source rank with its receive weight {@code w_ij}.
         *
         * @throws IllegalArgumentException if {@code rank} is negative or already a source, or
         *                                  {@code weight} is not finite
         */
        public Builder source(int rank, double weight) {
            put(sources, "source", rank, weight);
            return this;
        }

        /** Adds every entry of {@code weights} as a source, in the map's iteration order. */
        public Builder sources(Map<Integer, Double> weights) {
            weights.forEach(this::source);
            return this;
        }

        /** Adds a destination with weight 1 (the tensor is sent unscaled). */
        public Builder destination(int rank) {
            return destination(rank, 1.0);
        }

        /** Adds a destination; what is sent to it is {@code weight * x}. */
        public Builder destination(int rank, double weight) {
            put(destinations, "destination", rank, weight);
            return this;
        }

        /** Adds every rank in {@code ranks} as a destination with weight 1. */
        public Builder destinations(int... ranks) {
            for (int r : ranks) {
                destination(r);
            }
            return this;
        }

        /**
         * @param check exchange every rank's send/receive sets first and fail clearly on a mismatch
         *              (default true, BlueFog's {@code enable_topo_check}); false saves that exchange
         */
        public Builder checkConsistency(boolean check) {
            this.checkConsistency = check;
            return this;
        }

        public DynamicNeighbors build() {
            return new DynamicNeighbors(this);
        }

        private static void put(Map<Integer, Double> map, String what, int rank, double weight) {
            if (rank < 0) {
                throw new IllegalArgumentException(what + " rank " + rank + " is negative");
            }
            NeighborWeights.checkFinite("weight of " + what + " " + rank, weight);
            if (map.putIfAbsent(rank, weight) != null) {
                throw new IllegalArgumentException(what + " rank " + rank + " is listed twice");
            }
        }
    }
}
