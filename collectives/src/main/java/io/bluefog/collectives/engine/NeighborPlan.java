package io.bluefog.collectives.engine;

import io.bluefog.collectives.DynamicNeighbors;
import io.bluefog.collectives.NeighborWeights;
import io.bluefog.topology.Topology;
import java.util.Arrays;

/**
 * One rank's resolved neighbor exchange: self weight, sources (ascending, for the rank-ordered sum)
 * with weights, the gather order of sources, destinations (ascending) with the weights that scale
 * what is sent, and whether destinations must be learnt from the other ranks (explicit
 * {@link NeighborWeights}) or the send/receive sets checked.
 */
public final class NeighborPlan {
    /** How the plan was given; part of the header, so every rank must use the same mode. */
    public enum Mode { TOPOLOGY, WEIGHTS, DYNAMIC, DYNAMIC_CHECKED }

    final Mode mode;
    final double selfWeight;
    final int[] sources;          // ascending
    final double[] sourceWeights;
    final int[] gatherOrder;      // sources in the order the caller gave them
    int[] destinations;           // ascending; null until learnt in WEIGHTS mode
    double[] destinationWeights;  // null = all 1
    final long topologyHash;

    private NeighborPlan(Mode mode, double selfWeight, int[] sources, double[] sourceWeights, int[] gatherOrder,
                         int[] destinations, double[] destinationWeights, long topologyHash) {
        this.mode = mode;
        this.selfWeight = selfWeight;
        this.sources = sources;
        this.sourceWeights = sourceWeights;
        this.gatherOrder = gatherOrder;
        this.destinations = destinations;
        this.destinationWeights = destinationWeights;
        this.topologyHash = topologyHash;
    }

    /** Row {@code rank} of {@code t}: receive from in-neighbors, send to out-neighbors unscaled. */
    public static NeighborPlan of(Topology t, int rank) {
        int[] in = t.inNeighbors(rank);
        return new NeighborPlan(Mode.TOPOLOGY, t.selfWeight(rank), in, t.recvWeights(rank), in,
                t.outNeighbors(rank), null, t.hashCode());
    }

    /** Explicit weights; destinations are learnt inside the call. */
    public static NeighborPlan of(NeighborWeights w, int rank, int size) {
        int[] src = w.sources();
        checkPeers("source", src, rank, size);
        return new NeighborPlan(Mode.WEIGHTS, w.selfWeight(), src, w.sourceWeights(), src, null, null, 0);
    }

    /** Dynamic neighbors as given by the caller. */
    public static NeighborPlan of(DynamicNeighbors d, int rank, int size) {
        int[] given = d.sources();
        double[] givenW = d.sourceWeights();
        checkPeers("source", given, rank, size);
        int[] dst = d.destinations();
        checkPeers("destination", dst, rank, size);
        Integer[] order = new Integer[given.length];
        for (int k = 0; k < order.length; k++) {
            order[k] = k;
        }
        Arrays.sort(order, (a, b) -> Integer.compare(given[a], given[b]));
        int[] src = new int[given.length];
        double[] w = new double[given.length];
        for (int k = 0; k < order.length; k++) {
            src[k] = given[order[k]];
            w[k] = givenW[order[k]];
        }
        double[] dw = d.destinationWeights();
        boolean allOne = Arrays.stream(dw).allMatch(x -> x == 1.0);
        return new NeighborPlan(d.checkConsistency() ? Mode.DYNAMIC_CHECKED : Mode.DYNAMIC, d.selfWeight(), src, w,
                given, dst, allOne ? null : dw, 0);
    }

    private static void checkPeers(String what, int[] ranks, int rank, int size) {
        for (int r : ranks) {
            if (r >= size) {
                throw new IllegalArgumentException(what + " rank " + r + " is outside 0.." + (size - 1));
            }
            if (r == rank) {
                throw new IllegalArgumentException(what + " rank " + r + " is the calling rank; use the self weight");
            }
        }
    }

    /** @return the value every rank must agree on (mode and, for a topology, its hash) */
    long globalParam() {
        return Headers.mix(mode.ordinal(), topologyHash);
    }

    /** @return a hash of this rank's own weights and peers (equal plans of one rank may be fused) */
    long localParam() {
        if (mode == Mode.TOPOLOGY) {
            return 0;
        }
        long h = Headers.mix(Double.hashCode(selfWeight), Arrays.hashCode(sources));
        h = Headers.mix(h, Arrays.hashCode(sourceWeights));
        h = Headers.mix(h, Arrays.hashCode(gatherOrder));
        h = Headers.mix(h, Arrays.hashCode(destinations));
        return Headers.mix(h, Arrays.hashCode(destinationWeights));
    }

    /**
     * @return this plan on the given peers only (same weights for the edges kept), for moving data on
     *         the edges whose ends agree when a neighbor-checked call fails on others
     */
    NeighborPlan restrictedTo(java.util.function.IntPredicate keep) {
        int[] idx = java.util.stream.IntStream.range(0, sources.length).filter(k -> keep.test(sources[k])).toArray();
        int[] src = Arrays.stream(idx).map(k -> sources[k]).toArray();
        double[] w = Arrays.stream(idx).mapToDouble(k -> sourceWeights[k]).toArray();
        int[] gather = Arrays.stream(gatherOrder).filter(keep::test).toArray();
        int[] dIdx = java.util.stream.IntStream.range(0, destinations.length).filter(k -> keep.test(destinations[k]))
                .toArray();
        int[] dst = Arrays.stream(dIdx).map(k -> destinations[k]).toArray();
        double[] dw = destinationWeights == null ? null : Arrays.stream(dIdx).mapToDouble(k -> destinationWeights[k]).toArray();
        return new NeighborPlan(Mode.DYNAMIC, selfWeight, src, w, gather, dst, dw, 0);
    }

    /** @return the ranks this rank receives from or sends to, ascending, each once */
    int[] peers() {
        return java.util.stream.IntStream.concat(Arrays.stream(sources), Arrays.stream(destinations)).distinct().sorted()
                .toArray();
    }

    boolean needsSetExchange() {
        return mode == Mode.WEIGHTS || mode == Mode.DYNAMIC_CHECKED;
    }

    double destinationWeight(int k) {
        return destinationWeights == null ? 1.0 : destinationWeights[k];
    }
}
