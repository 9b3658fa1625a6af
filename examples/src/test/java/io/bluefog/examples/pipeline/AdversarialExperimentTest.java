package io.bluefog.examples.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** Eq. 17's value and subgradient as the adversarial experiment computes them. */
class AdversarialExperimentTest {
    private static final int FEATURES = 6;
    /** central differences with h = 1e-6 in float64 away from kinks */
    private static final double FD_TOLERANCE = 1e-6;

    @Test
    void multiMarginLossAndItsSubgradient() {
        double[] z = {2.0, 0.5, 1.8, -3.0};
        double[] dz = new double[4];
        // target 1: 1 - 0.5 + 2.0 = 2.5, 1 - 0.5 + 1.8 = 2.3, 1 - 0.5 - 3 < 0
        assertEquals(4.8, AdversarialExperiment.MarginAttack.margin(z, 1, dz), 1e-12);
        assertArrayEquals(new double[] {1, -2, 1, 0}, dz, 0.0);
    }

    /** A smooth (tanh) float64 network, so that central differences are accurate away from the kinks. */
    private static MultiLayerNetwork net() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.DOUBLE)
                .weightInit(WeightInit.XAVIER).list()
                .layer(new DenseLayer.Builder().nIn(FEATURES).nOut(5).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(5).nOut(3).activation(Activation.SOFTMAX).build())
                .build());
        net.init();
        return net;
    }

    private static AdversarialExperiment.MarginAttack attack(double lambda) {
        SplittableRandom rnd = new SplittableRandom(5);
        float[] a = new float[FEATURES];
        float[] b = new float[FEATURES];
        for (int j = 0; j < FEATURES; j++) {
            a[j] = (float) rnd.nextDouble();
            b[j] = (float) rnd.nextDouble();
        }
        return new AdversarialExperiment.MarginAttack(net(), List.of(a, b), new int[] {2, 0}, lambda);
    }

    @Test
    void gradientMatchesFiniteDifferencesAndAveragesOverThePoints() {
        AdversarialExperiment.MarginAttack attack = attack(0.7);
        SplittableRandom rnd = new SplittableRandom(9);
        double[] x0 = attack.start();
        double[] p1 = x0.clone();
        double[] p2 = x0.clone();
        for (int i = 0; i < p1.length; i++) {
            p1[i] += 0.3 * (rnd.nextDouble() - 0.5);
            p2[i] += 0.3 * (rnd.nextDouble() - 0.5);
        }
        double[] g1 = attack.averagedGradient(new double[][] {p1});
        double[] g2 = attack.averagedGradient(new double[][] {p2});
        double[] both = attack.averagedGradient(new double[][] {p1, p2});
        for (int i = 0; i < both.length; i++) {
            assertEquals((g1[i] + g2[i]) / 2, both[i], 1e-12);
        }
        double h = 1e-6;
        for (int i = 0; i < p1.length; i++) {
            double[] up = p1.clone();
            double[] down = p1.clone();
            up[i] += h;
            down[i] -= h;
            double fd = (sum(attack.values(up)) - sum(attack.values(down))) / (2 * h);
            assertEquals(fd, g1[i], FD_TOLERANCE, "coordinate " + i);
        }
    }

    @Test
    void theLinfTermIsLambdaTimesTheLargestDeviation() {
        AdversarialExperiment.MarginAttack plain = attack(0);
        AdversarialExperiment.MarginAttack penalised = attack(2.5);
        double[] x = plain.start();
        x[FEATURES + 3] -= 0.4; // pair 1, coordinate 3
        x[FEATURES + 1] += 0.1;
        x[2] += 0.05;           // pair 0
        double[] v0 = plain.values(x);
        double[] v = penalised.values(x);
        assertEquals(v0[0] + 2.5 * 0.05, v[0], 1e-9);
        assertEquals(v0[1] + 2.5 * 0.4, v[1], 1e-9);
        // its subgradient: -lambda on pair 1's coordinate 3, +lambda on pair 0's coordinate 2
        double[] g0 = plain.averagedGradient(new double[][] {x});
        double[] g = penalised.averagedGradient(new double[][] {x});
        for (int i = 0; i < g.length; i++) {
            double extra = i == FEATURES + 3 ? -2.5 : i == 2 ? 2.5 : 0;
            assertEquals(g0[i] + extra, g[i], 1e-9, "coordinate " + i);
        }
        // not finite in, NaN out (a diverged run), before any work
        x[0] = Double.NaN;
        assertEquals(Double.NaN, penalised.values(x)[0]);
        assertEquals(Double.NaN, penalised.averagedGradient(new double[][] {x})[3]);
        assertThrows(IllegalArgumentException.class, () -> new AdversarialExperiment.Settings(null, 0, 1, 0, 1, 1,
                new int[] {2}, new int[] {20}, new double[] {1e-3}, new double[] {1e-3}, 0.99, 1, null));
    }

    private static double sum(double[] v) {
        double s = 0;
        for (double d : v) {
            s += d;
        }
        return s;
    }
}
