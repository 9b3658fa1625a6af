package io.bluefog.local;

import io.bluefog.comm.ReduceOp;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * The element-wise reductions of the in-JVM allreduce, applied to one element range of all ranks'
 * buffers at once. Every element is combined in rank order,
 * {@code ((x_0 op x_1) op x_2) ... op x_{n-1}}, so results are bit-identical from run to run and do
 * not depend on which thread reduces which range. {@code AVG} is that sum divided by n.
 * {@code MIN}/{@code MAX} follow {@link Math#min(float, float)} (NaN propagates, -0.0 &lt; 0.0).
 *
 * <p>Ranges are processed in blocks copied to primitive arrays with bulk absolute get/put, so a large
 * buffer costs a few memcpys and a vectorisable loop per rank, not a boxed element loop.
 */
final class Reductions {
    /** Elements per block: 16 KiB of floats, small enough to stay in L1/L2 with two blocks live. */
    static final int BLOCK = 4096;

    private Reductions() {
    }

    /** Reduces elements [from, to) of every buffer and writes the result back to every buffer. */
    static void reduce(FloatBuffer[] bufs, ReduceOp op, int from, int to) {
        int n = bufs.length;
        float[] acc = new float[Math.min(BLOCK, Math.max(0, to - from))];
        float[] tmp = new float[acc.length];
        for (int start = from; start < to; start += BLOCK) {
            int len = Math.min(BLOCK, to - start);
            bufs[0].get(start, acc, 0, len);
            for (int r = 1; r < n; r++) {
                bufs[r].get(start, tmp, 0, len);
                combine(acc, tmp, len, op);
            }
            if (op == ReduceOp.AVG) {
                float div = n;
                for (int i = 0; i < len; i++) {
                    acc[i] /= div;
                }
            }
            for (int r = 0; r < n; r++) {
                bufs[r].put(start, acc, 0, len);
            }
        }
    }

    /** Double-precision twin of {@link #reduce(FloatBuffer[], ReduceOp, int, int)}. */
    static void reduce(DoubleBuffer[] bufs, ReduceOp op, int from, int to) {
        int n = bufs.length;
        double[] acc = new double[Math.min(BLOCK, Math.max(0, to - from))];
        double[] tmp = new double[acc.length];
        for (int start = from; start < to; start += BLOCK) {
            int len = Math.min(BLOCK, to - start);
            bufs[0].get(start, acc, 0, len);
            for (int r = 1; r < n; r++) {
                bufs[r].get(start, tmp, 0, len);
                combine(acc, tmp, len, op);
            }
            if (op == ReduceOp.AVG) {
                double div = n;
                for (int i = 0; i < len; i++) {
                    acc[i] /= div;
                }
            }
            for (int r = 0; r < n; r++) {
                bufs[r].put(start, acc, 0, len);
            }
        }
    }

    private static void combine(float[] acc, float[] x, int len, ReduceOp op) {
        switch (op) {
            case SUM, AVG -> {
                for (int i = 0; i < len; i++) {
                    acc[i] += x[i];
                }
            }
            case MIN -> {
                for (int i = 0; i < len; i++) {
                    acc[i] = Math.min(acc[i], x[i]);
                }
            }
            case MAX -> {
                for (int i = 0; i < len; i++) {
                    acc[i] = Math.max(acc[i], x[i]);
                }
            }
            default -> throw new IllegalArgumentException("op " + op);
        }
    }

    private static void combine(double[] acc, double[] x, int len, ReduceOp op) {
        switch (op) {
            case SUM, AVG -> {
                for (int i = 0; i < len; i++) {
                    acc[i] += x[i];
                }
            }
            case MIN -> {
                for (int i = 0; i < len; i++) {
                    acc[i] = Math.min(acc[i], x[i]);
                }
            }
            case MAX -> {
                for (int i = 0; i < len; i++) {
                    acc[i] = Math.max(acc[i], x[i]);
                }
            }
            default -> throw new IllegalArgumentException("op " + op);
        }
    }
}
