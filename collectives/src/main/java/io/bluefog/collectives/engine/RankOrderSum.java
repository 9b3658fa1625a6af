package io.bluefog.collectives.engine;

import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The summation of the large allreduces ({@link DirectAllreduce}, {@link SharedMemoryAllreduce}):
 * a chunk of the owner's block summed over every rank's term in ascending rank order in the element
 * type, {@code ((x_0 + x_1) + x_2) + ...}, then (AVG) divided once by n; the order of
 * {@code io.bluefog.local.Reductions}, so both transports give the same bits. One instance per
 * engine thread (it holds scratch).
 */
final class RankOrderSum {
    // Scratch of the summation of three or more terms, reused across calls.
    private final float[] floatAcc = new float[Combiner.BLOCK];
    private final float[] floatTerm = new float[Combiner.BLOCK];
    private final double[] doubleAcc = new double[Combiner.BLOCK];
    private final double[] doubleTerm = new double[Combiner.BLOCK];

    /**
     * work[at .. at + count) = (sum over ranks r ascending of term_r) / divisor, in the element type,
     * where term_rank is received[rank][at .. at + count) (the input, possibly work itself) and term_q
     * (q != rank) is received[q][0 .. count) (a receive slot).
     *
     * <p>Two terms: one element-wise pass over the direct buffers (measured about 1.5 times faster
     * than the blocks below on 12.5 MB, near memcpy speed). More: block by block through heap
     * scratch, every term of a block read before the block is written (a term may be work itself).
     */
    void sum(ByteBuffer work, ByteBuffer[] received, int rank, DataType dtype, long at, int count,
            int divisor) {
        int size = received.length;
        if (size == 2) {
            sumTwo(work, received, rank, dtype, at, count, divisor);
            return;
        }
        int block = Combiner.BLOCK;
        // Per-chunk views: a few small objects, nothing proportional to the tensor.
        if (dtype == DataType.FLOAT) {
            FloatBuffer w = (FloatBuffer) Tensors.nio(work, dtype, at, count);
            FloatBuffer[] r = new FloatBuffer[size];
            for (int q = 0; q < size; q++) {
                r[q] = (FloatBuffer) Tensors.nio(received[q], dtype, q == rank ? at : 0, count);
            }
            float[] acc = floatAcc;
            float[] t = floatTerm;
            float div = divisor;
            for (int s = 0; s < count; s += block) {
                int len = Math.min(block, count - s);
                r[0].get(s, acc, 0, len);
                for (int q = 1; q < size; q++) {
                    r[q].get(s, t, 0, len);
                    addInto(acc, t, len);
                }
                if (divisor != 1) {
                    divide(acc, len, div);
                }
                w.put(s, acc, 0, len);
            }
        } else {
            DoubleBuffer w = (DoubleBuffer) Tensors.nio(work, dtype, at, count);
            DoubleBuffer[] r = new DoubleBuffer[size];
            for (int q = 0; q < size; q++) {
                r[q] = (DoubleBuffer) Tensors.nio(received[q], dtype, q == rank ? at : 0, count);
            }
            double[] acc = doubleAcc;
            double[] t = doubleTerm;
            double div = divisor;
            for (int s = 0; s < count; s += block) {
                int len = Math.min(block, count - s);
                r[0].get(s, acc, 0, len);
                for (int q = 1; q < size; q++) {
                    r[q].get(s, t, 0, len);
                    addInto(acc, t, len);
                }
                if (divisor != 1) {
                    divide(acc, len, div);
                }
                w.put(s, acc, 0, len);
            }
        }
    }

    // The loops of the blocked sum, one method each, so that each is compiled on its own profile (see sumTwo).

    /** acc[i] += t[i] for i in [0, len), float32. */
    private static void addInto(float[] acc, float[] t, int len) {
        for (int i = 0; i < len; i++) {
            acc[i] += t[i];
        }
    }

    /** acc[i] /= div for i in [0, len), float32. */
    private static void divide(float[] acc, int len, float div) {
        for (int i = 0; i < len; i++) {
            acc[i] /= div;
        }
    }

    /** acc[i] += t[i] for i in [0, len), float64. */
    private static void addInto(double[] acc, double[] t, int len) {
        for (int i = 0; i < len; i++) {
            acc[i] += t[i];
        }
    }

    /** acc[i] /= div for i in [0, len), float64. */
    private static void divide(double[] acc, int len, double div) {
        for (int i = 0; i < len; i++) {
            acc[i] /= div;
        }
    }

    /**
     * {@link #sum} of two terms: work[i] = (term_0[i] + term_1[i]) / divisor, each operation rounded
     * to the element type as in the blocked loop (so the same bits). Element i of work is written
     * after both terms' element i were read, so a term may be work itself.
     *
     * <p>Each loop is its own method on purpose. With both loops in one method behind
     * {@code if (divisor == 1)}, the loop whose branch ran second stayed about 20 times slower
     * (12.5 MB of float32: 1.1 ms against 23 ms, measured either way round, HotSpot 17, one JVM):
     * in collectives-bench, where allreduce (average) runs before allreduce sum, that made SUM
     * 2.5 to 4 times slower than AVG. A method per loop is compiled on its own profile.
     *
     * <p>On two ranks the divisor is 1 or 2; dividing by 2 and multiplying by 0.5 round the same
     * real number, so the average is computed as a product (the same bits, no division).
     */
    private static void sumTwo(ByteBuffer work, ByteBuffer[] received, int rank, DataType dtype, long at,
            int count, int divisor) {
        if (divisor != 1 && divisor != 2) {
            throw new IllegalArgumentException("two-term sum divides by 1 or 2, got " + divisor);
        }
        if (dtype == DataType.FLOAT) {
            FloatBuffer w = (FloatBuffer) Tensors.nio(work, dtype, at, count);
            FloatBuffer a = (FloatBuffer) Tensors.nio(received[0], dtype, rank == 0 ? at : 0, count);
            FloatBuffer b = (FloatBuffer) Tensors.nio(received[1], dtype, rank == 1 ? at : 0, count);
            if (divisor == 1) {
                addFloats(w, a, b, count);
            } else {
                averageFloats(w, a, b, count);
            }
        } else {
            DoubleBuffer w = (DoubleBuffer) Tensors.nio(work, dtype, at, count);
            DoubleBuffer a = (DoubleBuffer) Tensors.nio(received[0], dtype, rank == 0 ? at : 0, count);
            DoubleBuffer b = (DoubleBuffer) Tensors.nio(received[1], dtype, rank == 1 ? at : 0, count);
            if (divisor == 1) {
                addDoubles(w, a, b, count);
            } else {
                averageDoubles(w, a, b, count);
            }
        }
    }

    /** w[i] = a[i] + b[i] for i in [0, count), float32. */
    private static void addFloats(FloatBuffer w, FloatBuffer a, FloatBuffer b, int count) {
        for (int i = 0; i < count; i++) {
            w.put(i, a.get(i) + b.get(i));
        }
    }

    /** w[i] = (a[i] + b[i]) * 0.5, bitwise (a[i] + b[i]) / 2, for i in [0, count), float32. */
    private static void averageFloats(FloatBuffer w, FloatBuffer a, FloatBuffer b, int count) {
        for (int i = 0; i < count; i++) {
            w.put(i, (a.get(i) + b.get(i)) * 0.5f);
        }
    }

    /** w[i] = a[i] + b[i] for i in [0, count), float64. */
    private static void addDoubles(DoubleBuffer w, DoubleBuffer a, DoubleBuffer b, int count) {
        for (int i = 0; i < count; i++) {
            w.put(i, a.get(i) + b.get(i));
        }
    }

    /** w[i] = (a[i] + b[i]) * 0.5, bitwise (a[i] + b[i]) / 2, for i in [0, count), float64. */
    private static void averageDoubles(DoubleBuffer w, DoubleBuffer a, DoubleBuffer b, int count) {
        for (int i = 0; i < count; i++) {
            w.put(i, (a.get(i) + b.get(i)) * 0.5);
        }
    }
}
