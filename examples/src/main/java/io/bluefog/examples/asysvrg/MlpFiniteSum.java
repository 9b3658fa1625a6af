package io.bluefog.examples.asysvrg;

import io.bluefog.examples.data.Shard;
import io.bluefog.optimizers.svrg.FiniteSum;
import java.util.SplittableRandom;

/**
 * The thesis's MNIST network (Huo, PhD thesis, &sect;2.5.1): a 784-100-10 fully connected network with
 * ReLU in the hidden layer and softmax cross-entropy, plus &ell;2 regularisation (C/2)‖w‖&sup2; on all
 * parameters, as a {@link FiniteSum}: f_i(w) = &minus;log softmax(W2 relu(W1 x_i + b1) + b2)_{y_i} + (C/2)‖w‖&sup2;.
 * Parameters are one float64 vector: W1 (100 &times; 784, row-major), b1 (100), W2 (10 &times; 100), b2 (10);
 * d = 79,510. Features are used as given (Fashion-MNIST pixels in [0, 1]). Not thread-safe.
 */
final class MlpFiniteSum implements FiniteSum {
    static final int IN = 784;
    static final int HIDDEN = 100;
    static final int OUT = 10;
    static final int W1 = 0;
    static final int B1 = W1 + HIDDEN * IN;
    static final int W2 = B1 + HIDDEN;
    static final int B2 = W2 + OUT * HIDDEN;
    /** d, the number of parameters. */
    static final int DIMENSION = B2 + OUT;

    private final int[][] nzIndex;
    private final double[][] nzValue;
    private final int[] labels;
    private final double l2;
    private final double[] h = new double[HIDDEN];
    private final double[] o = new double[OUT];
    private final double[] dh = new double[HIDDEN];

    /**
     * @param shard samples with {@value #IN} features and labels in 0..9
     * @param l2    C &ge; 0
     */
    MlpFiniteSum(Shard shard, double l2) {
        if (shard.featureCount() != IN || shard.numClasses() != OUT) {
            throw new IllegalArgumentException("need " + IN + " features and " + OUT + " classes, got "
                    + shard.featureCount() + " and " + shard.numClasses());
        }
        if (!(l2 >= 0)) {
            throw new IllegalArgumentException("l2 must be >= 0, got " + l2);
        }
        int n = shard.size();
        nzIndex = new int[n][];
        nzValue = new double[n][];
        for (int i = 0; i < n; i++) {
            float[] x = shard.features()[i];
            int c = 0;
            for (float v : x) {
                c += v != 0 ? 1 : 0;
            }
            nzIndex[i] = new int[c];
            nzValue[i] = new double[c];
            for (int p = 0, k = 0; p < x.length; p++) {
                if (x[p] != 0) {
                    nzIndex[i][k] = p;
                    nzValue[i][k++] = x[p];
                }
            }
        }
        labels = shard.labels().clone();
        this.l2 = l2;
    }

    /** @return He-initialised weights (normal, variance 2/fan-in) and zero biases, from {@code seed} */
    static double[] initialWeights(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] w = new double[DIMENSION];
        double s1 = Math.sqrt(2.0 / IN);
        double s2 = Math.sqrt(2.0 / HIDDEN);
        for (int j = 0; j < HIDDEN * IN; j++) {
            w[W1 + j] = s1 * gaussian(r);
        }
        for (int j = 0; j < OUT * HIDDEN; j++) {
            w[W2 + j] = s2 * gaussian(r);
        }
        return w;
    }

    private static double gaussian(SplittableRandom r) {
        // Box-Muller
        double u = 1.0 - r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    @Override
    public int dimension() {
        return DIMENSION;
    }

    @Override
    public int samples() {
        return labels.length;
    }

    @Override
    public double addGradient(double[] w, int[] rows, double[] g) {
        int count = rows == null ? labels.length : rows.length;
        double sq = 0;
        for (double v : w) {
            sq += v * v;
        }
        double loss = 0;
        for (int c = 0; c < count; c++) {
            int i = rows == null ? c : rows[c];
            int[] idx = nzIndex[i];
            double[] val = nzValue[i];
            for (int j = 0; j < HIDDEN; j++) {
                double a = w[B1 + j];
                int base = W1 + j * IN;
                for (int k = 0; k < idx.length; k++) {
                    a += w[base + idx[k]] * val[k];
                }
                h[j] = a > 0 ? a : 0;
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int q = 0; q < OUT; q++) {
                double a = w[B2 + q];
                int base = W2 + q * HIDDEN;
                for (int j = 0; j < HIDDEN; j++) {
                    a += w[base + j] * h[j];
                }
                o[q] = a;
                max = Math.max(max, a);
            }
            double z = 0;
            for (int q = 0; q < OUT; q++) {
                o[q] = Math.exp(o[q] - max);
                z += o[q];
            }
            loss += -Math.log(o[labels[i]] / z) + 0.5 * l2 * sq;
            java.util.Arrays.fill(dh, 0);
            for (int q = 0; q < OUT; q++) {
                double delta = o[q] / z - (q == labels[i] ? 1 : 0);
                g[B2 + q] += delta;
                int base = W2 + q * HIDDEN;
                for (int j = 0; j < HIDDEN; j++) {
                    g[base + j] += delta * h[j];
                    dh[j] += delta * w[base + j];
                }
            }
            for (int j = 0; j < HIDDEN; j++) {
                if (h[j] <= 0) {
                    continue;
                }
                double delta = dh[j];
                g[B1 + j] += delta;
                int base = W1 + j * IN;
                for (int k = 0; k < idx.length; k++) {
                    g[base + idx[k]] += delta * val[k];
                }
            }
        }
        if (l2 != 0) {
            for (int p = 0; p < w.length; p++) {
                g[p] += count * l2 * w[p];
            }
        }
        return loss;
    }
}
