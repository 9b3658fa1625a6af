package io.bluefog.optimizers.updaters;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The documented closed forms at chosen steps, and every built-in updater following a schedule. */
class LearningRateScheduleTest {
    private static final double TOLERANCE = 1e-15;
    /** Adam's closed form differs from ND4J's evaluation order in the last bits. */
    private static final double ADAM_TOLERANCE = 1e-9;

    @Test
    void constantStepPolynomialCosine() {
        LearningRateSchedule c = LearningRateSchedule.constant(0.3);
        assertEquals(0.3, c.rate(0), 0.0);
        assertEquals(0.3, c.rate(1_000_000), 0.0);
        assertTrue(c.isConstant());

        LearningRateSchedule s = LearningRateSchedule.step(0.8, 10, 0.5);
        assertEquals(0.8, s.rate(0), TOLERANCE);
        assertEquals(0.8, s.rate(9), TOLERANCE);
        assertEquals(0.4, s.rate(10), TOLERANCE);
        assertEquals(0.1, s.rate(35), TOLERANCE);

        // (1 - 0.2)(1 - k/100)^2 + 0.2
        LearningRateSchedule p = LearningRateSchedule.polynomial(1.0, 0.2, 100, 2);
        assertEquals(1.0, p.rate(0), TOLERANCE);
        assertEquals(0.8 * 0.25 + 0.2, p.rate(50), TOLERANCE);
        assertEquals(0.8 * 0.01 + 0.2, p.rate(90), TOLERANCE);
        assertEquals(0.2, p.rate(100), TOLERANCE);
        assertEquals(0.2, p.rate(1000), TOLERANCE);

        // 0.1 + 0.9 (1 + cos(pi k / 60)) / 2
        LearningRateSchedule cos = LearningRateSchedule.cosine(1.0, 0.1, 60);
        assertEquals(1.0, cos.rate(0), TOLERANCE);
        assertEquals(0.1 + 0.9 * 0.75, cos.rate(20), TOLERANCE);
        assertEquals(0.55, cos.rate(30), TOLERANCE);
        assertEquals(0.1 + 0.9 * 0.25, cos.rate(40), TOLERANCE);
        assertEquals(0.1, cos.rate(60), TOLERANCE);
        assertEquals(0.1, cos.rate(61), TOLERANCE);
        assertTrue(!cos.isConstant());
    }

    @Test
    void warmupThenDecay() {
        LearningRateSchedule w = LearningRateSchedule.cosine(2.0, 0, 40).withLinearWarmup(4);
        assertEquals(0.5, w.rate(0), TOLERANCE);
        assertEquals(1.0, w.rate(1), TOLERANCE);
        assertEquals(2.0, w.rate(3), TOLERANCE);
        assertEquals(2.0, w.rate(4), TOLERANCE);
        assertEquals(1.0, w.rate(4 + 20), TOLERANCE);
        assertEquals(0.0, w.rate(4 + 40), TOLERANCE);
        assertEquals(2.0, w.baseRate(), 0.0);
        LearningRateSchedule constant = LearningRateSchedule.constant(0.4);
        assertTrue(constant == constant.withLinearWarmup(0));
        assertEquals(0.1, constant.withLinearWarmup(4).rate(0), TOLERANCE);
        assertEquals(0.4, constant.withLinearWarmup(4).rate(100), TOLERANCE);
    }

    @Test
    void linearScalingRule() {
        assertEquals(3.2, LearningRateSchedule.linearScaling(0.1, 256, 8192), TOLERANCE);
        assertEquals(0.05, LearningRateSchedule.linearScaling(0.1, 256, 128), TOLERANCE);
    }

    @Test
    void badArgumentsAreNamed() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.constant(-1))
                .getMessage().contains("learning rate"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.step(0.1, 0, 0.5))
                .getMessage().contains("period"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.step(0.1, 5, 1.5))
                .getMessage().contains("factor"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.polynomial(0.1, 0.2, 5, 1))
                .getMessage().contains("end rate"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.cosine(0.1, 0, 5).withLinearWarmup(-1))
                .getMessage().contains("warmup"));
        assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.constant(0.1).rate(-1));
    }

    private static final double[] G = {1, -2};

    private static double[][] run(LocalUpdater u, int steps) {
        LocalUpdater.State s = u.newState(2, DataType.DOUBLE);
        double[][] d = new double[steps][];
        for (int k = 0; k < steps; k++) {
            INDArray g = Nd4j.createFromArray(G[0] * (k + 1), G[1] * (k + 1)).reshape(1, 2);
            s.apply(g, k);
            d[k] = g.toDoubleVector();
        }
        return d;
    }

    @Test
    void everyBuiltInUpdaterFollowsTheSchedule() {
        LearningRateSchedule sched = LearningRateSchedule.step(0.1, 2, 0.5).withLinearWarmup(2);
        int steps = 6;
        double mu = 0.9;
        double[][] sgd = run(LocalUpdater.sgd(sched), steps);
        double[][] hb = run(LocalUpdater.momentum(sched, mu), steps);
        double[][] nag = run(LocalUpdater.nesterov(sched, mu), steps);
        double[][] adam = run(LocalUpdater.adam(sched, 0.9, 0.999, 1e-8), steps);
        for (int c = 0; c < 2; c++) {
            double v = 0;
            double vn = 0;
            double m = 0;
            double s2 = 0;
            for (int k = 0; k < steps; k++) {
                double lr = sched.rate(k);
                double g = G[c] * (k + 1);
                assertEquals(lr * g, sgd[k][c], TOLERANCE, "sgd step " + k);
                v = mu * v + g;
                assertEquals(lr * v, hb[k][c], TOLERANCE, "momentum step " + k);
                double vPrev = vn;
                vn = mu * vn - lr * g;
                assertEquals(mu * vPrev - (1 + mu) * vn, nag[k][c], 1e-14, "nesterov step " + k);
                m = 0.9 * m + 0.1 * g;
                s2 = 0.999 * s2 + 0.001 * g * g;
                int t = k + 1;
                double alpha = lr * Math.sqrt(1 - Math.pow(0.999, t)) / (1 - Math.pow(0.9, t));
                assertEquals(alpha * m / (Math.sqrt(s2) + 1e-8), adam[k][c], ADAM_TOLERANCE, "adam step " + k);
            }
        }
        assertEquals("sgd(lr=[linear warmup over 2 steps, then step 0.1 x0.5 every 2 steps])", LocalUpdater.sgd(sched).toString());
    }
}
