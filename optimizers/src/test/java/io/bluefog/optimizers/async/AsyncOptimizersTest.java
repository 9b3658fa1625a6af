package io.bluefog.optimizers.async;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.collectives.Collectives;
import io.bluefog.collectives.window.Windows;
import io.bluefog.local.LocalCluster;
import io.bluefog.optimizers.Algorithm;
import io.bluefog.optimizers.DecentralizedOptimizer;
import io.bluefog.optimizers.OptimizerConfig;
import io.bluefog.optimizers.updaters.LocalUpdater;
import io.bluefog.topology.Topologies;
import io.bluefog.topology.Topology;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.inverse.InvertMatrix;

/**
 * The asynchronous optimizers on windows: push-sum consensus to the average on static strongly
 * connected directed graphs, and convergence on a heterogeneous least-squares problem to a
 * neighborhood of the optimum that shrinks with the step size. Every run uses a staleness bound
 * (S = 2), which bounds the delays whatever the thread scheduling, so the assertions do not depend on
 * machine speed.
 */
class AsyncOptimizersTest {
    /** Consensus accuracy the issue asks for. */
    private static final double CONSENSUS_TOL = 1e-6;
    private static final int STALENESS = 2;

    /** Directed ring i -> i+1 (only), weights irrelevant: push-sum uses 1/(outdeg+1). */
    static Topology directedRing(int n) {
        double[] self = new double[n];
        int[][] in = new int[n][];
        double[][] w = new double[n][];
        for (int i = 0; i < n; i++) {
            self[i] = n == 1 ? 1 : 0.5;
            in[i] = n == 1 ? new int[0] : new int[] {(i - 1 + n) % n};
            w[i] = n == 1 ? new double[0] : new double[] {0.5};
        }
        return Topology.of(self, in, w);
    }

    static OptimizerConfig config(Algorithm a, Topology t, double lr) {
        return OptimizerConfig.builder(a).updater(LocalUpdater.sgd(lr)).topology(t).broadcastAtStart(false).build();
    }

    /**
     * The step's scale, in closed form: on the directed 2-ring rank 0 takes {@code STEPS} steps with a
     * constant gradient while rank 1 takes none, so nothing ever arrives at rank 0. With rate-balanced
     * shares the slowest count stays 0 and at its step t (0-based) rank 0 pushes the fraction
     * (1/2)(0 + 1)/(t + 1) of its weight: w_0 = 1, w_{t+1} = w_t (1 - 1/(2(t + 1))), and step t moves z_0
     * by lr&middot;g/&#x0175;_t, &#x0175;_t the bias-corrected exponential mean of w_0..w_t (decay
     * {@link AsyncPushSum#WEIGHT_MEAN_DECAY}). With fixed shares it pushes half at every step and each
     * step moves z_0 by lr&middot;g.
     */
    @Test
    void asyncPushSumStepsAreScaledByTheWeightOverItsRunningMeanWithBalancedRates() {
        int steps = 4;
        double lr = 0.1;
        double expected = 0;
        double raw = 0;
        double decayed = 1;
        double w = 1;
        for (int t = 0; t < steps; t++) {
            raw = AsyncPushSum.WEIGHT_MEAN_DECAY * raw + (1 - AsyncPushSum.WEIGHT_MEAN_DECAY) * w;
            decayed *= AsyncPushSum.WEIGHT_MEAN_DECAY;
            expected -= lr / (raw / (1 - decayed));
            w *= 1 - 0.5 / (t + 1);
        }
        Topology t = directedRing(2);
        for (boolean balanced : new boolean[] {true, false}) {
            List<double[]> got = LocalCluster.call(2, bf -> {
                INDArray x = Nd4j.zeros(DataType.DOUBLE, 1, 3);
                try (JobStepCounter counter = new JobStepCounter(bf);
                        AsyncPushSum opt = new AsyncPushSum(Collectives.of(bf), t, x, config(Algorithm.ASYNC_PUSH_SUM, t, lr))) {
                    if (balanced) {
                        opt.balanceRates(counter);
                    }
                    if (bf.rank() == 0) {
                        for (int k = 0; k < steps; k++) {
                            opt.step(Nd4j.ones(DataType.DOUBLE, 1, 3));
                            counter.stepped();
                        }
                    }
                    double[] z = opt.parameters().toDoubleVector();
                    return new double[] {z[0], z[2], opt.pushSumWeight()};
                }
            });
            double[] rank0 = got.get(0);
            String mode = balanced ? "rate-balanced shares" : "fixed shares";
            assertEquals(balanced ? w : Math.pow(0.5, steps), rank0[2], 1e-15, mode + ": rank 0's weight after " + steps
                    + " unanswered pushes");
            double want = balanced ? expected : -steps * lr;
            assertEquals(want, rank0[0], 1e-12, mode + ": z_0[0] after " + steps + " steps");
            assertEquals(want, rank0[1], 1e-12, mode + ": z_0[2] after " + steps + " steps");
        }
        assertTrue(Math.abs(expected + steps * lr) > 0.05, "the closed form tells the scalings apart: " + expected);
    }

    /**
     * averagedParameters() of push-sum is the de-biased, weight-averaged &Sigma; w_r z_r / &Sigma; w_r
     * after every rank absorbed its buffers: on the 3-rank exponential graph rank 0 (z = 0) takes 3
     * zero-gradient steps while ranks 1 and 2 (z = 1, 2) take none. Rank 0 pushes 2/3 of its weight at
     * each step (fixed shares), a third to each, so ranks 1 and 2 absorb 1/3 + 1/9 + 1/27 = 13/27 each:
     * w = (1/27, 40/27, 40/27), z = (0, 27/40, 54/40). The average is &Sigma; x / &Sigma; w = 3/3 = 1 on
     * every rank; the plain mean of the z's would be 27/40, and the weighted mean without the buffers
     * 81/55.
     */
    @Test
    void asyncPushSumAveragedParametersAreTheDeBiasedNetworkModel() {
        Topology t = Topologies.exponential(3);
        List<double[]> got = LocalCluster.call(3, bf -> {
            INDArray x = Nd4j.valueArrayOf(new long[] {1, 2}, (double) bf.rank(), DataType.DOUBLE);
            try (AsyncPushSum opt = new AsyncPushSum(Collectives.of(bf), t, x, config(Algorithm.ASYNC_PUSH_SUM, t, 0.1))) {
                if (bf.rank() == 0) {
                    for (int k = 0; k < 3; k++) {
                        opt.step(Nd4j.zeros(DataType.DOUBLE, 1, 2));
                    }
                }
                double[] avg = opt.averagedParameters().toDoubleVector();
                return new double[] {avg[0], avg[1], opt.parameters().getDouble(0), opt.pushSumWeight()};
            }
        });
        double[] w = {1.0 / 27, 40.0 / 27, 40.0 / 27};
        double[] z = {0, 27.0 / 40, 54.0 / 40};
        for (int r = 0; r < 3; r++) {
            assertEquals(1.0, got.get(r)[0], 1e-12, "rank " + r + "'s averaged parameters [0]");
            assertEquals(1.0, got.get(r)[1], 1e-12, "rank " + r + "'s averaged parameters [1]");
            assertEquals(w[r], got.get(r)[3], 1e-12, "rank " + r + "'s weight after the buffers were absorbed");
            assertEquals(z[r], got.get(r)[2], 1e-12, "rank " + r + "'s z after the buffers were absorbed");
        }
    }

    @Test
    void asyncPushSumConsensusReachesTheAverage() {
        for (int n : new int[] {1, 2, 4, 5}) {
            for (Topology t : new Topology[] {directedRing(n), Topologies.exponential(n)}) {
                List<double[]> z = LocalCluster.call(n, bf -> {
                    INDArray x = Nd4j.valueArrayOf(new long[] {1, 3}, (double) bf.rank(), DataType.DOUBLE);
                    INDArray zero = Nd4j.zeros(DataType.DOUBLE, 1, 3);
                    try (AsyncPushSum opt = new AsyncPushSum(Collectives.of(bf), t, x,
                            config(Algorithm.ASYNC_PUSH_SUM, t, 0.1), STALENESS)) {
                        for (int k = 0; k < 300; k++) {
                            opt.step(zero);
                        }
                        opt.close();
                        assertTrue(Windows.of(bf).windowNames().isEmpty(), "close frees the window");
                        return opt.parameters().toDoubleVector();
                    }
                });
                double mean = (n - 1) / 2.0;
                for (int r = 0; r < n; r++) {
                    for (double v : z.get(r)) {
                        assertEquals(mean, v, CONSENSUS_TOL, "rank " + r + " of " + n + " on " + t);
                    }
                }
            }
        }
    }

    /**
     * The de-biased form on both kinds of parameters: a plain array (the window's tensor is the
     * parameters themselves, so nothing is copied) and a view (a row of a 2 x 3 matrix: the window
     * holds a copy, written back to the view after every collection). 4 ranks, exponential graph,
     * z_r = r + (0, 1, 2): after 300 steps with zero gradients and close every element is the
     * average of its column, (4 - 1)/2 + j, to {@link #CONSENSUS_TOL}, the other row of the matrix is
     * untouched, and the push-sum weights sum to 4.
     */
    @Test
    void deBiasedFormOnPlainAndViewParameters() {
        int n = 4;
        Topology t = Topologies.exponential(n);
        for (boolean view : new boolean[] {false, true}) {
            List<double[]> got = LocalCluster.call(n, bf -> {
                INDArray both = Nd4j.create(new double[][] {{0, 1, 2}, {0, 1, 2}}).addi(bf.rank());
                INDArray other = both.getRow(0).dup();
                INDArray x = view ? both.getRow(1, true) : both.getRow(1, true).dup();
                assertEquals(view, x.isView(), "the parameters are a view");
                INDArray zero = Nd4j.zeros(DataType.DOUBLE, 1, 3);
                try (AsyncPushSum opt = new AsyncPushSum(Collectives.of(bf), t, x,
                        config(Algorithm.ASYNC_PUSH_SUM, t, 0.1), STALENESS)) {
                    for (int k = 0; k < 300; k++) {
                        opt.step(zero);
                    }
                    opt.close();
                    double[] out = new double[5];
                    System.arraycopy(x.toDoubleVector(), 0, out, 0, 3);
                    out[3] = opt.pushSumWeight();
                    out[4] = view && !both.getRow(0).equals(other) ? 1 : 0;
                    return out;
                }
            });
            double sumW = 0;
            for (int r = 0; r < n; r++) {
                double[] g = got.get(r);
                for (int j = 0; j < 3; j++) {
                    assertEquals((n - 1) / 2.0 + j, g[j], CONSENSUS_TOL, "view " + view + ", rank " + r + ", element " + j);
                }
                assertEquals(0, g[4], "view " + view + ", rank " + r + ": the matrix's other row changed");
                sumW += g[3];
            }
            assertEquals(n, sumW, 1e-12, "view " + view + ": sum of the push-sum weights");
        }
    }

    @Test
    void theBuiltInAlgorithmsAreTheWindowOptimizers() {
        Topology t = Topologies.ring(3);
        LocalCluster.run(3, bf -> {
            INDArray x = Nd4j.zeros(DataType.DOUBLE, 1, 2);
            DecentralizedOptimizer a = DecentralizedOptimizer.create(bf, x, config(Algorithm.ASYNC_PUSH_SUM, t, 0.1));
            assertTrue(a instanceof AsyncPushSum);
            ((AsyncPushSum) a).close();
            DecentralizedOptimizer b = DecentralizedOptimizer.create(bf, x, config(Algorithm.WIN_PUT, t, 0.1));
            assertTrue(b instanceof WinPut);
            ((WinPut) b).close();
            assertThrows(IllegalArgumentException.class,
                    () -> new AsyncPushSum(Collectives.of(bf), t, x, config(Algorithm.ASYNC_PUSH_SUM, t, 0.1), -1));
        });
        assertEquals(Algorithm.ASYNC_PUSH_SUM, Algorithm.fromName("async-push-sum"));
        assertEquals(Algorithm.WIN_PUT, Algorithm.fromName("win-put"));
    }

    /**
     * The window operations go through the optimizer's communication accounting: every write counts
     * the window tensor's bytes once per out-neighbor in bytesSent (push-sum's weight travels as the
     * write's associated p, in the header, which is not counted), only on communicating steps (J = 2: every other step), and the steps' window
     * time is in communicationNanos (the trainer's communication share), which was 0 before.
     */
    @Test
    void windowOperationsAreCountedAsCommunication() {
        int n = 3;
        int steps = 8;
        int period = 2;
        Topology t = Topologies.exponential(n);
        for (Algorithm a : new Algorithm[] {Algorithm.ASYNC_PUSH_SUM, Algorithm.WIN_PUT}) {
            List<long[]> got = LocalCluster.call(n, bf -> {
                INDArray x = Nd4j.valueArrayOf(new long[] {1, 5}, (double) bf.rank(), DataType.DOUBLE);
                OptimizerConfig cfg = OptimizerConfig.builder(a).updater(LocalUpdater.sgd(0.1)).topology(t)
                        .communicationPeriod(period).broadcastAtStart(false).build();
                WindowOptimizer opt = a == Algorithm.ASYNC_PUSH_SUM
                        ? new AsyncPushSum(Collectives.of(bf), t, x, cfg, STALENESS)
                        : new WinPut(Collectives.of(bf), t, x, cfg, STALENESS);
                try (opt) {
                    long nanosAfterFirst = -1;
                    for (int k = 0; k < steps; k++) {
                        opt.step(Nd4j.zeros(DataType.DOUBLE, 1, 5));
                        if (k == 0) {
                            nanosAfterFirst = opt.communicationNanos(); // a local step only (J = 2)
                        }
                    }
                    return new long[] {opt.bytesSent(), opt.communicationNanos(), nanosAfterFirst};
                }
            });
            long tensorLength = 5;
            for (int r = 0; r < n; r++) {
                long expected = (long) (steps / period) * t.outDegree(r) * tensorLength * Double.BYTES;
                assertEquals(expected, got.get(r)[0], a + ": bytes sent by rank " + r);
                assertEquals(0, got.get(r)[2], a + ": a step without communication adds no communication time");
                assertTrue(got.get(r)[1] > 0, a + ": rank " + r + " timed its window operations: " + got.get(r)[1] + " ns");
            }
        }
    }

    /**
     * 30 steps of async push-sum on 3 ranks (exponential graph: 2 out-neighbors each), zero
     * gradients, no barrier: after every step at most {@link WindowOptimizer#MAX_WRITES_IN_FLIGHT}
     * writes are unconfirmed and at least this step's is counted; after {@code close} none is, the
     * mass is conserved (&Sigma; w = 3, &Sigma; x = &Sigma; x^0 = 0 + 1 + 2 per element), and each rank
     * allocated at most 2 (MAX_WRITES_IN_FLIGHT + 1) staging arrays (pooled; 30 x 4 = 120 without the pools).
     */
    @Test
    void writesInFlightAreBoundedAndMassIsConserved() {
        int n = 3;
        int steps = 30;
        Topology t = Topologies.exponential(n);
        List<double[]> got = LocalCluster.call(n, bf -> {
            INDArray x = Nd4j.valueArrayOf(new long[] {1, 4}, (double) bf.rank(), DataType.DOUBLE);
            Windows windows = Windows.of(bf);
            long allocatedBefore = windows.stagingAllocations();
            AsyncPushSum opt = new AsyncPushSum(Collectives.of(bf), t, x, config(Algorithm.ASYNC_PUSH_SUM, t, 0.1));
            int maxInFlight = 0;
            int minInFlight = Integer.MAX_VALUE;
            try (opt) {
                for (int k = 0; k < steps; k++) {
                    opt.step(Nd4j.zeros(DataType.DOUBLE, 1, 4));
                    maxInFlight = Math.max(maxInFlight, opt.writesInFlight());
                    minInFlight = Math.min(minInFlight, opt.writesInFlight());
                }
            }
            double w = opt.pushSumWeight();
            double[] z = opt.parameters().toDoubleVector();
            return new double[] {maxInFlight, minInFlight, opt.writesInFlight(), w, z[0] * w, z[3] * w,
                    windows.stagingAllocations() - allocatedBefore};
        });
        double sumW = 0;
        double sumX0 = 0;
        double sumX3 = 0;
        for (int r = 0; r < n; r++) {
            double[] g = got.get(r);
            assertTrue(g[0] <= WindowOptimizer.MAX_WRITES_IN_FLIGHT, "rank " + r + ": " + g[0] + " writes in flight");
            assertTrue(g[1] >= 1, "rank " + r + ": this step's write is counted until awaited, got " + g[1]);
            assertEquals(0, g[2], "rank " + r + ": writes in flight after close");
            assertTrue(g[6] <= 2 * (WindowOptimizer.MAX_WRITES_IN_FLIGHT + 1), "rank " + r + " allocated " + g[6]
                    + " staging arrays for " + steps + " writes");
            sumW += g[3];
            sumX0 += g[4];
            sumX3 += g[5];
        }
        assertEquals(n, sumW, 1e-12, "sum of w after close");
        assertEquals(3.0, sumX0, 1e-12, "sum of x[0] after close");
        assertEquals(3.0, sumX3, 1e-12, "sum of x[3] after close");
    }

    /**
     * Rate-balanced shares ({@link AsyncPushSum#balanceRates}): rank 0 takes {@code FAST} = 8 steps
     * for each step of rank 1, in a fixed schedule (barriers between the phases; the step counts are
     * exact at each phase's start), zero gradients. Unbalanced, rank 0 pushes half its weight at each
     * of its steps and rank 1 collects it; balanced, rank 0 pushes (1/2)(c_1 + 1)/(c_0 + 1) of it, about
     * 1/16. With every write applied before the next phase (a serial replay of the schedule) rank 0's
     * weight after 12 rounds is 0.0052 unbalanced and 0.6686 balanced. A write still in flight at a
     * phase's end (the barriers do not await the optimizer's writes) is collected one phase later; it
     * can raise the unbalanced value to at most about 1/3 (rank 1's push halved once instead of eight
     * times) and moves the balanced one by a few hundredths, hence the bounds 0.5 and 0.6. Both runs
     * conserve the mass: after {@code close} (which absorbs the buffers) &Sigma; w = 2 and &Sigma; x = &Sigma; x^0.
     */
    @Test
    void rateBalancedSharesKeepAFastRanksWeightNearOne() {
        int n = 2;
        int fast = 8;
        int rounds = 12;
        Topology t = Topologies.exponential(n);
        for (boolean balance : new boolean[] {false, true}) {
            List<double[]> got = LocalCluster.call(n, bf -> {
                INDArray x = Nd4j.valueArrayOf(new long[] {1, 3}, (double) bf.rank(), DataType.DOUBLE);
                INDArray zero = Nd4j.zeros(DataType.DOUBLE, 1, 3);
                Collectives c = Collectives.of(bf);
                try (JobStepCounter counter = new JobStepCounter(bf);
                        AsyncPushSum opt = new AsyncPushSum(c, t, x, config(Algorithm.ASYNC_PUSH_SUM, t, 0.1))) {
                    if (balance) {
                        opt.balanceRates(counter);
                    }
                    for (int round = 0; round < rounds; round++) {
                        for (int phase = 0; phase < n; phase++) {
                            int mySteps = bf.rank() != phase ? 0 : phase == 0 ? fast : 1;
                            for (int k = 0; k < mySteps; k++) {
                                opt.step(zero);
                                counter.stepped();
                            }
                            counter.awaitPending();
                            c.barrier();
                        }
                    }
                    double weightAfterSchedule = opt.pushSumWeight();
                    opt.close();
                    double[] xr = opt.parameters().toDoubleVector();
                    double w = opt.pushSumWeight();
                    return new double[] {weightAfterSchedule, w, xr[0] * w, xr[1] * w, xr[2] * w};
                }
            });
            double w0 = got.get(0)[0];
            if (balance) {
                assertTrue(w0 > 0.5, "balanced: the fast rank's push-sum weight stays near 1, got " + w0);
            } else {
                assertTrue(w0 < 0.6, "unbalanced: the fast rank's push-sum weight drains to the slow rank, got " + w0);
            }
            assertEquals(n, got.get(0)[1] + got.get(1)[1], 1e-12, "balance " + balance + ": sum of w after close");
            for (int j = 2; j < 5; j++) {
                assertEquals(1.0, got.get(0)[j] + got.get(1)[j], 1e-12, "balance " + balance + ": sum of x after close");
            }
        }
    }

    // ---- heterogeneous least squares ----------------------------------------------------------

    private static final int DIM = 4;
    /** Step 0.05 ends within this fraction of the initial distance (observed at most 0.036). */
    private static final double NEAR_FRACTION = 0.1;
    private static final int ROWS = 6;

    /** Rank r's data A_r (ROWS x DIM), b_r, with a rank-dependent shift so the local optima differ. */
    static double[][][] problem(int n, long seed) {
        Random rnd = new Random(seed);
        double[][][] ab = new double[n][][];
        for (int r = 0; r < n; r++) {
            double[][] a = new double[ROWS][DIM + 1];
            for (int i = 0; i < ROWS; i++) {
                for (int j = 0; j < DIM; j++) {
                    a[i][j] = rnd.nextGaussian() / Math.sqrt(ROWS);
                }
                a[i][DIM] = rnd.nextGaussian() + 0.5 * r; // b
            }
            ab[r] = a;
        }
        return ab;
    }

    static INDArray a(double[][] ab) {
        INDArray m = Nd4j.create(DataType.DOUBLE, ROWS, DIM);
        for (int i = 0; i < ROWS; i++) {
            for (int j = 0; j < DIM; j++) {
                m.putScalar(i, j, ab[i][j]);
            }
        }
        return m;
    }

    static INDArray b(double[][] ab) {
        INDArray v = Nd4j.create(DataType.DOUBLE, ROWS, 1);
        for (int i = 0; i < ROWS; i++) {
            v.putScalar(i, 0, ab[i][DIM]);
        }
        return v;
    }

    /** x* = (Σ A_rᵀA_r)⁻¹ Σ A_rᵀ b_r, the minimizer of Σ_r ½‖A_r x − b_r‖². */
    static INDArray optimum(double[][][] ab) {
        INDArray h = Nd4j.zeros(DataType.DOUBLE, DIM, DIM);
        INDArray g = Nd4j.zeros(DataType.DOUBLE, DIM, 1);
        for (double[][] r : ab) {
            h.addi(a(r).transpose().mmul(a(r)));
            g.addi(a(r).transpose().mmul(b(r)));
        }
        return InvertMatrix.invert(h, false).mmul(g);
    }

    /**
     * ‖z̄ − x*‖ after the run (and close), z̄ the network's model: Σ_r w_r z_r / Σ_r w_r = Σ x_r / Σ w_r
     * for push-sum (the mass-weighted average; a rank's own z_r = x_r/w_r is noisy while its weight
     * w_r is small), the plain average for win-put (w_r = 1).
     */
    static double distanceToOptimum(Algorithm alg, int n, Topology t, double lr, int steps) {
        double[][][] ab = problem(n, 7);
        INDArray xStar = optimum(ab);
        List<double[]> zw = LocalCluster.call(n, bf -> {
            INDArray ar = a(ab[bf.rank()]);
            INDArray br = b(ab[bf.rank()]);
            INDArray x = Nd4j.zeros(DataType.DOUBLE, 1, DIM);
            OptimizerConfig cfg = config(alg, t, lr);
            WindowOptimizer opt = alg == Algorithm.ASYNC_PUSH_SUM
                    ? new AsyncPushSum(Collectives.of(bf), t, x, cfg, STALENESS)
                    : new WinPut(Collectives.of(bf), t, x, cfg, STALENESS);
            try (opt) {
                for (int k = 0; k < steps; k++) {
                    INDArray z = opt.parameters().reshape(DIM, 1);
                    INDArray grad = ar.transpose().mmul(ar.mmul(z).sub(br)).reshape(1, DIM);
                    opt.step(grad);
                }
            }
            double[] out = new double[DIM + 1];
            System.arraycopy(opt.parameters().toDoubleVector(), 0, out, 0, DIM);
            out[DIM] = opt instanceof AsyncPushSum ps ? ps.pushSumWeight() : 1.0;
            return out;
        });
        INDArray zBar = Nd4j.zeros(DataType.DOUBLE, DIM, 1);
        double mass = 0;
        for (double[] r : zw) {
            for (int j = 0; j < DIM; j++) {
                zBar.putScalar(j, 0, zBar.getDouble(j, 0) + r[DIM] * r[j]);
            }
            mass += r[DIM];
        }
        assertEquals(n, mass, 1e-9 * n, "push-sum weights sum to n once drained");
        return zBar.div(mass).sub(xStar).norm2Number().doubleValue();
    }

    @Test
    void asyncPushSumOnLeastSquaresConvergesToANeighborhoodThatShrinksWithTheStep() {
        int n = 4;
        Topology t = Topologies.exponential(n); // directed for n = 4: i sends to i+1 and i+2
        double far = distanceToOptimum(Algorithm.ASYNC_PUSH_SUM, n, t, 0.2, 600);
        double near = distanceToOptimum(Algorithm.ASYNC_PUSH_SUM, n, t, 0.0125, 9600);
        System.out.println("async push-sum least squares: distance " + far + " (step 0.2), " + near + " (step 0.0125)");
        double start = optimum(problem(n, 7)).norm2Number().doubleValue(); // x^0 = 0
        assertTrue(far < 0.5 * start, "step 0.2: distance " + far + " vs initial " + start);
        assertTrue(near < NEAR_FRACTION * start, "step 0.0125: distance " + near + " vs initial " + start);
        // asynchrony makes the distances vary run to run with the schedule (observed with steps 0.2 and
        // 0.05: 0.048..0.24 and 0.023..0.051, overlapping once shared-memory windows made writes arrive
        // sooner); steps 16x apart keep the order out of that spread
        assertTrue(near < far, "step 0.0125 (" + near + ") is not closer than step 0.2 (" + far + ")");
    }

    @Test
    void winPutOnLeastSquaresConvergesToANeighborhood() {
        int n = 4;
        double start = optimum(problem(n, 7)).norm2Number().doubleValue();
        double d = distanceToOptimum(Algorithm.WIN_PUT, n, Topologies.ring(n), 0.1, 1000);
        System.out.println("win-put least squares: distance " + d);
        assertTrue(d < 0.25 * start, "win-put: distance " + d + " vs initial " + start);
    }
}
