package io.bluefog.optimizers;

import static io.bluefog.optimizers.SerialQuadratics.centers;
import static io.bluefog.optimizers.SerialQuadratics.starts;
import static io.bluefog.optimizers.SerialQuadratics.mul;
import static io.bluefog.optimizers.SerialQuadratics.identity;
import io.bluefog.collectives.Collectives;
import io.bluefog.local.LocalCluster;
import io.bluefog.optimizers.updaters.LocalUpdater;
import io.bluefog.topology.Topologies;
import io.bluefog.topology.Topology;
import io.bluefog.topology.dynamic.DynamicTopology;
import io.bluefog.topology.dynamic.Schedules;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Every algorithm against a dense serial simulation of its update equations (DESIGN.md) on
 * f_i(x) = ½‖x − c_i‖², SGD, several iterations, heterogeneous starting points. The optimizers
 * run on LocalCluster through {@link Collectives}, in float64 and in float32 on a parameter view
 * inside a larger array (as DL4J's {@code params()} views its flat buffer).
 */
class AlgorithmsMatchSerialReferenceTest {
    private static final double TOLERANCE = 1e-12;
    /** float32 rounding over a few iterations of O(10) values. */
    private static final double FLOAT_TOLERANCE = 1e-5;
    /** Elements of the backing array before and after the float32 parameter view. */
    private static final int VIEW_OFFSET = 2;
    private static final int DIM = 3;
    private static final int STEPS = 9;
    private static final double LR = 0.15;

    private static double[][] grad(double[][] x, double[][] c) {
        double[][] g = new double[x.length][DIM];
        for (int i = 0; i < x.length; i++) {
            for (int k = 0; k < DIM; k++) {
                g[i][k] = x[i][k] - c[i][k];
            }
        }
        return g;
    }

    private static double[][] avg(double[][] x) {
        int n = x.length;
        double[][] w = new double[n][n];
        for (double[] row : w) {
            java.util.Arrays.fill(row, 1.0 / n);
        }
        return mul(w, x);
    }

    private static double[][] axpy(double[][] x, double a, double[][] y) {
        double[][] z = new double[x.length][DIM];
        for (int i = 0; i < x.length; i++) {
            for (int k = 0; k < DIM; k++) {
                z[i][k] = x[i][k] + a * y[i][k];
            }
        }
        return z;
    }

    /** Serial reference of every algorithm with SGD. */
    private static double[][] reference(Algorithm a, DynamicTopology schedule, int period, int commPeriod) {
        int n = schedule.size();
        double[][] c = centers(n, DIM);
        double[][] x = starts(n, DIM, 11);
        double[][] psiPrev = x;
        double[][] y = null;
        double[][] gPrev = null;
        double[][] wy = null;
        double[] pw = new double[n];
        java.util.Arrays.fill(pw, 1.0);
        double[][] num = x;
        long round = 0;
        for (int k = 0; k < STEPS; k++) {
            boolean comm = (k + 1) % commPeriod == 0;
            double[][] w = comm ? schedule.at(round).weightMatrix() : identity(n);
            boolean global = comm && (round + 1) % period == 0;
            double[][] g = grad(x, c);
            switch (a) {
                case ALLREDUCE:
                    x = axpy(x, -LR, comm ? avg(g) : g);
                    break;
                case DECENTLAM: // with plain SGD as the local updater DecentLaM is ATC,
                case QG_DSGDM:  // and so is QG-DSGDm (momentum 0); MomentumAlgorithmsMatchSerialReferenceTest has their momentum
                case ATC:
                    x = mul(w, axpy(x, -LR, g));
                    break;
                case AWC:
                    x = axpy(mul(w, x), -LR, g);
                    break;
                case LOCAL_SGD:
                    x = axpy(x, -LR, g);
                    x = global ? avg(x) : x;
                    break;
                case GOSSIP_PGA:
                    x = axpy(x, -LR, g);
                    x = global ? avg(x) : mul(w, x);
                    break;
                case EXACT_DIFFUSION: {
                    double[][] psi = axpy(x, -LR, g);
                    double[][] phi = axpy(axpy(psi, 1, x), -1, psiPrev);
                    psiPrev = psi;
                    x = mul(lazy(w), phi);
                    break;
                }
                case GRADIENT_TRACKING:
                    y = y == null ? g : axpy(axpy(wy, 1, g), -1, gPrev);
                    gPrev = g;
                    wy = mul(w, y);
                    x = axpy(mul(w, x), -LR, y);
                    break;
                case PUSH_SUM: {
                    double[][] p = comm ? columnStochastic(schedule.at(round)) : identity(n);
                    num = mul(p, axpy(num, -LR, g));
                    double[] nw = new double[n];
                    for (int i = 0; i < n; i++) {
                        for (int j = 0; j < n; j++) {
                            nw[i] += p[i][j] * pw[j];
                        }
                    }
                    pw = nw;
                    x = new double[n][DIM];
                    for (int i = 0; i < n; i++) {
                        for (int d = 0; d < DIM; d++) {
                            x[i][d] = num[i][d] / pw[i];
                        }
                    }
                    break;
                }
                default:
                    throw new IllegalStateException();
            }
            if (comm) {
                round++;
            }
        }
        return x;
    }

    private static double[][] lazy(double[][] w) {
        int n = w.length;
        double[][] l = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                l[i][j] = (w[i][j] + (i == j ? 1 : 0)) / 2;
            }
        }
        return l;
    }

    private static double[][] columnStochastic(Topology t) {
        int n = t.size();
        double[][] p = new double[n][n];
        double[][] w = t.weightMatrix();
        for (int j = 0; j < n; j++) {
            int out = t.outDegree(j);
            for (int i = 0; i < n; i++) {
                if (i == j || w[i][j] != 0) {
                    p[i][j] = 1.0 / (out + 1);
                }
            }
        }
        return p;
    }

    private static void check(Algorithm a, DynamicTopology schedule, int period, int commPeriod) {
        check(a, schedule, period, commPeriod, DataType.DOUBLE);
    }

    /** This rank's parameters: a plain 1 x DIM array (float64) or a view into a larger array (float32). */
    private static INDArray parameters(double[] start, DataType dt) {
        INDArray x;
        if (dt == DataType.DOUBLE) {
            x = Nd4j.zeros(dt, 1, DIM);
        } else {
            INDArray backing = Nd4j.valueArrayOf(new long[] {1, DIM + 2 * VIEW_OFFSET}, -7.0, dt);
            x = backing.get(NDArrayIndex.point(0), NDArrayIndex.interval(VIEW_OFFSET, VIEW_OFFSET + DIM));
        }
        for (int k = 0; k < DIM; k++) {
            x.putScalar(k, start[k]);
        }
        return x;
    }

    private static void check(Algorithm a, DynamicTopology schedule, int period, int commPeriod, DataType dt) {
        check(a, schedule, period, commPeriod, dt, false);
    }

    /** @param beginEarly call {@code beginStep()} before computing each gradient (AWC then overlaps its combine) */
    private static void check(Algorithm a, DynamicTopology schedule, int period, int commPeriod, DataType dt, boolean beginEarly) {
        int n = schedule.size();
        double[][] expected = reference(a, schedule, period, commPeriod);
        double[][] c = centers(n, DIM);
        double[][] x0 = starts(n, DIM, 11);
        OptimizerConfig config = OptimizerConfig.builder(a).updater(LocalUpdater.sgd(LR)).topology(schedule)
                .period(period).communicationPeriod(commPeriod).broadcastAtStart(false).build();
        List<double[]> got = LocalCluster.call(n, bf -> {
            int r = bf.rank();
            INDArray x = parameters(x0[r], dt);
            INDArray center = Nd4j.createFromArray(c[r].clone()).castTo(dt).reshape(x.shape());
            try (Collectives col = Collectives.of(bf)) {
                DecentralizedOptimizer opt = DecentralizedOptimizer.create(col, schedule.at(0), x, config);
                for (int k = 0; k < STEPS; k++) {
                    if (beginEarly) {
                        opt.beginStep();
                    }
                    opt.step(x.sub(center));
                }
            }
            return x.toDoubleVector();
        });
        double tolerance = dt == DataType.DOUBLE ? TOLERANCE : FLOAT_TOLERANCE;
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < DIM; k++) {
                double scale = Math.max(1, Math.abs(expected[i][k]));
                assertEquals(expected[i][k], got.get(i)[k], tolerance * scale,
                        a + " " + dt + " rank " + i + " coordinate " + k);
            }
        }
    }

    /** A strongly connected directed graph with unequal out-degrees (push-sum needs no symmetry). */
    private static Topology directed4() {
        // edges j -> i: 0->1, 0->2, 0->3, 1->2, 2->3, 3->0
        return Topology.of(new double[] {0.5, 0.5, 0.5, 0.5},
                new int[][] {{3}, {0}, {0, 1}, {0, 2}},
                new double[][] {{0.5}, {0.5}, {0.25, 0.25}, {0.25, 0.25}});
    }

    /**
     * The algorithms made by {@link DecentralizedOptimizer#create} with a serial reference: all but CHOCO and
     * DiLoCo (factories and tests of their own) and the asynchronous ones (tested in AsyncOptimizersTest).
     */
    private static List<Algorithm> withReference() {
        return java.util.Arrays.stream(Algorithm.values())
                .filter(a -> a != Algorithm.CHOCO && a != Algorithm.DILOCO && !a.asynchronous()).toList();
    }

    @Test
    void everyAlgorithmMatchesItsEquationsOnAStaticRing() {
        DynamicTopology ring = Schedules.staticTopology(Topologies.ring(5));
        for (Algorithm a : withReference()) {
            check(a, ring, 3, 1);
        }
    }

    @Test
    void dynamicOnePeerScheduleAndCommunicationEveryJSteps() {
        DynamicTopology onePeer = Schedules.onePeerExponential(4);
        for (Algorithm a : withReference()) {
            check(a, onePeer, 2, 2);
        }
    }

    @Test
    void float32ParameterViewsInsideALargerArray() {
        DynamicTopology ring = Schedules.staticTopology(Topologies.ring(5));
        for (Algorithm a : withReference()) {
            check(a, ring, 3, 1, DataType.FLOAT);
        }
        DynamicTopology onePeer = Schedules.onePeerExponential(4);
        for (Algorithm a : withReference()) {
            check(a, onePeer, 2, 2, DataType.FLOAT);
        }
    }

    @Test
    void stepsThatBeginEarlyFollowTheSameEquations() {
        for (Algorithm a : withReference()) {
            check(a, Schedules.staticTopology(Topologies.ring(5)), 3, 1, DataType.DOUBLE, true);
            check(a, Schedules.onePeerExponential(4), 2, 2, DataType.FLOAT, true);
        }
    }

    @Test
    void beginStepTwiceIsAnError() {
        OptimizerConfig config = OptimizerConfig.builder(Algorithm.AWC).updater(LocalUpdater.sgd(LR)).topology(Topologies.ring(2)).build();
        List<String> messages = LocalCluster.call(2, bf -> {
            INDArray x = Nd4j.zeros(DataType.DOUBLE, 1, DIM);
            try (Collectives col = Collectives.of(bf)) {
                DecentralizedOptimizer opt = DecentralizedOptimizer.create(col, bf.mixingTopology(), x, config);
                opt.beginStep();
                IllegalStateException e = assertThrows(IllegalStateException.class, opt::beginStep);
                opt.step(x.dup());
                opt.beginStep();
                opt.step(x.dup());
                assertEquals(2, opt.overlappedRounds());
                return e.getMessage();
            }
        });
        for (String m : messages) {
            assertEquals("beginStep() called twice without step() in between, at iteration 0", m);
        }
    }

    @Test
    void neighborsOfTheParameterViewAreUntouched() {
        OptimizerConfig config = OptimizerConfig.builder(Algorithm.EXACT_DIFFUSION).updater(LocalUpdater.sgd(LR)).topology(Topologies.ring(3))
                .broadcastAtStart(false).build();
        List<double[]> got = LocalCluster.call(3, bf -> {
            INDArray backing = Nd4j.valueArrayOf(new long[] {1, DIM + 2 * VIEW_OFFSET}, -7.0, DataType.FLOAT);
            INDArray x = backing.get(NDArrayIndex.point(0), NDArrayIndex.interval(VIEW_OFFSET, VIEW_OFFSET + DIM));
            x.assign(bf.rank());
            try (Collectives col = Collectives.of(bf)) {
                DecentralizedOptimizer opt = DecentralizedOptimizer.create(col, bf.mixingTopology(), x, config);
                for (int k = 0; k < STEPS; k++) {
                    opt.step(x.mul(0.5));
                }
            }
            return backing.toDoubleVector();
        });
        for (double[] b : got) {
            for (int k = 0; k < VIEW_OFFSET; k++) {
                assertEquals(-7.0, b[k], 0.0, "element before the view");
                assertEquals(-7.0, b[VIEW_OFFSET + DIM + k], 0.0, "element after the view");
            }
        }
    }

    @Test
    void pushSumOnADirectedGraph() {
        check(Algorithm.PUSH_SUM, Schedules.staticTopology(directed4()), 1, 1);
    }

    @Test
    void parametersAreBroadcastFromRankZeroAtStart() {
        OptimizerConfig config = OptimizerConfig.builder(Algorithm.ATC).updater(LocalUpdater.sgd(LR)).topology(Topologies.ring(3)).build();
        List<double[]> got = LocalCluster.call(3, bf -> {
            INDArray x = Nd4j.valueArrayOf(new long[] {1, 2}, bf.rank() + 1.0, DataType.DOUBLE);
            try (Collectives col = Collectives.of(bf)) {
                DecentralizedOptimizer.create(col, Topologies.ring(3), x, config);
            }
            return x.toDoubleVector();
        });
        for (double[] x : got) {
            assertEquals(1.0, x[0], 0.0);
            assertEquals(1.0, x[1], 0.0);
        }
    }
}
