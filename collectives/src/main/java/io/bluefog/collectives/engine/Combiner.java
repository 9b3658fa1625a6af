package io.bluefog.collectives.engine;

import java.nio.Buffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The engine's arithmetic on received data: neighborAllreduce's combine
 * {@code out = w_self in + sum_k w_k r_k}, the uniform average {@code (in + sum_k r_k) / m}, and
 * allreduce's division of the sum by the number of ranks; over flat float32/float64 arrays.
 *
 * <p><b>Rounding.</b> Every element is accumulated in float64, self term first and then the sources
 * in the order given (the engine keeps them ascending by rank), without fused multiply-adds, and
 * rounded once to the element type: a float32 result is the float64 result rounded to float32, and
 * results are bitwise reproducible from run to run. Uniform weights ({@code w_self = w_k = 1/m},
 * m = sources + 1, as {@code WeightRule.UNIFORM} builds them) are combined as BlueFog's uniform
 * {@code neighbor_allreduce} does, by summing and then dividing by m: the float64 division is
 * correctly rounded and rounding it to float32 cannot differ from rounding the exact quotient once
 * (53 &ge; 2·24 + 2 bits), so where the float64 sum is exact (float32 inputs of similar magnitude,
 * fewer than 2<sup>29</sup> terms) a float32 average is the exact average correctly rounded, e.g.
 * (50 + 51 + 51) / 3 = 50.666668f, not the 50.66667175f of multiplying by 1/3 in float32.
 *
 * <p>The native kernel ({@link NativeKernels}, one pass over memory) runs when loaded and enabled;
 * otherwise Java loops over blocks of {@value #BLOCK} elements do the same double operations in the
 * same order, so both paths agree bit for bit. Neither allocates anything proportional to the
 * tensor: the Java path holds one block of float64 partial sums.
 */
final class Combiner {
    /** Elements per block of the Java path (a float64 accumulator of 8 KiB stays in L1). */
    static final int BLOCK = 1024;

    private final boolean useNative;
    private final double self;
    private final double[] weights;
    /** m for the average form, 0 for the weighted form. */
    private final int divisor;
    private final boolean dbl;
    private final int width;
    private final long inAddress;
    private final long outAddress;
    private final long[] recvAddress;
    private final long[] chunkAddress;
    private final Buffer inBuf;
    private final Buffer outBuf;
    private final Buffer[] recvBuf;
    private final double[] acc;
    private final float[] floats;
    private final double[] doubles;

    private Combiner(boolean useNative, double self, double[] weights, int divisor, INDArray in, INDArray out,
            INDArray[] received) {
        DataType dtype = in.dataType();
        if (dtype != DataType.FLOAT && dtype != DataType.DOUBLE) {
            throw new IllegalArgumentException("combine takes float32 or float64 arrays, got " + dtype);
        }
        if (out.dataType() != dtype) {
            throw new IllegalArgumentException("combine: output " + out.dataType() + " but input " + dtype);
        }
        this.useNative = useNative;
        this.self = self;
        this.weights = weights;
        this.divisor = divisor;
        this.dbl = dtype == DataType.DOUBLE;
        this.width = dtype.width();
        int ns = received.length;
        if (useNative) {
            inAddress = Tensors.address(in);
            outAddress = Tensors.address(out);
            recvAddress = new long[ns];
            for (int k = 0; k < ns; k++) {
                recvAddress[k] = Tensors.address(received[k]);
            }
            chunkAddress = new long[ns];
            inBuf = outBuf = null;
            recvBuf = null;
            acc = doubles = null;
            floats = null;
        } else {
            inAddress = outAddress = 0;
            recvAddress = chunkAddress = null;
            inBuf = Tensors.nio(in);
            outBuf = Tensors.sameMemory(in, out) ? inBuf : Tensors.nio(out);
            recvBuf = new Buffer[ns];
            for (int k = 0; k < ns; k++) {
                recvBuf[k] = Tensors.nio(received[k]);
            }
            acc = new double[BLOCK];
            doubles = dbl ? new double[BLOCK] : null;
            floats = dbl ? null : new float[BLOCK];
        }
    }

    /**
     * For {@code out = self * in + sum_k weights[k] * received[k]}; uniform weights (all equal to
     * {@code 1.0 / (received.length + 1)}) are combined as the average {@link #average} computes.
     *
     * @param useNative run the native kernel (it must be loaded) rather than the Java loops
     * @param in        flat, contiguous; may be {@code out} (in place)
     * @param out       flat, contiguous, in's dtype and length
     * @param received  flat arrays of in's dtype and at least its length, none overlapping out
     */
    static Combiner weighted(boolean useNative, double self, double[] weights, INDArray in, INDArray out,
            INDArray[] received) {
        return new Combiner(useNative, self, weights, uniform(self, weights) ? weights.length + 1 : 0, in, out,
                received);
    }

    /** For {@code out = (in + sum_k received[k]) / (received.length + 1)}; arguments as {@link #weighted}. */
    static Combiner average(boolean useNative, INDArray in, INDArray out, INDArray[] received) {
        return new Combiner(useNative, 1.0, new double[received.length], received.length + 1, in, out, received);
    }

    /**
     * {@code x[i] = x[i] / divisor} for every element of the flat, contiguous array {@code x}, one
     * correctly rounded division (allreduce's average: BlueFog divides the sum by the size).
     */
    static void divide(boolean useNative, INDArray x, int divisor) {
        if (divisor < 1) {
            throw new IllegalArgumentException("divisor must be at least 1, got " + divisor);
        }
        new Combiner(useNative, 1.0, new double[0], divisor, x, x, new INDArray[0]).combineAll(x.length());
    }

    /** @return true if every weight equals self and self is 1 / (sources + 1) */
    static boolean uniform(double self, double[] weights) {
        if (self != 1.0 / (weights.length + 1)) {
            return false;
        }
        for (double w : weights) {
            if (w != self) {
                return false;
            }
        }
        return true;
    }

    /** The whole length {@code n}, in pieces that fit int counts. */
    void combineAll(long n) {
        for (long from = 0; from < n; from += Integer.MAX_VALUE) {
            combine(from, (int) Math.min(Integer.MAX_VALUE, n - from));
        }
    }

    /** Computes elements {@code [from, from + count)} of out. */
    void combine(long from, int count) {
        if (useNative) {
            long offset = from * width;
            for (int k = 0; k < chunkAddress.length; k++) {
                chunkAddress[k] = recvAddress[k] + offset;
            }
            NativeKernels.combine(dbl, outAddress + offset, inAddress + offset, self, chunkAddress, weights,
                    chunkAddress.length, count, divisor);
            return;
        }
        for (int done = 0; done < count; done += BLOCK) {
            int at = Math.toIntExact(from + done);
            int len = Math.min(BLOCK, count - done);
            boolean avg = divisor > 0;
            first(inBuf, at, len, avg ? 1.0 : self, avg);
            for (int k = 0; k < recvBuf.length; k++) {
                add(recvBuf[k], at, len, avg ? 1.0 : weights[k], avg);
            }
            if (avg) {
                double m = divisor;
                double[] a = acc;
                for (int i = 0; i < len; i++) {
                    a[i] = a[i] / m;
                }
            }
            store(at, len);
        }
    }

    /** acc = w * x (or x itself for the average form, where w is 1) over one block. */
    private void first(Buffer b, int at, int len, double w, boolean plain) {
        double[] a = acc;
        if (dbl) {
            ((DoubleBuffer) b).get(at, a, 0, len);
            if (!plain) {
                for (int i = 0; i < len; i++) {
                    a[i] = w * a[i];
                }
            }
        } else {
            float[] f = floats;
            ((FloatBuffer) b).get(at, f, 0, len);
            for (int i = 0; i < len; i++) {
                a[i] = w * (double) f[i];
            }
        }
    }

    /** acc = acc + w * y over one block (w is 1 for the average form: the product is exact). */
    private void add(Buffer b, int at, int len, double w, boolean plain) {
        double[] a = acc;
        if (dbl) {
            double[] d = doubles;
            ((DoubleBuffer) b).get(at, d, 0, len);
            if (plain) {
                for (int i = 0; i < len; i++) {
                    a[i] = a[i] + d[i];
                }
            } else {
                for (int i = 0; i < len; i++) {
                    a[i] = a[i] + w * d[i];
                }
            }
        } else {
            float[] f = floats;
            ((FloatBuffer) b).get(at, f, 0, len);
            for (int i = 0; i < len; i++) {
                a[i] = a[i] + w * (double) f[i];
            }
        }
    }

    private void store(int at, int len) {
        if (dbl) {
            ((DoubleBuffer) outBuf).put(at, acc, 0, len);
        } else {
            for (int i = 0; i < len; i++) {
                floats[i] = (float) acc[i];
            }
            ((FloatBuffer) outBuf).put(at, floats, 0, len);
        }
    }
}
