package io.bluefog.examples.convex;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.Random;

/**
 * Distributed &#8467;2-regularised logistic regression with heterogeneous data:
 * f_i(x) = (1/m) &Sigma;_k log(1 + exp(&minus;y_k a_k&middot;x)) + (&lambda;/2)‖x‖&sup2;, labels y in {&minus;1, +1}. Rank i's
 * features are shifted by a rank-dependent mean and its labels follow a rank-dependent separator,
 * so the local minimisers differ.
 *
 * <p>Exact reference: Newton's method on (1/n) &Sigma;_i f_i (Cholesky solves) until the step is below
 * 1e-15 relative, i.e. to machine precision. L = max_i (&lambda;_max(A_i&#7488;A_i)/(4m) + &lambda;).
 */
public final class LogisticRegression extends GeneratedProblem {
    private static final int MAX_NEWTON_STEPS = 100;
    private final double lambda;
    private final double[][][] a;
    private final double[][] y;

    private LogisticRegression(int n, int d, double lambda, double[][][] a, double[][] y) {
        super(n, d, newton(a, y, lambda, d), maxLocalCurvature(a, d, 4.0) + lambda);
        this.lambda = lambda;
        this.a = a;
        this.y = y;
    }

    /**
     * @param ranks       n &ge; 1
     * @param dimension   d &ge; 1
     * @param rowsPerRank m &ge; 1
     * @param lambda      &lambda; &gt; 0 (makes the problem strongly convex)
     * @param seed        the same on every rank
     */
    public static LogisticRegression generate(int ranks, int dimension, int rowsPerRank, double lambda, long seed) {
        if (ranks < 1 || dimension < 1 || rowsPerRank < 1 || !(lambda > 0)) {
            throw new IllegalArgumentException("need ranks, dimension, rowsPerRank >= 1 and lambda > 0; got "
                    + ranks + ", " + dimension + ", " + rowsPerRank + ", " + lambda);
        }
        Random rnd = new Random(seed);
        double[][][] a = new double[ranks][rowsPerRank][];
        double[][] y = new double[ranks][rowsPerRank];
        for (int i = 0; i < ranks; i++) {
            double[] shift = LeastSquares.gaussian(rnd, dimension, 0.5);
            double[] separator = LeastSquares.gaussian(rnd, dimension, 1.0);
            for (int k = 0; k < rowsPerRank; k++) {
                double[] row = LeastSquares.gaussian(rnd, dimension, 1.0);
                for (int p = 0; p < dimension; p++) {
                    row[p] += shift[p];
                }
                a[i][k] = row;
                double margin = DenseMath.dot(row, separator) + 0.5 * rnd.nextGaussian();
                y[i][k] = margin >= 0 ? 1 : -1;
            }
        }
        return new LogisticRegression(ranks, dimension, lambda, a, y);
    }

    private static double[] newton(double[][][] a, double[][] y, double lambda, int d) {
        int n = a.length;
        double[] x = new double[d];
        for (int step = 0; step < MAX_NEWTON_STEPS; step++) {
            double[] g = new double[d];
            double[][] h = new double[d][d];
            for (int i = 0; i < n; i++) {
                int m = a[i].length;
                for (int k = 0; k < m; k++) {
                    double[] row = a[i][k];
                    double z = y[i][k] * DenseMath.dot(row, x);
                    double s = 1.0 / (1.0 + Math.exp(z)); // sigma(-z)
                    for (int p = 0; p < d; p++) {
                        g[p] += -y[i][k] * s * row[p] / (m * (double) n);
                        for (int q = 0; q < d; q++) {
                            h[p][q] += s * (1 - s) * row[p] * row[q] / (m * (double) n);
                        }
                    }
                }
            }
            for (int p = 0; p < d; p++) {
                g[p] += lambda * x[p];
                h[p][p] += lambda;
            }
            double[] delta = DenseMath.solveSpd(h, g);
            for (int p = 0; p < d; p++) {
                x[p] -= delta[p];
            }
            if (DenseMath.norm(delta) <= 1e-15 * Math.max(1, DenseMath.norm(x))) {
                return x;
            }
        }
        return x;
    }

    /**
     * Rank {@code rank}'s rows as a finite sum for {@link io.bluefog.optimizers.svrg.AsySvrg}:
     * f_k(x) = log(1 + exp(&minus;y_k a_k&middot;x)) + (&lambda;/2)‖x‖&sup2; per row, so the mean over all
     * ranks' rows (equal m per rank) is this problem's objective and {@link #solution()} its minimiser.
     *
     * @param rank 0 &le; rank &lt; {@link #ranks()}
     */
    public io.bluefog.optimizers.svrg.FiniteSum finiteSum(int rank) {
        if (rank < 0 || rank >= a.length) {
            throw new IllegalArgumentException("rank must be in 0.." + (a.length - 1) + ", got " + rank);
        }
        double[][] rows = a[rank];
        double[] labels = y[rank];
        int d = dimension();
        return new io.bluefog.optimizers.svrg.FiniteSum() {
            @Override
            public int dimension() {
                return d;
            }

            @Override
            public int samples() {
                return rows.length;
            }

            @Override
            public double addGradient(double[] x, int[] idx, double[] gradient) {
                int count = idx == null ? rows.length : idx.length;
                double loss = 0;
                double sq = DenseMath.dot(x, x);
                for (int c = 0; c < count; c++) {
                    int k = idx == null ? c : idx[c];
                    double z = labels[k] * DenseMath.dot(rows[k], x);
                    // log(1 + exp(-z)), stable for both signs
                    loss += (z > 0 ? Math.log1p(Math.exp(-z)) : -z + Math.log1p(Math.exp(z))) + 0.5 * lambda * sq;
                    double s = 1.0 / (1.0 + Math.exp(z)); // sigma(-z)
                    for (int p = 0; p < d; p++) {
                        gradient[p] += -labels[k] * s * rows[k][p] + lambda * x[p];
                    }
                }
                return loss;
            }
        };
    }

    @Override
    LocalObjective objective(int rank) {
        int d = dimension();
        int m = a[rank].length;
        INDArray am = Nd4j.createFromArray(a[rank]);
        INDArray ym = Nd4j.createFromArray(y[rank]).reshape(m, 1);
        return new LocalObjective() {
            @Override
            public int dimension() {
                return d;
            }

            @Override
            public double value(INDArray x) {
                INDArray z = am.mmul(x.reshape(d, 1)).muli(ym);
                // log(1 + exp(-z)) = softplus(-z)
                double loss = Transforms.softPlus(z.neg(), false).sumNumber().doubleValue() / m;
                double norm = x.norm2Number().doubleValue();
                return loss + 0.5 * lambda * norm * norm;
            }

            @Override
            public INDArray gradient(INDArray x) {
                INDArray z = am.mmul(x.reshape(d, 1)).muli(ym);
                INDArray s = Transforms.sigmoid(z.neg(), false); // sigma(-z)
                INDArray coeff = s.muli(ym).negi().divi(m);      // -y sigma(-z) / m
                INDArray g = am.transpose().mmul(coeff).reshape(x.shape());
                return g.addi(x.mul(lambda));
            }
        };
    }
}
