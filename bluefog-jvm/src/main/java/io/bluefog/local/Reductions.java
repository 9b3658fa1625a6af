package io.bluefog.local;

import io.bluefog.comm.DType;
import io.bluefog.comm.Float16;
import io.bluefog.comm.ReduceOp;
import java.nio.Buffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;

/**
 * The element-wise reductions of the in-JVM allreduce, applied to one element range of all ranks'
 * buffers at once. Every element is combined in rank order,
 * {@code ((x_0 op x_1) op x_2) ... op x_{n-1}}, so results are bit-identical from run to run and do
 * not depend on which thread reduces which range. {@code AVG} is that sum divided by n.
 * {@code MIN}/{@code MAX} follow {@link Math#min(float, float)} (NaN propagates, -0.0 &lt; 0.0).
 * float16 is accumulated in float64 and rounded once to float16; int32/int64 in their own type,
 * wrapping on overflow as MPI_SUM does, {@code AVG} truncating toward zero (see {@link DType}).
 *
 * <p>Ranges are processed in blocks copied to primitive arrays with bulk absolute get/put, so a large
 * buffer costs a few memcpys and a vectorisable loop per rank, not a boxed element loop.
 */
final class Reductions {
    /** Elements per block: 16 KiB of floats, small enough to stay in L1/L2 with two blocks live. */
    static final int BLOCK = 4096;

    private Reductions() {
    }

    /** Reduces elements [from, to) of every buffer (all of {@code dtype}) and writes the result back to every buffer. */
    static void reduce(Buffer[] bufs, DType dtype, ReduceOp op, int from, int to) {
        switch (dtype) {
            case FLOAT32 -> reduce(cast(bufs, new FloatBuffer[bufs.length]), op, from, to);
            case FLOAT64 -> reduce(cast(bufs, new DoubleBuffer[bufs.length]), op, from, to);
            case FLOAT16 -> reduce(cast(bufs, new ShortBuffer[bufs.length]), op, from, to);
            case INT32 -> reduce(cast(bufs, new IntBuffer[bufs.length]), op, from, to);
            case INT64 -> reduce(cast(bufs, new LongBuffer[bufs.length]), op, from, to);
        }
    }

    @SuppressWarnings("unchecked")
    private static <B extends Buffer> B[] cast(Buffer[] bufs, B[] typed) {
        for (int r = 0; r < bufs.length; r++) {
            typed[r] = (B) bufs[r];
        }
        return typed;
    }

    /** float32: reduces elements [from, to) of every buffer and writes the result back to every buffer. */
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

    /** float16, accumulated in float64 and rounded once to float16. */
    static void reduce(ShortBuffer[] bufs, ReduceOp op, int from, int to) {
        int n = bufs.length;
        double[] acc = new double[Math.min(BLOCK, Math.max(0, to - from))];
        double[] tmp = new double[acc.length];
        short[] halves = new short[acc.length];
        for (int start = from; start < to; start += BLOCK) {
            int len = Math.min(BLOCK, to - start);
            widen(bufs[0], start, len, halves, acc);
            for (int r = 1; r < n; r++) {
                widen(bufs[r], start, len, halves, tmp);
                combine(acc, tmp, len, op);
            }
            for (int i = 0; i < len; i++) {
                halves[i] = Float16.fromDouble(op == ReduceOp.AVG ? acc[i] / n : acc[i]);
            }
            for (int r = 0; r < n; r++) {
                bufs[r].put(start, halves, 0, len);
            }
        }
    }

    private static void widen(ShortBuffer b, int start, int len, short[] halves, double[] out) {
        b.get(start, halves, 0, len);
        for (int i = 0; i < len; i++) {
            out[i] = Float16.toFloat(halves[i]);
        }
    }

    /** int32: exact, wrapping on overflow; AVG truncates toward zero. */
    static void reduce(IntBuffer[] bufs, ReduceOp op, int from, int to) {
        int n = bufs.length;
        int[] acc = new int[Math.min(BLOCK, Math.max(0, to - from))];
        int[] x = new int[acc.length];
        for (int start = from; start < to; start += BLOCK) {
            int len = Math.min(BLOCK, to - start);
            bufs[0].get(start, acc, 0, len);
            for (int r = 1; r < n; r++) {
                bufs[r].get(start, x, 0, len);
                for (int i = 0; i < len; i++) {
                    acc[i] = switch (op) {
                        case SUM, AVG -> acc[i] + x[i];
                        case MIN -> Math.min(acc[i], x[i]);
                        case MAX -> Math.max(acc[i], x[i]);
                    };
                }
            }
            if (op == ReduceOp.AVG) {
                for (int i = 0; i < len; i++) {
                    acc[i] /= n;
                }
            }
            for (int r = 0; r < n; r++) {
                bufs[r].put(start, acc, 0, len);
            }
        }
    }

    /** int64: exact, wrapping on overflow; AVG truncates toward zero. */
    static void reduce(LongBuffer[] bufs, ReduceOp op, int from, int to) {
        int n = bufs.length;
        long[] acc = new long[Math.min(BLOCK, Math.max(0, to - from))];
        long[] x = new long[acc.length];
        for (int start = from; start < to; start += BLOCK) {
            int len = Math.min(BLOCK, to - start);
            bufs[0].get(start, acc, 0, len);
            for (int r = 1; r < n; r++) {
                bufs[r].get(start, x, 0, len);
                for (int i = 0; i < len; i++) {
                    acc[i] = switch (op) {
                        case SUM, AVG -> acc[i] + x[i];
                        case MIN -> Math.min(acc[i], x[i]);
                        case MAX -> Math.max(acc[i], x[i]);
                    };
                }
            }
            if (op == ReduceOp.AVG) {
                for (int i = 0; i < len; i++) {
                    acc[i] /= n;
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
