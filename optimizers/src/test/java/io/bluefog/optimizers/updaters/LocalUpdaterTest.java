package io.bluefog.optimizers.updaters;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.schedule.ExponentialSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each updater against its closed form over three steps with gradients g_k = (k+1) * (1, -2). */
class LocalUpdaterTest {
    private static final double TOLERANCE = 1e-12;
    private static final double[] BASE = {1, -2};

    private static double[][] run(LocalUpdater u) {
        LocalUpdater.State s = u.newState(2, DataType.DOUBLE);
        double[][] steps = new double[3][];
        for (int k = 0; k < 3; k++) {
            INDArray g = Nd4j.createFromArray(BASE[0] * (k + 1), BASE[1] * (k + 1)).reshape(1, 2);
            s.apply(g, k);
            steps[k] = g.toDoubleVector();
        }
        return steps;
    }

    @Test
    void sgdIsLearningRateTimesGradient() {
        double[][] d = run(LocalUpdater.sgd(0.1));
        for (int k = 0; k < 3; k++) {
            for (int c = 0; c < 2; c++) {
                assertEquals(0.1 * BASE[c] * (k + 1), d[k][c], TOLERANCE);
            }
        }
    }

    @Test
    void heavyBallMomentum() {
        double lr = 0.1;
        double mu = 0.9;
        double[][] d = run(LocalUpdater.momentum(lr, mu));
        for (int c = 0; c < 2; c++) {
            double v = 0;
            for (int k = 0; k < 3; k++) {
                v = mu * v + BASE[c] * (k + 1);
                assertEquals(lr * v, d[k][c], TOLERANCE);
            }
        }
    }

    @Test
    void nesterovAsNd4jDocumentsIt() {
        double lr = 0.05;
        double mu = 0.9;
        double[][] d = run(LocalUpdater.nesterov(lr, mu));
        for (int c = 0; c < 2; c++) {
            double v = 0;
            for (int k = 0; k < 3; k++) {
                double vPrev = v;
                v = mu * v - lr * BASE[c] * (k + 1);
                assertEquals(mu * vPrev - (1 + mu) * v, d[k][c], TOLERANCE);
            }
        }
    }

    @Test
    void adamWithBiasCorrection() {
        double lr = 0.01;
        double b1 = 0.9;
        double b2 = 0.999;
        double eps = 1e-8;
        double[][] d = run(LocalUpdater.adam(lr, b1, b2, eps));
        for (int c = 0; c < 2; c++) {
            double m = 0;
            double v = 0;
            for (int k = 0; k < 3; k++) {
                double g = BASE[c] * (k + 1);
                m = b1 * m + (1 - b1) * g;
                v = b2 * v + (1 - b2) * g * g;
                int t = k + 1;
                double alpha = lr * Math.sqrt(1 - Math.pow(b2, t)) / (1 - Math.pow(b1, t));
                // ND4J adds epsilon to sqrt(v) before the bias-corrected step size is applied
                assertEquals(alpha * m / (Math.sqrt(v) + eps), d[k][c], 1e-9);
            }
        }
    }

    @Test
    void badHyperParametersAreNamed() {
        assertThrows(IllegalArgumentException.class, () -> LocalUpdater.sgd(0));
        assertThrows(IllegalArgumentException.class, () -> LocalUpdater.nesterov(0.1, 1.0));
        assertThrows(IllegalArgumentException.class, () -> LocalUpdater.adam(0.1, 0.9, 1.5, 1e-8));
        assertThrows(IllegalArgumentException.class, () -> LocalUpdater.sgd(0.1).newState(0, DataType.FLOAT));
    }

    @Test
    void dl4jUpdatersMapToTheirCounterparts() {
        assertEquals(LocalUpdater.sgd(0.3).toString(), LocalUpdater.of(new Sgd(0.3)).toString());
        assertEquals(LocalUpdater.nesterov(0.05, 0.8).toString(), LocalUpdater.of(new Nesterovs(0.05, 0.8)).toString());
        assertEquals(LocalUpdater.adam(0.002, 0.8, 0.99, 1e-6).toString(), LocalUpdater.of(new Adam(0.002, 0.8, 0.99, 1e-6)).toString());
        // and step as the mapped one, to the bit
        double[][] ours = run(LocalUpdater.adam(0.002, 0.8, 0.99, 1e-6));
        double[][] mapped = run(LocalUpdater.of(new Adam(0.002, 0.8, 0.99, 1e-6)));
        for (int k = 0; k < 3; k++) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(ours[k], mapped[k], 0.0);
        }
    }

    @Test
    void dl4jUpdatersWithoutCounterpartOrWithScheduleAreNamed() {
        IllegalArgumentException noOp = assertThrows(IllegalArgumentException.class, () -> LocalUpdater.of(new NoOp()));
        assertTrue(noOp.getMessage().contains("NoOp") && noOp.getMessage().contains("no local updater counterpart"), noOp.getMessage());
        IllegalArgumentException rms = assertThrows(IllegalArgumentException.class, () -> LocalUpdater.of(new RmsProp(0.01)));
        assertTrue(rms.getMessage().contains("RmsProp"), rms.getMessage());
        IllegalArgumentException schedule = assertThrows(IllegalArgumentException.class,
                () -> LocalUpdater.of(new Sgd(new ExponentialSchedule(ScheduleType.ITERATION, 0.1, 0.99))));
        assertTrue(schedule.getMessage().contains("schedule"), schedule.getMessage());
    }
}
