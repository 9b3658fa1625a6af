package io.bluefog.examples.convex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.collectives.Collectives;
import io.bluefog.local.LocalCluster;
import io.bluefog.optimizers.Algorithm;
import io.bluefog.optimizers.DecentralizedOptimizer;
import io.bluefog.optimizers.OptimizerConfig;
import io.bluefog.optimizers.algorithms.ChocoSgd;
import io.bluefog.optimizers.compression.Compressor;
import io.bluefog.optimizers.updaters.LocalUpdater;
import io.bluefog.topology.Topologies;
import io.bluefog.topology.Topology;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * CHOCO-SGD with top-k 10% on the heterogeneous least-squares problem (full local gradients, a
 * constant step): it converges to the neighborhood of x* that D-SGD (ATC) reaches with the same
 * step, while sending 10% of the coordinates (with their indices).
 */
class ChocoConvexTest {
    private static final int N = 4;
    private static final int DIM = 20;
    /** Steps of the LocalCluster run compared with the serial simulation. */
    private static final int DISTRIBUTED_STEPS = 200;
    /** Steps after which the serial CHOCO has converged (checked: 1000 more change the distance by < 0.1%). */
    private static final int SERIAL_STEPS = 6000;

    /** Serial D-SGD (ATC): x_i &larr; sum_j w_ij (x_j - lr g_j(x_j)), from x = 0. */
    private static double[][] serialAtc(LeastSquares p, double[][] w, double lr, int steps) {
        double[][] x = new double[N][DIM];
        for (int t = 0; t < steps; t++) {
            double[][] half = halfStep(p, x, lr);
            x = new double[N][DIM];
            for (int i = 0; i < N; i++) {
                for (int j = 0; j < N; j++) {
                    for (int k = 0; k < DIM; k++) {
                        x[i][k] += w[i][j] * half[j][k];
                    }
                }
            }
        }
        return x;
    }

    /**
     * Serial CHOCO-SGD (Koloskova et al., ICML 2019, Algorithm 2) with every public copy kept
     * separately, the compressor's own packed messages (float32 values) included.
     */
    private static double[][] serialChoco(LeastSquares p, double[][] w, Compressor q, double gamma, double lr, int steps) {
        double[][] x = new double[N][DIM];
        double[][] xhat = new double[N][DIM];
        for (int t = 0; t < steps; t++) {
            x = halfStep(p, x, lr);
            for (int i = 0; i < N; i++) {
                double[] diff = new double[DIM];
                for (int k = 0; k < DIM; k++) {
                    diff[k] = x[i][k] - xhat[i][k];
                }
                q.decodeAdd(java.nio.ByteBuffer.wrap(q.encode(diff, 0, null)), 0, q.chocoScale(DIM), xhat[i]);
            }
            double[][] next = new double[N][DIM];
            for (int i = 0; i < N; i++) {
                for (int k = 0; k < DIM; k++) {
                    double c = 0;
                    for (int j = 0; j < N; j++) {
                        c += w[i][j] * (xhat[j][k] - xhat[i][k]);
                    }
                    next[i][k] = x[i][k] + gamma * c;
                }
            }
            x = next;
        }
        return x;
    }

    /**
     * Each f_i is quadratic, g_i(x) = H_i x - r_i: read H_i and r_i off the problem's own gradient
     * (r_i = -g_i(0), column k of H_i = g_i(e_k) + r_i) once, then step in plain Java.
     */
    private static final java.util.Map<LeastSquares, double[][][]> QUADRATICS = new java.util.IdentityHashMap<>();

    private static double[][][] quadratics(LeastSquares p) {
        return QUADRATICS.computeIfAbsent(p, q -> {
            double[][][] hr = new double[N][DIM + 1][DIM];
            for (int i = 0; i < N; i++) {
                LocalObjective f = q.local(i);
                double[] g0 = f.gradient(Nd4j.zeros(DataType.DOUBLE, 1, DIM)).toDoubleVector();
                for (int k = 0; k < DIM; k++) {
                    hr[i][DIM][k] = -g0[k];
                }
                for (int c = 0; c < DIM; c++) {
                    INDArray e = Nd4j.zeros(DataType.DOUBLE, 1, DIM);
                    e.putScalar(c, 1.0);
                    double[] gc = f.gradient(e).toDoubleVector();
                    for (int k = 0; k < DIM; k++) {
                        hr[i][k][c] = gc[k] - g0[k];
                    }
                }
            }
            return hr;
        });
    }

    private static double[][] halfStep(LeastSquares p, double[][] x, double lr) {
        double[][][] hr = quadratics(p);
        double[][] half = new double[N][DIM];
        for (int i = 0; i < N; i++) {
            for (int k = 0; k < DIM; k++) {
                double g = -hr[i][DIM][k];
                for (int c = 0; c < DIM; c++) {
                    g += hr[i][k][c] * x[i][c];
                }
                half[i][k] = x[i][k] - lr * g;
            }
        }
        return half;
    }

    /** @return {mean over ranks of ||x_i - x*||, ||x_bar - x*||} */
    private static double[] distances(LeastSquares p, double[][] x) {
        double[] xstar = p.solution();
        double local = 0;
        double[] mean = new double[DIM];
        for (double[] xi : x) {
            double s = 0;
            for (int k = 0; k < DIM; k++) {
                s += (xi[k] - xstar[k]) * (xi[k] - xstar[k]);
                mean[k] += xi[k] / N;
            }
            local += Math.sqrt(s) / N;
        }
        double m = 0;
        for (int k = 0; k < DIM; k++) {
            m += (mean[k] - xstar[k]) * (mean[k] - xstar[k]);
        }
        return new double[] {local, Math.sqrt(m)};
    }

    /** CHOCO on LocalCluster, every rank's parameters after {@code steps} steps. */
    private static double[][] distributedChoco(LeastSquares p, Topology w, Compressor q, double gamma, double lr, int steps) {
        OptimizerConfig config = OptimizerConfig.builder(Algorithm.CHOCO).updater(LocalUpdater.sgd(lr)).topology(w).build();
        List<double[]> finals = LocalCluster.call(N, bf -> {
            LocalObjective f = p.local(bf.rank());
            INDArray x = Nd4j.zeros(DataType.DOUBLE, 1, DIM);
            try (Collectives c = Collectives.of(bf)) {
                DecentralizedOptimizer opt = ChocoSgd.factory(q, gamma, 1).create(c, w, x, config);
                for (int k = 0; k < steps; k++) {
                    opt.step(f.gradient(x));
                }
            }
            return x.toDoubleVector();
        });
        return finals.toArray(new double[0][]);
    }

    /** Same equations, same float32 messages: the summation orders of the gradient and the mixing differ. */
    private static final double SERIAL_TOLERANCE = 1e-9;

    @Test
    void onLocalClusterChocoFollowsTheSerialSimulation() {
        LeastSquares p = LeastSquares.generate(N, DIM, 40, 1.0, 5);
        double lr = 0.5 / p.smoothness();
        Topology ring = Topologies.ring(N);
        Compressor q = Compressor.parse("top-k:0.1");
        double[][] serial = serialChoco(p, ring.weightMatrix(), q, 0.6, lr, DISTRIBUTED_STEPS);
        double[][] got = distributedChoco(p, ring, q, 0.6, lr, DISTRIBUTED_STEPS);
        for (int i = 0; i < N; i++) {
            for (int k = 0; k < DIM; k++) {
                assertEquals(serial[i][k], got[i][k], SERIAL_TOLERANCE * Math.max(1, Math.abs(serial[i][k])),
                        "rank " + i + " coordinate " + k);
            }
        }
    }

    /**
     * CHOCO's fixed point satisfies lr g(x_i) = gamma sum_j w_ij (xhalf_j - xhalf_i), D-SGD's
     * lr g(x_i) = sum_j w_ij (xhalf_j - xhalf_i): CHOCO lands in the neighborhood that D-SGD reaches
     * with the step lr/gamma. Measured on this problem: 1.5 times its distance to x* (ring of 4,
     * heterogeneity 1, gamma 0.6); the factor leaves room without admitting divergence, which makes
     * the distance grow without bound (gamma = 1 diverges here).
     */
    private static final double NEIGHBORHOOD_FACTOR = 2.5;

    @Test
    void topKTenPercentConvergesToTheNeighborhoodOfDsgd() {
        LeastSquares p = LeastSquares.generate(N, DIM, 40, 1.0, 5);
        double lr = 0.5 / p.smoothness();
        double gamma = 0.6;
        double[][] w = Topologies.ring(N).weightMatrix();
        double norm = Math.sqrt(java.util.Arrays.stream(p.solution()).map(v -> v * v).sum());
        Compressor q = Compressor.parse("top-k:0.1");
        double[] dsgd = distances(p, serialAtc(p, w, lr / gamma, SERIAL_STEPS));
        double[][] chocoX = serialChoco(p, w, q, gamma, lr, SERIAL_STEPS);
        double[] choco = distances(p, chocoX);
        double[] chocoLater = distances(p, serialChoco(p, w, q, gamma, lr, SERIAL_STEPS + 1000));
        String numbers = String.format("||x*|| %.4f; D-SGD (lr/gamma): mean over ranks of ||x_i - x*|| %.3e, ||x_bar - x*|| %.3e; "
                + "CHOCO top-k 10%%: %.3e, %.3e; 1000 steps later %.3e", norm, dsgd[0], dsgd[1], choco[0], choco[1], chocoLater[0]);
        System.out.println(numbers);
        assertTrue(choco[0] <= NEIGHBORHOOD_FACTOR * dsgd[0], numbers);
        assertTrue(choco[1] <= NEIGHBORHOOD_FACTOR * dsgd[1], numbers);
        assertEquals(choco[0], chocoLater[0], 1e-3 * choco[0], "converged: " + numbers);
    }
}
