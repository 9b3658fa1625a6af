package io.bluefog.optimizers.algorithms;

import io.bluefog.topology.Topology;

/** Mixing matrices derived from a topology for particular algorithms. */
public final class MixingMatrices {
    private MixingMatrices() {
    }

    /**
     * The lazy matrix W&#772; = (I + W)/2 of Exact Diffusion (Yuan et al., IEEE TSP 2019): self weights
     * (1 + w_ii)/2, neighbor weights w_ij/2. Positive definite whenever W is symmetric doubly stochastic.
     */
    public static Topology lazy(Topology w) {
        int n = w.size();
        double[] self = new double[n];
        int[][] in = new int[n][];
        double[][] weights = new double[n][];
        for (int i = 0; i < n; i++) {
            self[i] = (1 + w.selfWeight(i)) / 2;
            in[i] = w.inNeighbors(i);
            weights[i] = w.recvWeights(i);
            for (int k = 0; k < weights[i].length; k++) {
                weights[i][k] /= 2;
            }
        }
        return Topology.of(self, in, weights);
    }

    /**
     * The column-stochastic matrix of push-sum on the topology's directed graph: every rank j keeps
     * and sends to each out-neighbor the share 1/(outdeg(j) + 1), i.e. p_ij = 1/(outdeg(j) + 1) for
     * every edge j &rarr; i and p_jj = 1/(outdeg(j) + 1). Columns sum to 1; rows need not.
     */
    public static Topology columnStochastic(Topology w) {
        int n = w.size();
        double[] self = new double[n];
        int[][] in = new int[n][];
        double[][] weights = new double[n][];
        for (int i = 0; i < n; i++) {
            self[i] = 1.0 / (w.outDegree(i) + 1);
            in[i] = w.inNeighbors(i);
            weights[i] = new double[in[i].length];
            for (int k = 0; k < in[i].length; k++) {
                weights[i][k] = 1.0 / (w.outDegree(in[i][k]) + 1);
            }
        }
        return Topology.of(self, in, weights);
    }
}
