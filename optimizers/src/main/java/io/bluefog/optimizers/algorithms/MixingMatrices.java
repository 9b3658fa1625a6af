package io.bluefog.optimizers.algorithms;

import io.bluefog.topology.Topology;

/**
 * Mixing matrices derived from a topology for particular algorithms. Exact Diffusion's lazy
 * W&#772; = (I + W)/2 is {@link io.bluefog.topology.Topologies#lazy(Topology)}.
 */
public final class MixingMatrices {
    private MixingMatrices() {
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
