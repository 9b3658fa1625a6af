package io.bluefog.collectives.pipeline;

import java.util.Arrays;

/**
 * One activation or error gradient moving between pipeline stages: a float64 tensor in row-major
 * ('c') order. Immutable by convention: the arrays are copied on construction and by the accessors.
 *
 * @param shape  dimensions, 1 &le; length &le; {@link StageChannel#MAX_RANK}, every entry &ge; 1
 * @param values the elements, length = product of {@code shape}
 */
public record StageTensor(long[] shape, double[] values) {
    /**
     * @throws IllegalArgumentException if the shape is empty, too long, has an entry &lt; 1, or its
     *                                  element count differs from {@code values.length}
     */
    public StageTensor {
        if (shape == null || values == null) {
            throw new IllegalArgumentException("shape and values must not be null");
        }
        if (shape.length == 0 || shape.length > StageChannel.MAX_RANK) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " must have 1.."
                    + StageChannel.MAX_RANK + " dimensions");
        }
        long n = 1;
        for (long s : shape) {
            if (s < 1) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has a dimension < 1");
            }
            n = Math.multiplyExact(n, s);
        }
        if (n != values.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n
                    + " elements but values has " + values.length);
        }
        shape = shape.clone();
        values = values.clone();
    }

    /** @return a vector of shape [values.length] */
    public static StageTensor vector(double... values) {
        return new StageTensor(new long[] {values.length}, values);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public double[] values() {
        return values.clone();
    }

    /** @return the number of elements */
    public int size() {
        return values.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StageTensor t && Arrays.equals(shape, t.shape) && Arrays.equals(values, t.values);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(values);
    }

    @Override
    public String toString() {
        return "StageTensor" + Arrays.toString(shape);
    }
}
