package io.bluefog.optimizers.algorithms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.collectives.Collectives;
import io.bluefog.local.LocalCluster;
import io.bluefog.optimizers.Algorithm;
import io.bluefog.optimizers.DecentralizedOptimizer;
import io.bluefog.optimizers.OptimizerConfig;
import io.bluefog.optimizers.OptimizerFactory;
import io.bluefog.optimizers.compression.Compressor;
import io.bluefog.optimizers.updaters.LocalUpdater;
import io.bluefog.topology.Topologies;
import io.bluefog.topology.Topology;
import io.bluefog.topology.dynamic.Schedules;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * CHOCO-SGD and DiLoCo on LocalCluster against dense serial simulations of their equations on
 * f_i(x) = ½‖x − c_i‖² with SGD (float64 parameters), and against the algorithms they reduce to.
 */
class ChocoAndDiLoCoTest {
    private static final int N = 5;
    private static final int DIM = 20;
    private static final int STEPS = 15;
    private static final double LR = 0.2;
    /** Serial and distributed runs of the same float64 equations: summation order only. */
    private static final double TOLERANCE = 1e-12;
    /** CHOCO sends float32 values: the identity compressor rounds each difference it sends. */
    private static final double FLOAT32_MESSAGES = 1e-6;

    private static double[][] centers() {
        Random r = new Random(3);
        double[][] c = new double[N][DIM];
        for (int i = 0; i < N; i++) {
            for (int k = 0; k < DIM; k++) {
                c[i][k] = 2 * r.nextGaussian() + i;
            }
        }
        return c;
    }

    private static double[][] starts() {
        Random r = new Random(4);
        double[][] x = new double[N][DIM];
        for (double[] row : x) {
            for (int k = 0; k < DIM; k++) {
                row[k] = r.nextGaussian();
            }
        }
        return x;
    }

    /** Runs an optimizer on every rank; returns every rank's parameters after each step. */
    private static List<double[][]> run(OptimizerFactory factory, Algorithm label, Topology topology, int period) {
        double[][] c = centers();
        double[][] x0 = starts();
        OptimizerConfig config = OptimizerConfig.builder(label).updater(LocalUpdater.sgd(LR)).topology(topology)
                .period(period).broadcastAtStart(false).build();
        return LocalCluster.call(N, bf -> {
            int r = bf.rank();
            INDArray x = Nd4j.createFromArray(x0[r].clone()).reshape(1, DIM);
            INDArray center = Nd4j.createFromArray(c[r].clone()).reshape(1, DIM);
            double[][] trace = new double[STEPS][];
            try (Collectives col = Collectives.of(bf)) {
                DecentralizedOptimizer opt = factory.create(col, topology, x, config);
                for (int k = 0; k < STEPS; k++) {
                    opt.step(x.sub(center));
                    trace[k] = x.toDoubleVector();
                }
            }
            return trace;
        });
    }

    private static void assertTrace(double[][][] expected, List<double[][]> got, double tolerance, String what) {
        for (int k = 0; k < STEPS; k++) {
            for (int i = 0; i < N; i++) {
                for (int p = 0; p < DIM; p++) {
                    assertEquals(expected[k][i][p], got.get(i)[k][p], tolerance * Math.max(1, Math.abs(expected[k][i][p])),
                            what + ": step " + k + " rank " + i + " coordinate " + p);
                }
            }
        }
    }

    /** Serial ATC D-SGD: x &larr; W (x − lr g). */
    private static double[][][] atcReference(Topology topology) {
        double[][] w = topology.weightMatrix();
        double[][] c = centers();
        double[][] x = starts();
        double[][][] trace = new double[STEPS][][];
        for (int k = 0; k < STEPS; k++) {
            double[][] half = new double[N][DIM];
            for (int i = 0; i < N; i++) {
                for (int p = 0; p < DIM; p++) {
                    half[i][p] = x[i][p] - LR * (x[i][p] - c[i][p]);
                }
            }
            x = new double[N][DIM];
            for (int i = 0; i < N; i++) {
                for (int j = 0; j < N; j++) {
                    for (int p = 0; p < DIM; p++) {
                        x[i][p] += w[i][j] * half[j][p];
                    }
                }
            }
            trace[k] = x;
        }
        return trace;
    }

    /**
     * Serial CHOCO-SGD (ICML 2019, Algorithm 2) with every public copy kept separately: xhat[j] is
     * everyone's copy of rank j. Reproduces the ranks' private generators (QSGD's rounding) from
     * {@code seed}, not the shared seeds (random-k's).
     */
    private static double[][][] chocoReference(Topology topology, Compressor q, double gamma, long seed) {
        java.util.SplittableRandom[] own = new java.util.SplittableRandom[N];
        for (int i = 0; i < N; i++) {
            own[i] = ChocoSgd.privateRandom(seed, i);
        }
        double[][] w = topology.weightMatrix();
        double[][] c = centers();
        double[][] x = starts();
        double[][] xhat = new double[N][DIM];
        double scale = q.chocoScale(DIM);
        double[][][] trace = new double[STEPS][][];
        for (int k = 0; k < STEPS; k++) {
            for (int i = 0; i < N; i++) {
                double[] diff = new double[DIM];
                for (int p = 0; p < DIM; p++) {
                    x[i][p] -= LR * (x[i][p] - c[i][p]);
                    diff[p] = x[i][p] - xhat[i][p];
                }
                double[] qi = new double[DIM];
                q.decodeAdd(ByteBuffer.wrap(q.encode(diff, 0, own[i])), 0, scale, qi);
                for (int p = 0; p < DIM; p++) {
                    xhat[i][p] += qi[p];
                }
            }
            double[][] next = new double[N][DIM];
            for (int i = 0; i < N; i++) {
                for (int p = 0; p < DIM; p++) {
                    double consensus = 0;
                    for (int j = 0; j < N; j++) {
                        consensus += w[i][j] * (xhat[j][p] - xhat[i][p]);
                    }
                    next[i][p] = x[i][p] + gamma * consensus;
                }
            }
            x = next;
            trace[k] = new double[N][];
            for (int i = 0; i < N; i++) {
                trace[k][i] = x[i].clone();
            }
        }
        return trace;
    }

    @Test
    void chocoWithTheIdentityCompressorAndGammaOneIsAtcStepForStep() {
        Topology ring = Topologies.ring(N);
        List<double[][]> got = run(ChocoSgd.factory(Compressor.parse("identity"), 1.0, 7), Algorithm.CHOCO, ring, 1);
        assertTrace(atcReference(ring), got, FLOAT32_MESSAGES, "CHOCO identity vs ATC");
    }

    @Test
    void chocoMatchesItsSerialEquationsWithTopKSignAndQsgd() {
        // QSGD's Elias-coded messages differ in length between ranks and rounds
        Topology ring = Topologies.ring(N);
        for (String form : new String[] {"top-k:0.1", "sign", "qsgd:2", "qsgd:16"}) {
            Compressor q = Compressor.parse(form);
            List<double[][]> got = run(ChocoSgd.factory(q, 0.4, 7), Algorithm.CHOCO, ring, 1);
            assertTrace(chocoReference(ring, q, 0.4, 7), got, TOLERANCE, "CHOCO " + form);
        }
    }

    @Test
    void chocoTopKDiffersFromAtc() {
        // the reference above is not ATC in disguise: top-k 10% on 20 coordinates sends 2 of them
        Topology ring = Topologies.ring(N);
        double[][][] choco = chocoReference(ring, Compressor.parse("top-k:0.1"), 0.4, 7);
        double[][][] atc = atcReference(ring);
        assertTrue(Math.abs(choco[STEPS - 1][0][0] - atc[STEPS - 1][0][0]) > 1e-3);
    }

    /** Bytes per rank per step from {@link DecentralizedOptimizer#bytesSent()} after {@code steps} steps. */
    private static double bytesPerStep(OptimizerFactory factory, Algorithm label, int period) {
        OptimizerConfig config = OptimizerConfig.builder(label).updater(LocalUpdater.sgd(LR)).topology(Topologies.ring(N))
                .period(period).build();
        List<Long> bytes = LocalCluster.call(N, bf -> {
            INDArray x = Nd4j.ones(DataType.DOUBLE, 1, DIM);
            try (Collectives col = Collectives.of(bf)) {
                DecentralizedOptimizer opt = factory.create(col, bf.mixingTopology(), x, config);
                for (int k = 0; k < 6; k++) {
                    opt.step(x.mul(0.5));
                }
                return opt.bytesSent();
            }
        });
        for (long b : bytes) {
            assertEquals(bytes.get(0), b, "every rank of the ring sends the same");
        }
        return bytes.get(0) / 6.0;
    }

    @Test
    void bytesSentCountThePackedMessages() {
        // ring: 2 out-neighbors; DIM = 20 float64 values are 160 bytes
        assertEquals(2 * 160, bytesPerStep(OptimizerFactory.builtIn(), Algorithm.ATC, 1));
        assertEquals(Math.round(2.0 * 4 / 5 * 160), bytesPerStep(OptimizerFactory.builtIn(), Algorithm.ALLREDUCE, 1));
        // every CHOCO message is one int32 length word and the message padded to whole int32 words
        // top-k 10%: k = 2, 2 int32 indices + 2 float32 values = 16 bytes, + 4 = 20 per neighbor
        assertEquals(2 * 20, bytesPerStep(ChocoSgd.factory(Compressor.parse("top-k:0.1"), 0.5, 1), Algorithm.CHOCO, 1));
        // sign: float32 scale + 3 bytes of bits = 7, padded to 8, + 4 = 12
        assertEquals(2 * 12, bytesPerStep(ChocoSgd.factory(Compressor.parse("sign"), 0.5, 1), Algorithm.CHOCO, 1));
        // DiLoCo H = 3: one allreduce of 160 bytes every 3 steps
        assertEquals(Math.round(2.0 * 4 / 5 * 160) / 3.0, bytesPerStep(DiLoCo.factory(1, 0, false), Algorithm.DILOCO, 3), 1e-9);
    }

    @Test
    void chocoRejectsADynamicScheduleAndABadGamma() {
        OptimizerConfig config = OptimizerConfig.builder(Algorithm.CHOCO).updater(LocalUpdater.sgd(LR))
                .topology(Schedules.onePeerExponential(4)).build();
        List<String> messages = LocalCluster.call(4, bf -> {
            try (Collectives col = Collectives.of(bf)) {
                return assertThrows(IllegalArgumentException.class, () -> ChocoSgd.factory(Compressor.parse("sign"), 0.5, 1)
                        .create(col, bf.mixingTopology(), Nd4j.ones(DataType.DOUBLE, 1, 4), config)).getMessage();
            }
        });
        assertTrue(messages.get(0).contains("static topology"), messages.get(0));
        assertThrows(IllegalArgumentException.class, () -> ChocoSgd.factory(Compressor.parse("sign"), 0, 1));
        assertThrows(IllegalArgumentException.class, () -> ChocoSgd.factory(Compressor.parse("sign"), 1.5, 1));
        IllegalArgumentException noFactory = assertThrows(IllegalArgumentException.class,
                () -> Algorithms.create(null, null, null, OptimizerConfig.builder(Algorithm.CHOCO).build()));
        assertTrue(noFactory.getMessage().contains("ChocoSgd.factory"), noFactory.getMessage());
    }

    @Test
    void dilocoWithPeriodOneOuterLrOneAndNoMomentumIsGradientAllreduceStepForStep() {
        Topology ring = Topologies.ring(N);
        List<double[][]> diloco = run(DiLoCo.factory(1.0, 0.0, false), Algorithm.DILOCO, ring, 1);
        List<double[][]> allreduce = run(OptimizerFactory.builtIn(), Algorithm.ALLREDUCE, ring, 1);
        double[][][] expected = new double[STEPS][N][];
        for (int k = 0; k < STEPS; k++) {
            for (int i = 0; i < N; i++) {
                expected[k][i] = allreduce.get(i)[k];
            }
        }
        assertTrace(expected, diloco, TOLERANCE, "DiLoCo H=1 vs allreduce");
    }

    @Test
    void dilocoMatchesItsSerialEquationsWithNesterovAndBothAveragings() {
        Topology ring = Topologies.ring(N);
        int h = 3;
        double eta = 0.7;
        double mu = 0.9;
        for (boolean decentralized : new boolean[] {false, true}) {
            double[][] w = decentralized ? ring.weightMatrix() : null;
            double[][] c = centers();
            double[][] x = starts();
            double[][] start = new double[N][];
            double[][] v = new double[N][DIM];
            for (int i = 0; i < N; i++) {
                start[i] = x[i].clone();
            }
            double[][][] trace = new double[STEPS][N][];
            for (int k = 0; k < STEPS; k++) {
                for (int i = 0; i < N; i++) {
                    for (int p = 0; p < DIM; p++) {
                        x[i][p] -= LR * (x[i][p] - c[i][p]);
                    }
                }
                if ((k + 1) % h == 0) {
                    double[][] delta = new double[N][DIM];
                    for (int i = 0; i < N; i++) {
                        for (int j = 0; j < N; j++) {
                            double wij = decentralized ? w[i][j] : 1.0 / N;
                            for (int p = 0; p < DIM; p++) {
                                delta[i][p] += wij * (start[j][p] - x[j][p]);
                            }
                        }
                    }
                    for (int i = 0; i < N; i++) {
                        for (int p = 0; p < DIM; p++) {
                            v[i][p] = mu * v[i][p] + delta[i][p];
                            start[i][p] -= eta * (delta[i][p] + mu * v[i][p]);
                            x[i][p] = start[i][p];
                        }
                    }
                }
                for (int i = 0; i < N; i++) {
                    trace[k][i] = x[i].clone();
                }
            }
            List<double[][]> got = run(DiLoCo.factory(eta, mu, decentralized), Algorithm.DILOCO, ring, h);
            assertTrace(trace, got, TOLERANCE, "DiLoCo decentralized=" + decentralized);
        }
    }

    @Test
    void dilocoRejectsBadOuterSettings() {
        assertThrows(IllegalArgumentException.class, () -> DiLoCo.factory(0, 0.5, false));
        assertThrows(IllegalArgumentException.class, () -> DiLoCo.factory(1, 1.0, false));
        assertThrows(IllegalArgumentException.class, () -> DiLoCo.factory(1, -0.1, false));
    }
}
