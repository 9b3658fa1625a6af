package io.bluefog.collectives.engine;

import java.nio.Buffer;
import java.nio.DoubleBuffer;
import io.bluefog.comm.Float16;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The engine's arithmetic on received data: neighborAllreduce's combine
 * {@code out = w_self in + sum_k w_k r_k}, the uniform average {@code (in + sum_k r_k) / m}, and
 * allreduce's division of the sum by the number of ranks; over flat arrays of one dtype (float32,
 * float64, float16, int32, int64).
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
 * <p><b>float16</b> is accumulated the same way in float64 and rounded once to float16 (round to
 * nearest even, {@link Float16#fromDouble}).
 *
 * <p><b>int32 and int64.</b> BlueFog's {@code neighbor_allreduce} takes floating-point tensors only;
 * its {@code allreduce} averages an integer tensor with {@code div_(size)}, which in the PyTorch of
 * its time truncated toward zero ({@code torch.div(..., rounding_mode='trunc')} today). We extend
 * that rule to the neighbor operations:
 * <ul>
 *   <li>uniform weights (and allreduce's average): the exact integer sum (accumulated in int64),
 *       divided by m truncating toward zero, e.g. (1 + 2 + 2) / 3 = 1, (-5) / 2 = -2;</li>
 *   <li>weights that are all whole numbers (e.g. 1 for sums): exact integer arithmetic in int64,
 *       wrapping on overflow, narrowed to the dtype;</li>
 *   <li>other weights: {@code w_self x + sum_k w_k r_k} accumulated in float64 as for floats, then
 *       truncated toward zero (Java's narrowing conversion, which saturates at the dtype's range);
 *       exact up to rounding of the float64 sum, so for magnitudes below 2<sup>53</sup> / m.</li>
 * </ul>
 *
 * <p>The native kernel ({@link NativeKernels}, one pass over memory) runs for float32 and float64
 * when loaded and enabled; otherwise, and for the other dtypes, Java loops over blocks of
 * {@value #BLOCK} elements do the same operations in the same order, so both paths agree bit for
 * bit. Neither allocates anything proportional to the tensor: the Java path holds one block of
 * partial sums.
 */
final class Combiner {
    /** Elements per block of the Java path (a float64 accumulator of 8 KiB stays in L1). */
    static final int BLOCK = 1024;

    private final boolean useNative;
    private final double self;
    private final double[] weights;
    /** m for the average form, 0 for the weighted form. */
    private final int divisor;
    private final DataType dtype;
    private final boolean dbl;
    /** int32/int64 with the average form or whole-number weights: exact integer arithmetic. */
    private final boolean exactIntegers;
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
    /** The other dtypes' block: widened to float64, or to int64 for exact integer arithmetic. */
    private final double[] wide;
    private final long[] longs;
    private final long[] longAcc;
    private final short[] halves;
    private final int[] ints;

    private Combiner(boolean useNative, double self, double[] weights, int divisor, INDArray in, INDArray out,
            INDArray[] received) {
        DataType dtype = in.dataType();
        if (Tensors.code(dtype) == 0) {
            throw new IllegalArgumentException("combine takes float32, float64, float16, int32 or int64 arrays, got "
                    + dtype);
        }
        if (out.dataType() != dtype) {
            throw new IllegalArgumentException("combine: output " + out.dataType() + " but input " + dtype);
        }
        boolean integer = dtype == DataType.INT || dtype == DataType.LONG;
        this.useNative = useNative && (dtype == DataType.FLOAT || dtype == DataType.DOUBLE);
        this.self = self;
        this.weights = weights;
        this.divisor = divisor;
        this.dtype = dtype;
        this.dbl = dtype == DataType.DOUBLE;
        this.exactIntegers = integer && (divisor > 0 || wholeNumbers(self, weights));
        this.width = dtype.width();
        int ns = received.length;
        if (this.useNative) {
            inAddress = Tensors.address(in);
            outAddress = Tensors.address(out);
            recvAddress = new long[ns];
            for (int k = 0; k < ns; k++) {
                recvAddress[k] = Tensors.address(received[k]);
            }
            chunkAddress = new long[ns];
            inBuf = outBuf = null;
            recvBuf = null;
            acc = doubles = wide = null;
            floats = null;
            longs = longAcc = null;
            halves = null;
            ints = null;
        } else {
            inAddress = outAddress = 0;
            recvAddress = chunkAddress = null;
            inBuf = Tensors.nio(in);
            outBuf = Tensors.sameMemory(in, out) ? inBuf : Tensors.nio(out);
            recvBuf = new Buffer[ns];
            for (int k = 0; k < ns; k++) {
                recvBuf[k] = Tensors.nio(received[k]);
            }
            boolean generic = !dbl && dtype != DataType.FLOAT;
            acc = exactIntegers ? null : new double[BLOCK];
            doubles = dbl ? new double[BLOCK] : null;
            floats = dtype == DataType.FLOAT ? new float[BLOCK] : null;
            wide = generic && !exactIntegers ? new double[BLOCK] : null;
            longs = integer ? new long[BLOCK] : null;
            longAcc = exactIntegers ? new long[BLOCK] : null;
            halves = dtype == DataType.HALF ? new short[BLOCK] : null;
            ints = dtype == DataType.INT ? new int[BLOCK] : null;
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

    /** @return true if self and every weight are whole numbers of magnitude below 2^53 */
    static boolean wholeNumbers(double self, double[] weights) {
        if (!whole(self)) {
            return false;
        }
        for (double w : weights) {
            if (!whole(w)) {
                return false;
            }
        }
        return true;
    }

    private static boolean whole(double w) {
        return Math.abs(w) < 0x1p53 && w == Math.rint(w);
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
        combineTo(from, count, from);
    }

    /**
     * Computes elements {@code [from, from + count)} of the result (from those elements of in and
     * of the received arrays) into out's elements {@code [outFrom, outFrom + count)}; out may then
     * be a smaller block buffer than in (same operations and order as {@link #combine}).
     */
    void combineTo(long from, int count, long outFrom) {
        if (useNative) {
            long offset = from * width;
            for (int k = 0; k < chunkAddress.length; k++) {
                chunkAddress[k] = recvAddress[k] + offset;
            }
            int k = chunkAddress.length;
            if (k <= 2) {
                // Plain arguments: pinning the two small arrays would cost more than a 4 KB combine.
                boolean avg = divisor > 0;
                NativeKernels.combineFew(dbl, outAddress + outFrom * width, inAddress + offset, self,
                        k > 0 ? chunkAddress[0] : 0, k > 0 && !avg ? weights[0] : 0,
                        k > 1 ? chunkAddress[1] : 0, k > 1 && !avg ? weights[1] : 0, k, count, divisor);
            } else {
                NativeKernels.combine(dbl, outAddress + outFrom * width, inAddress + offset, self, chunkAddress,
                        weights, k, count, divisor);
            }
            return;
        }
        if (exactIntegers) {
            combineIntegers(from, count, outFrom);
            return;
        }
        if (wide != null) {
            combineWidened(from, count, outFrom);
            return;
        }
        for (int done = 0; done < count; done += BLOCK) {
            int outAt = Math.toIntExact(outFrom + done);
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
            store(outAt, len);
        }
    }

    /** float16, and int32/int64 with fractional weights: widened to float64, accumulated, rounded or truncated once. */
    private void combineWidened(long from, int count, long outFrom) {
        for (int done = 0; done < count; done += BLOCK) {
            int outAt = Math.toIntExact(outFrom + done);
            int at = Math.toIntExact(from + done);
            int len = Math.min(BLOCK, count - done);
            boolean avg = divisor > 0;
            double[] a = acc;
            double[] x = wide;
            read(inBuf, at, len);
            double ws = avg ? 1.0 : self;
            for (int i = 0; i < len; i++) {
                a[i] = avg ? x[i] : ws * x[i];
            }
            for (int k = 0; k < recvBuf.length; k++) {
                read(recvBuf[k], at, len);
                double w = avg ? 1.0 : weights[k];
                for (int i = 0; i < len; i++) {
                    a[i] = a[i] + w * x[i];
                }
            }
            if (avg) {
                double m = divisor;
                for (int i = 0; i < len; i++) {
                    a[i] = a[i] / m;
                }
            }
            switch (dtype) {
                case HALF -> {
                    for (int i = 0; i < len; i++) {
                        halves[i] = Float16.fromDouble(a[i]);
                    }
                    ((ShortBuffer) outBuf).put(outAt, halves, 0, len);
                }
                case INT -> {
                    for (int i = 0; i < len; i++) {
                        ints[i] = (int) a[i];
                    }
                    ((IntBuffer) outBuf).put(outAt, ints, 0, len);
                }
                default -> {
                    for (int i = 0; i < len; i++) {
                        longs[i] = (long) a[i];
                    }
                    ((LongBuffer) outBuf).put(outAt, longs, 0, len);
                }
            }
        }
    }

    /** Block of {@code b} widened to float64 into {@code wide}. */
    private void read(Buffer b, int at, int len) {
        switch (dtype) {
            case HALF -> {
                ((ShortBuffer) b).get(at, halves, 0, len);
                for (int i = 0; i < len; i++) {
                    wide[i] = Float16.toFloat(halves[i]);
                }
            }
            case INT -> {
                ((IntBuffer) b).get(at, ints, 0, len);
                for (int i = 0; i < len; i++) {
                    wide[i] = ints[i];
                }
            }
            default -> {
                ((LongBuffer) b).get(at, longs, 0, len);
                for (int i = 0; i < len; i++) {
                    wide[i] = longs[i];
                }
            }
        }
    }

    /** int32/int64 averages and whole-number weights: int64 arithmetic, division truncating toward zero. */
    private void combineIntegers(long from, int count, long outFrom) {
        boolean avg = divisor > 0;
        for (int done = 0; done < count; done += BLOCK) {
            int outAt = Math.toIntExact(outFrom + done);
            int at = Math.toIntExact(from + done);
            int len = Math.min(BLOCK, count - done);
            long[] a = longAcc;
            long[] x = longs;
            readLongs(inBuf, at, len);
            long ws = avg ? 1 : (long) self;
            for (int i = 0; i < len; i++) {
                a[i] = ws * x[i];
            }
            for (int k = 0; k < recvBuf.length; k++) {
                readLongs(recvBuf[k], at, len);
                long w = avg ? 1 : (long) weights[k];
                for (int i = 0; i < len; i++) {
                    a[i] = a[i] + w * x[i];
                }
            }
            if (avg) {
                long m = divisor;
                for (int i = 0; i < len; i++) {
                    a[i] = a[i] / m;
                }
            }
            if (dtype == DataType.INT) {
                for (int i = 0; i < len; i++) {
                    ints[i] = (int) a[i];
                }
                ((IntBuffer) outBuf).put(outAt, ints, 0, len);
            } else {
                ((LongBuffer) outBuf).put(outAt, a, 0, len);
            }
        }
    }

    /** Block of an int32/int64 buffer widened to int64 into {@code longs}. */
    private void readLongs(Buffer b, int at, int len) {
        if (dtype == DataType.INT) {
            ((IntBuffer) b).get(at, ints, 0, len);
            for (int i = 0; i < len; i++) {
                longs[i] = ints[i];
            }
        } else {
            ((LongBuffer) b).get(at, longs, 0, len);
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
