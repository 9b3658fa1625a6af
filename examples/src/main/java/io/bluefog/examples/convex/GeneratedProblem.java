package io.bluefog.examples.convex;

/**
 * What the generated problems share: n ranks whose objectives are built from rows a[i][k] of dimension
 * d, and the serial minimiser x* and smoothness L, computed once when the problem is generated.
 */
abstract class GeneratedProblem implements ConvexProblem {
    private final int n;
    private final int d;
    private final double[] solution;
    private final double smoothness;

    GeneratedProblem(int n, int d, double[] solution, double smoothness) {
        this.n = n;
        this.d = d;
        this.solution = solution;
        this.smoothness = smoothness;
    }

    @Override
    public final int ranks() {
        return n;
    }

    @Override
    public final int dimension() {
        return d;
    }

    @Override
    public final double[] solution() {
        return solution.clone();
    }

    @Override
    public final double smoothness() {
        return smoothness;
    }

    /** @throws IllegalArgumentException if {@code rank} is outside 0..n-1 */
    @Override
    public final LocalObjective local(int rank) {
        if (rank < 0 || rank >= n) {
            throw new IllegalArgumentException("rank " + rank + " is outside 0.." + (n - 1));
        }
        return objective(rank);
    }

    /** @return rank {@code rank}'s objective, 0 &le; rank &lt; n checked */
    abstract LocalObjective objective(int rank);

    /**
     * @return max_i &lambda;_max((1/(divisor m_i)) A_i&#7488;A_i), the largest curvature of the quadratic part
     *         of any rank's objective (divisor 1 for least squares, 4 for the logistic loss)
     */
    static double maxLocalCurvature(double[][][] a, int d, double divisor) {
        double l = 0;
        for (double[][] rows : a) {
            int m = rows.length;
            double[][] hi = new double[d][d];
            for (double[] row : rows) {
                for (int p = 0; p < d; p++) {
                    for (int q = 0; q < d; q++) {
                        hi[p][q] += row[p] * row[q] / (divisor * m);
                    }
                }
            }
            l = Math.max(l, DenseMath.largestEigenvalue(hi));
        }
        return l;
    }
}
