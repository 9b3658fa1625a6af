package io.bluefog.topology;

/**
 * Static factories of the standard topologies, named after the graph. Each returns a
 * {@link Topology} whose mixing matrix follows the definition in {@code shared/DESIGN.md}.
 * Bad input throws {@link IllegalArgumentException} naming the parameter.
 */
public final class Topologies {
    private Topologies() {
    }

    /**
     * Exponential graph with base 2 (Ying et al., "Exponential Graph is Provably Efficient for
     * Decentralized Deep Training", NeurIPS 2021; BlueFog's {@code ExponentialGraph}): rank i sends
     * to {@code i + 2^k mod n} for {@code k = 0..floor(log2(n-1))}; every rank keeps and receives
     * with the uniform weight {@code 1/(ceil(log2 n) + 1)}. For even n,
     * {@code rho = 1 - 2/(1 + ceil(log2 n))}.
     *
     * @param n number of ranks, &ge; 1
     */
    public static Topology exponential(int n) {
        requireSize(n);
        int degree = n == 1 ? 0 : 32 - Integer.numberOfLeadingZeros(n - 1); // ceil(log2 n)
        double w = 1.0 / (degree + 1);
        double[] self = new double[n];
        int[][] in = new int[n][degree];
        double[][] weights = new double[n][degree];
        for (int i = 0; i < n; i++) {
            self[i] = w;
            for (int k = 0; k < degree; k++) {
                in[i][k] = Math.floorMod(i - (1 << k), n);
                weights[i][k] = w;
            }
        }
        return Topology.of(self, in, weights);
    }

    /**
     * Bidirectional ring: rank i receives from {@code i-1} and {@code i+1} (mod n), weights 1/3
     * (n = 2: all 1/2; n = 1: [1]).
     *
     * @param n number of ranks, &ge; 1
     */
    public static Topology ring(int n) {
        requireSize(n);
        if (n <= 2) {
            double w = 1.0 / n;
            double[][] m = new double[n][n];
            for (double[] row : m) {
                java.util.Arrays.fill(row, w);
            }
            return Topology.fromWeightMatrix(m);
        }
        double[] self = new double[n];
        int[][] in = new int[n][];
        double[][] weights = new double[n][];
        for (int i = 0; i < n; i++) {
            self[i] = 1.0 / 3;
            in[i] = new int[] {Math.floorMod(i - 1, n), (i + 1) % n};
            weights[i] = new double[] {1.0 / 3, 1.0 / 3};
        }
        return Topology.of(self, in, weights);
    }

    static void requireSize(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("size n must be >= 1, got " + n);
        }
    }
}
