package io.bluefog.collectives;

import io.bluefog.collectives.engine.SquaredDistanceKernel;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code |x - reference|^2} of a float32 or float64 array, summed in float64 in one fixed order
 * whatever blocks it is given in: element i is widened to float64, its difference squared (no
 * fused multiply-add) and added to running sum {@code i mod 4}, except the last
 * {@code length mod 4} elements, which go to sum 0; the result is {@code (s0 + s1) + (s2 + s3)}.
 * So the value is the same bit for bit on every transport and for any block sizes (four running
 * sums rather than one keep additions from waiting on each other's latency; the native kernel runs
 * them as one SIMD vector).
 *
 * <p>As a {@link ResultBlocks} passed to {@link Collectives#neighborAllreduceInPlace(INDArray,
 * Mixing, ResultBlocks)} with {@code x} the array being averaged, it sums the distance of the new
 * iterate to the reference while each block is in cache (e.g. the consensus error of
 * {@code examples}' {@code AverageConsensus}): call {@link #reset()} before the call and read
 * {@link #sum()} after it. Not thread-safe: one pass at a time (which {@link ResultBlocks} ensures).
 */
public final class SquaredDistance implements ResultBlocks {
    private final SquaredDistanceKernel kernel;
    private final long length;
    /** Elements summed four at a time: length rounded down to a multiple of 4. */
    private final long fullLength;

    /**
     * @param x         a contiguous float32 or float64 array (read whenever blocks are added)
     * @param reference a contiguous array of x's dtype and length, kept unchanged while this is used
     * @throws IllegalArgumentException if the dtypes or lengths differ, the dtype is another, or an
     *                                  array is a view or F-ordered
     */
    public SquaredDistance(INDArray x, INDArray reference) {
        this.kernel = new SquaredDistanceKernel(x, reference);
        this.length = x.length();
        this.fullLength = length & ~3L;
    }

    /** Starts a pass: the running sums are zero. */
    public void reset() {
        kernel.reset();
    }

    /** @return {@code |x - reference|^2} over the elements added since {@link #reset()} */
    public double sum() {
        return (kernel.sum(0) + kernel.sum(1)) + (kernel.sum(2) + kernel.sum(3));
    }

    /** @return {@code |x - reference|^2} of x's current values: {@link #reset()}, every element, {@link #sum()} */
    public double full() {
        reset();
        for (long at = 0; at < length; at += Integer.MAX_VALUE) {
            ready(at, (int) Math.min(Integer.MAX_VALUE, length - at));
        }
        return sum();
    }

    /**
     * Adds elements {@code [offset, offset + count)} of x; a pass must add each element once, in
     * ascending order (as {@link ResultBlocks} calls come).
     *
     * @throws IndexOutOfBoundsException if the range is not inside x
     */
    @Override
    public void ready(long offset, int count) {
        long end = offset + count;
        if (offset < 0 || count < 0 || end > length) {
            throw new IndexOutOfBoundsException("elements [" + offset + ", " + end + ") of " + length);
        }
        long g = offset;
        for (; g < end && (g & 3) != 0; g++) {
            addOne(g);
        }
        long aligned = Math.min(end, fullLength);
        if (aligned > g) {
            long body = (aligned - g) & ~3L;
            kernel.addAligned(g, body);
            g += body;
        }
        for (; g < end; g++) {
            addOne(g);
        }
    }

    private void addOne(long g) {
        kernel.addOne(g >= fullLength ? 0 : (int) (g & 3), kernel.difference(g));
    }
}
