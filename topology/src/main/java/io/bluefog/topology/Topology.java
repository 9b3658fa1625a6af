package io.bluefog.topology;

import java.util.Arrays;

/**
 * An immutable weighted directed graph over ranks {@code 0..n-1} together with its mixing matrix W.
 *
 * <p>Convention (as BlueFog): an edge {@code j -> i} means rank {@code i} receives {@code x_j} and
 * weighs it by {@code w_ij}; neighbor averaging computes
 * {@code x_i <- w_ii x_i + sum_{j in In(i)} w_ij x_j}. Row {@code i} of W therefore holds the
 * receive weights of rank {@code i}; column {@code j} holds what rank {@code j}'s value contributes
 * to others (its send weights).
 *
 * <p>Stored as compressed rows: for every rank its in-neighbors in ascending order with their
 * weights, plus the self weight; out-neighbors are derived. Self loops are not stored as neighbors.
 * Two topologies are equal when they have the same size, edges and weights (exact comparison).
 *
 * <p>This class does not require W to be stochastic; weight rules and validation live in
 * {@link WeightRule} / {@link TopologyValidation}.
 */
public final class Topology {
    private final int size;
    private final double[] selfWeights;
    private final int[] inOffsets;   // size + 1
    private final int[] inSources;   // ascending within each row
    private final double[] inWeights;
    private final int[] outOffsets;  // size + 1
    private final int[] outTargets;  // ascending within each row
    private final double[] outWeights; // w_{target, r}

    private Topology(int size, double[] selfWeights, int[] inOffsets, int[] inSources, double[] inWeights) {
        this.size = size;
        this.selfWeights = selfWeights;
        this.inOffsets = inOffsets;
        this.inSources = inSources;
        this.inWeights = inWeights;
        // Derive out-neighbor rows (column view) by counting sort; ascending order follows from
        // scanning receivers in ascending order.
        int[] counts = new int[size + 1];
        for (int s : inSources) {
            counts[s + 1]++;
        }
        for (int r = 0; r < size; r++) {
            counts[r + 1] += counts[r];
        }
        this.outOffsets = counts.clone();
        this.outTargets = new int[inSources.length];
        this.outWeights = new double[inSources.length];
        int[] fill = Arrays.copyOf(counts, size);
        for (int i = 0; i < size; i++) {
            for (int k = inOffsets[i]; k < inOffsets[i + 1]; k++) {
                int j = inSources[k];
                int pos = fill[j]++;
                outTargets[pos] = i;
                outWeights[pos] = inWeights[k];
            }
        }
    }

    /**
     * Builds a topology from a dense weight matrix: {@code w[i][j] != 0} for {@code i != j} makes
     * {@code j} an in-neighbor of {@code i}; {@code w[i][i]} is the self weight.
     *
     * @param w square matrix, {@code n x n}, n &ge; 1
     * @throws IllegalArgumentException if {@code w} is empty, not square, or holds NaN/infinite entries
     */
    public static Topology fromWeightMatrix(double[][] w) {
        int n = w.length;
        if (n < 1) {
            throw new IllegalArgumentException("weight matrix must have at least one row, got 0");
        }
        double[] self = new double[n];
        int nnz = 0;
        for (int i = 0; i < n; i++) {
            if (w[i].length != n) {
                throw new IllegalArgumentException(
                        "weight matrix must be square: row " + i + " has " + w[i].length + " columns, expected " + n);
            }
            for (int j = 0; j < n; j++) {
                if (!Double.isFinite(w[i][j])) {
                    throw new IllegalArgumentException("weight matrix entry (" + i + ", " + j + ") is " + w[i][j]);
                }
                if (i != j && w[i][j] != 0.0) {
                    nnz++;
                }
            }
        }
        int[] offsets = new int[n + 1];
        int[] sources = new int[nnz];
        double[] weights = new double[nnz];
        int k = 0;
        for (int i = 0; i < n; i++) {
            self[i] = w[i][i];
            for (int j = 0; j < n; j++) {
                if (i != j && w[i][j] != 0.0) {
                    sources[k] = j;
                    weights[k++] = w[i][j];
                }
            }
            offsets[i + 1] = k;
        }
        return new Topology(n, self, offsets, sources, weights);
    }

    /**
     * Builds a topology from each rank's self weight and in-neighbors with weights.
     *
     * @param selfWeights {@code w_ii} for every rank; its length is the size n
     * @param inNeighbors {@code inNeighbors[i]} lists the ranks {@code i} receives from (distinct,
     *                    not {@code i}, any order)
     * @param inWeights   {@code inWeights[i][k]} is the weight of {@code inNeighbors[i][k]}
     * @throws IllegalArgumentException naming the rank on ragged input, a neighbor outside
     *                                  {@code 0..n-1}, a self loop, a duplicate or a non-finite weight
     */
    public static Topology of(double[] selfWeights, int[][] inNeighbors, double[][] inWeights) {
        int n = selfWeights.length;
        if (n < 1) {
            throw new IllegalArgumentException("size must be >= 1, got 0");
        }
        if (inNeighbors.length != n || inWeights.length != n) {
            throw new IllegalArgumentException("expected " + n + " rows of in-neighbors and weights, got "
                    + inNeighbors.length + " and " + inWeights.length);
        }
        int[] offsets = new int[n + 1];
        for (int i = 0; i < n; i++) {
            if (inNeighbors[i].length != inWeights[i].length) {
                throw new IllegalArgumentException("rank " + i + ": " + inNeighbors[i].length
                        + " in-neighbors but " + inWeights[i].length + " weights");
            }
            offsets[i + 1] = offsets[i] + inNeighbors[i].length;
        }
        int[] sources = new int[offsets[n]];
        double[] weights = new double[offsets[n]];
        for (int i = 0; i < n; i++) {
            if (!Double.isFinite(selfWeights[i])) {
                throw new IllegalArgumentException("rank " + i + ": self weight is " + selfWeights[i]);
            }
            Integer[] order = new Integer[inNeighbors[i].length];
            for (int k = 0; k < order.length; k++) {
                order[k] = k;
            }
            final int row = i;
            Arrays.sort(order, (a, b) -> Integer.compare(inNeighbors[row][a], inNeighbors[row][b]));
            int prev = -1;
            for (int k = 0; k < order.length; k++) {
                int j = inNeighbors[i][order[k]];
                double wij = inWeights[i][order[k]];
                if (j < 0 || j >= n) {
                    throw new IllegalArgumentException("rank " + i + ": in-neighbor " + j + " is outside 0.." + (n - 1));
                }
                if (j == i) {
                    throw new IllegalArgumentException("rank " + i + ": lists itself as in-neighbor; use the self weight");
                }
                if (j == prev) {
                    throw new IllegalArgumentException("rank " + i + ": in-neighbor " + j + " listed twice");
                }
                if (!Double.isFinite(wij)) {
                    throw new IllegalArgumentException("rank " + i + ": weight of in-neighbor " + j + " is " + wij);
                }
                prev = j;
                sources[offsets[i] + k] = j;
                weights[offsets[i] + k] = wij;
            }
        }
        return new Topology(n, selfWeights.clone(), offsets, sources, weights);
    }

    /** @return the number of ranks n */
    public int size() {
        return size;
    }

    /** @return {@code w_rr} */
    public double selfWeight(int rank) {
        checkRank(rank);
        return selfWeights[rank];
    }

    /** @return the ranks {@code rank} receives from, ascending (a fresh array) */
    public int[] inNeighbors(int rank) {
        checkRank(rank);
        return Arrays.copyOfRange(inSources, inOffsets[rank], inOffsets[rank + 1]);
    }

    /** @return {@code w_{rank, j}} for each {@code j} of {@link #inNeighbors(int)}, same order */
    public double[] recvWeights(int rank) {
        checkRank(rank);
        return Arrays.copyOfRange(inWeights, inOffsets[rank], inOffsets[rank + 1]);
    }

    /** @return the ranks that receive from {@code rank}, ascending (a fresh array) */
    public int[] outNeighbors(int rank) {
        checkRank(rank);
        return Arrays.copyOfRange(outTargets, outOffsets[rank], outOffsets[rank + 1]);
    }

    /** @return {@code w_{i, rank}} for each {@code i} of {@link #outNeighbors(int)}, same order */
    public double[] sendWeights(int rank) {
        checkRank(rank);
        return Arrays.copyOfRange(outWeights, outOffsets[rank], outOffsets[rank + 1]);
    }

    /** @return the in-degree of {@code rank} (self excluded) */
    public int inDegree(int rank) {
        checkRank(rank);
        return inOffsets[rank + 1] - inOffsets[rank];
    }

    /** @return the out-degree of {@code rank} (self excluded) */
    public int outDegree(int rank) {
        checkRank(rank);
        return outOffsets[rank + 1] - outOffsets[rank];
    }

    /** @return {@code w_ij}, 0 where there is no edge */
    public double weight(int i, int j) {
        checkRank(i);
        checkRank(j);
        if (i == j) {
            return selfWeights[i];
        }
        int k = Arrays.binarySearch(inSources, inOffsets[i], inOffsets[i + 1], j);
        return k >= 0 ? inWeights[k] : 0.0;
    }

    /** @return the dense mixing matrix W, {@code n x n}, a fresh array */
    public double[][] weightMatrix() {
        double[][] w = new double[size][size];
        for (int i = 0; i < size; i++) {
            w[i][i] = selfWeights[i];
            for (int k = inOffsets[i]; k < inOffsets[i + 1]; k++) {
                w[i][inSources[k]] = inWeights[k];
            }
        }
        return w;
    }

    private void checkRank(int rank) {
        if (rank < 0 || rank >= size) {
            throw new IllegalArgumentException("rank " + rank + " is outside 0.." + (size - 1));
        }
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Topology)) {
            return false;
        }
        Topology t = (Topology) o;
        return size == t.size
                && Arrays.equals(selfWeights, t.selfWeights)
                && Arrays.equals(inOffsets, t.inOffsets)
                && Arrays.equals(inSources, t.inSources)
                && Arrays.equals(inWeights, t.inWeights);
    }

    @Override
    public int hashCode() {
        int h = Integer.hashCode(size);
        h = 31 * h + Arrays.hashCode(selfWeights);
        h = 31 * h + Arrays.hashCode(inSources);
        return 31 * h + Arrays.hashCode(inWeights);
    }

    @Override
    public String toString() {
        return "Topology[n=" + size + ", edges=" + inSources.length + "]";
    }
}
