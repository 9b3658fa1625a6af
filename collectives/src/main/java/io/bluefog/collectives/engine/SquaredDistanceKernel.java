package io.bluefog.collectives.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The four-lane squared-distance sum behind {@link io.bluefog.collectives.SquaredDistance}:
 * {@code sums[j] += (x[i] - ref[i])^2} for the elements i of a range whose index is j mod 4, each
 * sum in ascending i, in float64 (elements widened first, no fused multiply-add). Runs in the
 * native kernel library ({@link NativeKernels#addSquares}, the four sums as one SIMD vector) when
 * it is loaded and enabled, else in a Java loop with four running sums: the same operations in the
 * same order, so the same bits.
 */
public final class SquaredDistanceKernel {
    private final boolean dbl;
    private final boolean useNative;
    private final long xAddress;
    private final long refAddress;
    private final ByteBuffer xBytes;
    private final ByteBuffer refBytes;
    /** The four running sums, off-heap so the native kernel updates them in place. */
    private final DoubleBuffer sums;
    private final long sumsAddress;
    private final INDArray sumsArray;

    /**
     * @param x   contiguous float32 or float64 array
     * @param ref contiguous array of x's dtype and length (kept unchanged while this is used)
     * @throws IllegalArgumentException if the dtypes or lengths differ, the dtype is another, or an
     *                                  array is not contiguous (a view, F order)
     */
    public SquaredDistanceKernel(INDArray x, INDArray ref) {
        this(NativeKernels.enabled(), x, ref);
    }

    /** @param useNative run the native kernel (it must be loaded) rather than the Java loop */
    SquaredDistanceKernel(boolean useNative, INDArray x, INDArray ref) {
        DataType dtype = x.dataType();
        if (dtype != DataType.FLOAT && dtype != DataType.DOUBLE) {
            throw new IllegalArgumentException("squared distance takes float32 or float64 arrays, got " + dtype);
        }
        if (ref.dataType() != dtype || ref.length() != x.length()) {
            throw new IllegalArgumentException("squared distance: x is " + dtype + " x " + x.length()
                    + " but the reference " + ref.dataType() + " x " + ref.length());
        }
        if (!Tensors.isContiguous(x) || !Tensors.isContiguous(ref)) {
            throw new IllegalArgumentException("squared distance: x and the reference must be contiguous C-order"
                    + " arrays (not views)");
        }
        this.dbl = dtype == DataType.DOUBLE;
        this.useNative = useNative;
        this.xAddress = Tensors.address(x);
        this.refAddress = Tensors.address(ref);
        this.xBytes = Tensors.base(x);
        this.refBytes = Tensors.base(ref);
        this.sumsArray = Tensors.newArray(DataType.DOUBLE, new long[] {4});
        this.sums = sumsArray.data().asNio().order(ByteOrder.nativeOrder()).asDoubleBuffer();
        this.sumsAddress = Tensors.address(sumsArray);
        reset();
    }

    /** Sets the four sums to zero. */
    public void reset() {
        for (int j = 0; j < 4; j++) {
            sums.put(j, 0.0);
        }
    }

    /** @return running sum {@code j}, 0 .. 3 */
    public double sum(int j) {
        return sums.get(j);
    }

    /** Adds {@code d * d} to running sum {@code j} (an element handled outside {@link #addAligned}). */
    public void addOne(int j, double d) {
        sums.put(j, sums.get(j) + d * d);
    }

    /** @return element {@code i} of x minus element {@code i} of the reference, in float64 */
    public double difference(long i) {
        int at = Math.toIntExact(i * (dbl ? 8 : 4));
        return dbl ? xBytes.getDouble(xBytes.position() + at) - refBytes.getDouble(refBytes.position() + at)
                : (double) xBytes.getFloat(xBytes.position() + at) - (double) refBytes.getFloat(refBytes.position() + at);
    }

    /**
     * Adds elements {@code [from, from + count)}, element {@code from + i} to sum {@code i mod 4}.
     *
     * @param from  a multiple of 4 (so sum j gets the elements of index j mod 4)
     * @param count a multiple of 4, {@code from + count <= length}
     */
    public void addAligned(long from, long count) {
        if ((from & 3) != 0 || (count & 3) != 0 || from < 0 || count < 0) {
            throw new IllegalArgumentException("addAligned needs multiples of 4, got from " + from + ", count " + count);
        }
        if (count == 0) {
            return;
        }
        int width = dbl ? 8 : 4;
        if (useNative) {
            NativeKernels.addSquares(dbl, xAddress + from * width, refAddress + from * width, count, sumsAddress);
            return;
        }
        double s0 = sums.get(0), s1 = sums.get(1), s2 = sums.get(2), s3 = sums.get(3);
        for (long i = from; i < from + count; i += 4) {
            double d0 = difference(i);
            double d1 = difference(i + 1);
            double d2 = difference(i + 2);
            double d3 = difference(i + 3);
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
        }
        sums.put(0, s0).put(1, s1).put(2, s2).put(3, s3);
    }
}
