package io.bluefog.optimizers;

import static io.bluefog.optimizers.SerialQuadratics.centers;
import static io.bluefog.optimizers.SerialQuadratics.starts;
import static io.bluefog.optimizers.SerialQuadratics.mul;
import static io.bluefog.optimizers.SerialQuadratics.lin;
import static io.bluefog.optimizers.SerialQuadratics.identity;
import io.bluefog.collectives.Collectives;
import io.bluefog.local.LocalCluster;
import io.bluefog.optimizers.updaters.LearningRateSchedule;
import io.bluefog.optimizers.updaters.LocalUpdater;
import io.bluefog.topology.Topologies;
import io.bluefog.topology.dynamic.DynamicTopology;
import io.bluefog.topology.dynamic.Schedules;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DecentLaM and QG-DSGDm against dense serial simulations of their update equations (the javadoc of
 * {@link Algorithm#DECENTLAM}, {@link Algorithm#QG_DSGDM}) step for step, on f_i(x) = ½‖x − c_i‖² with
 * heterogeneous centres, a heavy-ball local updater and a learning-rate schedule (warmup then step
 * decay), on a static ring and a dynamic one-peer schedule with communication every 2nd step, in
 * float64 and in float32 on a parameter view inside a larger array.
 */
class MomentumAlgorithmsMatchSerialReferenceTest {
    private static final double TOLERANCE = 1e-12;
    /** float32 rounding over a few iterations of O(10) values, divided by rates of 0.05. */
    private static final double FLOAT_TOLERANCE = 1e-4;
    private static final int VIEW_OFFSET = 2;
    private static final int DIM = 3;
    private static final int STEPS = 10;
    private static final double BETA = 0.8;
    private static final LearningRateSchedule SCHEDULE = LearningRateSchedule.step(0.2, 4, 0.5).withLinearWarmup(2);

    private static double[][] reference(Algorithm a, DynamicTopology schedule, int commPeriod, LearningRateSchedule rates) {
        int n = schedule.size();
        double[][] c = centers(n, DIM);
        double[][] x = starts(n, DIM, 5);
        double[][] m = new double[n][DIM];
        long round = 0;
        for (int k = 0; k < STEPS; k++) {
            boolean comm = (k + 1) % commPeriod == 0;
            double[][] w = comm ? schedule.at(round).weightMatrix() : identity(n);
            double lr = rates.rate(k);
            double[][] g = lin(1, x, -1, c);
            if (a == Algorithm.DECENTLAM) {
                double[][] y = mul(w, lin(1, x, -lr, g));
                double[][] gt = lin(1 / lr, x, -1 / lr, y);
                m = lin(BETA, m, 1, gt);
                x = lin(1, x, -lr, m);
            } else {
                double[][] mom = lin(BETA, m, 1, g);
                double[][] next = mul(w, lin(1, x, -lr, mom));
                m = lin(BETA, m, (1 - BETA) / lr, lin(1, x, -1, next));
                x = next;
            }
            if (comm) {
                round++;
            }
        }
        return x;
    }

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

    private static List<double[]> run(Algorithm a, DynamicTopology schedule, int commPeriod, DataType dt, LearningRateSchedule rates) {
        int n = schedule.size();
        double[][] c = centers(n, DIM);
        double[][] x0 = starts(n, DIM, 5);
        OptimizerConfig config = OptimizerConfig.builder(a).updater(LocalUpdater.momentum(rates, BETA)).topology(schedule)
                .communicationPeriod(commPeriod).broadcastAtStart(false).build();
        return LocalCluster.call(n, bf -> {
            int r = bf.rank();
            INDArray x = parameters(x0[r], dt);
            INDArray center = Nd4j.createFromArray(c[r].clone()).castTo(dt).reshape(x.shape());
            try (Collectives col = Collectives.of(bf)) {
                DecentralizedOptimizer opt = DecentralizedOptimizer.create(col, schedule.at(0), x, config);
                for (int k = 0; k < STEPS; k++) {
                    opt.step(x.sub(center));
                }
            }
            return x.toDoubleVector();
        });
    }

    private static void check(Algorithm a, DynamicTopology schedule, int commPeriod, DataType dt) {
        double[][] expected = reference(a, schedule, commPeriod, SCHEDULE);
        List<double[]> got = run(a, schedule, commPeriod, dt, SCHEDULE);
        double tolerance = dt == DataType.DOUBLE ? TOLERANCE : FLOAT_TOLERANCE;
        for (int i = 0; i < expected.length; i++) {
            for (int k = 0; k < DIM; k++) {
                double scale = Math.max(1, Math.abs(expected[i][k]));
                assertEquals(expected[i][k], got.get(i)[k], tolerance * scale, a + " " + dt + " rank " + i + " coordinate " + k);
            }
        }
    }

    @Test
    void staticRing() {
        DynamicTopology ring = Schedules.staticTopology(Topologies.ring(5));
        for (Algorithm a : new Algorithm[] {Algorithm.DECENTLAM, Algorithm.QG_DSGDM}) {
            check(a, ring, 1, DataType.DOUBLE);
            check(a, ring, 1, DataType.FLOAT);
        }
    }

    @Test
    void dynamicOnePeerScheduleCommunicatingEverySecondStep() {
        DynamicTopology onePeer = Schedules.onePeerExponential(4);
        for (Algorithm a : new Algorithm[] {Algorithm.DECENTLAM, Algorithm.QG_DSGDM}) {
            check(a, onePeer, 2, DataType.DOUBLE);
            check(a, onePeer, 2, DataType.FLOAT);
        }
    }

    /**
     * The javadoc's claim: with a constant rate DecentLaM is x^{k+1} = W(x^k − γ g^k) + β(x^k − x^{k−1}),
     * and it differs from decentralized momentum SGD (ATC with the same heavy-ball updater).
     */
    @Test
    void decentLamIsHeavyBallOnTheDsgdStep() {
        double lr = 0.1;
        DynamicTopology ring = Schedules.staticTopology(Topologies.ring(5));
        int n = 5;
        double[][] w = ring.at(0).weightMatrix();
        double[][] c = centers(n, DIM);
        double[][] x = starts(n, DIM, 5);
        double[][] prev = x;
        for (int k = 0; k < STEPS; k++) {
            double[][] next = lin(1, mul(w, lin(1, x, -lr, lin(1, x, -1, c))), BETA, lin(1, x, -1, prev));
            prev = x;
            x = next;
        }
        List<double[]> got = run(Algorithm.DECENTLAM, ring, 1, DataType.DOUBLE, LearningRateSchedule.constant(lr));
        List<double[]> dmsgd = run(Algorithm.ATC, ring, 1, DataType.DOUBLE, LearningRateSchedule.constant(lr));
        double maxDifference = 0;
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < DIM; k++) {
                assertEquals(x[i][k], got.get(i)[k], TOLERANCE * Math.max(1, Math.abs(x[i][k])), "rank " + i + " coordinate " + k);
                maxDifference = Math.max(maxDifference, Math.abs(got.get(i)[k] - dmsgd.get(i)[k]));
            }
        }
        assertTrue(maxDifference > 1e-3, "DecentLaM should differ from DmSGD, max difference " + maxDifference);
    }
}
