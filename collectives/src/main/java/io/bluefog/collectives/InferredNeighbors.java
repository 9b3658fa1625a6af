package io.bluefog.collectives;

import java.util.Arrays;

/**
 * What {@link Collectives#inferSourceRanks(int[])} and {@link Collectives#inferDestinationRanks(int[])}
 * learn: this rank's inferred peers and the adjacency matrix of the whole graph, as BlueFog's
 * {@code InferSourceFromDestinationRanks} / {@code InferDestinationFromSourceRanks} with
 * {@code construct_adjacency_matrix=True} return them. Immutable.
 */
public final class InferredNeighbors {
    private final int[] ranks;
    private final double[][] adjacency;

    private InferredNeighbors(int[] ranks, double[][] adjacency) {
        this.ranks = ranks;
        this.adjacency = adjacency;
    }

    /** @param sends {@code sends[i][j]}: i sends to j (diagonal false) */
    static InferredNeighbors of(boolean[][] sends, int me, boolean wantDestinations) {
        int n = sends.length;
        int[] ranks = java.util.stream.IntStream.range(0, n)
                .filter(k -> wantDestinations ? sends[me][k] : sends[k][me]).toArray();
        double[][] w = new double[n][n];
        for (int j = 0; j < n; j++) {
            int receives = 1; // self
            for (int i = 0; i < n; i++) {
                if (sends[i][j]) {
                    receives++;
                }
            }
            for (int i = 0; i < n; i++) {
                if (i == j || sends[i][j]) {
                    w[i][j] = 1.0 / receives;
                }
            }
        }
        return new InferredNeighbors(ranks, w);
    }

    /** @return this rank's inferred sources (or destinations), ascending (a fresh array) */
    public int[] ranks() {
        return ranks.clone();
    }

    /**
     * @return the n x n matrix {@code A} with {@code A[i][j]} the weight of what rank j receives
     *         from rank i: {@code 1/(indeg_j + 1)} when {@code i == j} or i sends to j, else 0, so
     *         every column sums to 1 (BlueFog's documented "column normalized" matrix; BlueFog's
     *         code divides column j by {@code outdeg_j + 1} instead, which is the same whenever every
     *         rank has as many sources as destinations). A fresh copy.
     */
    public double[][] adjacencyMatrix() {
        double[][] copy = new double[adjacency.length][];
        for (int i = 0; i < copy.length; i++) {
            copy[i] = adjacency[i].clone();
        }
        return copy;
    }

    @Override
    public String toString() {
        return "InferredNeighbors" + Arrays.toString(ranks);
    }
}
