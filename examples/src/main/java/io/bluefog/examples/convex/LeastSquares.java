package io.bluefog.examples.convex;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

/**
 * Distributed least squares with heterogeneous data: f_i(x) = (1/(2m)) ‖A_i x &minus; b_i‖&sup2;, where rank i's
 * rows a ~ N(0, s_i&sup2; I) have a rank-dependent scale s_i and its targets b = a&middot;x&#770;_i + noise come from a
 * rank-dependent ground truth x&#770;_i, so the local minimisers differ (the heterogeneity that biases D-SGD).
 *
 * <p>Exact reference: x* solves the normal equations (&Sigma;_i A_i&#7488;A_i) x = &Sigma;_i A_i&#7488;b_i (Cholesky).
 */
public final class LeastSquares extends GeneratedProblem {
    private final double[][][] a;
    private final double[][] b;

    private LeastSquares(int n, int d, double[][][] a, double[][] b) {
        super(n, d, normalEquationsSolution(a, b, d), maxLocalCurvature(a, d, 1.0));
        this.a = a;
        this.b = b;
    }

    /** @return x* solving (&Sigma;_i A_i&#7488;A_i) x = &Sigma;_i A_i&#7488;b_i */
    private static double[] normalEquationsSolution(double[][][] a, double[][] b, int d) {
        double[][] h = new double[d][d];
        double[] r = new double[d];
        for (int i = 0; i < a.length; i++) {
            for (int k = 0; k < a[i].length; k++) {
                for (int p = 0; p < d; p++) {
                    r[p] += a[i][k][p] * b[i][k];
                    for (int q = 0; q < d; q++) {
                        h[p][q] += a[i][k][p] * a[i][k][q];
                    }
                }
            }
        }
        return DenseMath.solveSpd(h, r);
    }

    /**
     * @param ranks        n &ge; 1
     * @param dimension    d &ge; 1
     * @param rowsPerRank  m &ge; d (so every f_i is strongly convex)
     * @param heterogeneity spread of the ranks' ground truths (0 = identical distributions up to the feature scale)
     * @param seed         the same on every rank
     */
    public static LeastSquares generate(int ranks, int dimension, int rowsPerRank, double heterogeneity, long seed) {
        if (ranks < 1 || dimension < 1 || rowsPerRank < dimension) {
            throw new IllegalArgumentException("need ranks >= 1, dimension >= 1, rowsPerRank >= dimension; got "
                    + ranks + ", " + dimension + ", " + rowsPerRank);
        }
        Random rnd = new Random(seed);
        double[] common = gaussian(rnd, dimension, 1.0);
        double[][][] a = new double[ranks][rowsPerRank][];
        double[][] b = new double[ranks][rowsPerRank];
        for (int i = 0; i < ranks; i++) {
            double scale = 0.8 + 0.4 * rnd.nextDouble();
            double[] truth = gaussian(rnd, dimension, heterogeneity);
            for (int p = 0; p < dimension; p++) {
                truth[p] += common[p];
            }
            for (int k = 0; k < rowsPerRank; k++) {
                a[i][k] = gaussian(rnd, dimension, scale);
                b[i][k] = DenseMath.dot(a[i][k], truth) + 0.1 * rnd.nextGaussian();
            }
        }
        return new LeastSquares(ranks, dimension, a, b);
    }

    static double[] gaussian(Random rnd, int d, double sd) {
        double[] v = new double[d];
        for (int p = 0; p < d; p++) {
            v[p] = sd * rnd.nextGaussian();
        }
        return v;
    }

    @Override
    LocalObjective objective(int rank) {
        int d = dimension();
        INDArray am = Nd4j.createFromArray(a[rank]);
        INDArray bm = Nd4j.createFromArray(b[rank]).reshape(b[rank].length, 1);
        int m = b[rank].length;
        return new LocalObjective() {
            @Override
            public int dimension() {
                return d;
            }

            @Override
            public double value(INDArray x) {
                INDArray res = am.mmul(x.reshape(d, 1)).subi(bm);
                double norm = res.norm2Number().doubleValue();
                return norm * norm / (2.0 * m);
            }

            @Override
            public INDArray gradient(INDArray x) {
                INDArray res = am.mmul(x.reshape(d, 1)).subi(bm);
                return am.transpose().mmul(res).divi(m).reshape(x.shape());
            }
        };
    }
}
