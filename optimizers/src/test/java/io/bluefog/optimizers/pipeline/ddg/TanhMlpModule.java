package io.bluefog.optimizers.pipeline.ddg;

import io.bluefog.collectives.pipeline.StageTensor;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Test module: dense layers on one sample (a vector), h ↦ tanh(W h + b) for every layer except,
 * in the last module, the final one, which is linear and followed by the loss ½‖z − y‖². Weights
 * W (row-major) then b per layer in the flat vector; initialised from a fixed seed.
 */
final class TanhMlpModule implements DdgModule {
    private final int[] widths;
    private final boolean last;
    private final double[] w;

    /** @param widths input width then each layer's output width */
    TanhMlpModule(int[] widths, boolean last, long seed) {
        this.widths = widths.clone();
        this.last = last;
        int n = 0;
        for (int l = 0; l + 1 < widths.length; l++) {
            n += widths[l + 1] * widths[l] + widths[l + 1];
        }
        w = new double[n];
        SplittableRandom rnd = new SplittableRandom(seed);
        Arrays.setAll(w, i -> rnd.nextDouble(-0.8, 0.8));
    }

    @Override
    public int parameterCount() {
        return w.length;
    }

    @Override
    public double[] parameters() {
        return w.clone();
    }

    @Override
    public void setParameters(double[] p) {
        if (p.length != w.length) {
            throw new IllegalArgumentException("length " + p.length);
        }
        System.arraycopy(p, 0, w, 0, w.length);
    }

    @Override
    public long[] expectedInputShape() {
        return new long[] {widths[0]};
    }

    private boolean linear(int l) {
        return last && l == widths.length - 2;
    }

    /** @return the activations h_0 (input) … h_L */
    private double[][] activations(double[] x) {
        double[][] h = new double[widths.length][];
        h[0] = x;
        int off = 0;
        for (int l = 0; l + 1 < widths.length; l++) {
            int in = widths[l];
            int out = widths[l + 1];
            double[] y = new double[out];
            for (int r = 0; r < out; r++) {
                double s = w[off + in * out + r];
                for (int c = 0; c < in; c++) {
                    s += w[off + r * in + c] * h[l][c];
                }
                y[r] = linear(l) ? s : Math.tanh(s);
            }
            h[l + 1] = y;
            off += in * out + out;
        }
        return h;
    }

    @Override
    public StageTensor forward(StageTensor input, StageTensor labels) {
        double[][] h = activations(input.values());
        double[] z = h[h.length - 1];
        if (!last) {
            return StageTensor.vector(z);
        }
        double[] y = labels.values();
        double loss = 0;
        for (int i = 0; i < z.length; i++) {
            loss += 0.5 * (z[i] - y[i]) * (z[i] - y[i]);
        }
        return StageTensor.vector(loss);
    }

    @Override
    public Gradients backward(StageTensor input, StageTensor labels, StageTensor outputGradient) {
        double[][] h = activations(input.values());
        int layers = widths.length - 1;
        double[] delta;
        if (last) {
            double[] y = labels.values();
            double[] z = h[layers];
            delta = new double[z.length];
            Arrays.setAll(delta, i -> z[i] - y[i]);
        } else {
            delta = outputGradient.values();
        }
        double[] g = new double[w.length];
        int off = w.length;
        for (int l = layers - 1; l >= 0; l--) {
            int in = widths[l];
            int out = widths[l + 1];
            off -= in * out + out;
            double[] pre = new double[out];
            for (int r = 0; r < out; r++) {
                pre[r] = linear(l) ? delta[r] : delta[r] * (1 - h[l + 1][r] * h[l + 1][r]);
            }
            double[] down = new double[in];
            for (int r = 0; r < out; r++) {
                g[off + in * out + r] = pre[r];
                for (int c = 0; c < in; c++) {
                    g[off + r * in + c] = pre[r] * h[l][c];
                    down[c] += w[off + r * in + c] * pre[r];
                }
            }
            delta = down;
        }
        return new Gradients(StageTensor.vector(delta), g);
    }
}
