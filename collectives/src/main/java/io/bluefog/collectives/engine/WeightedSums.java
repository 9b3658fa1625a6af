package io.bluefog.collectives.engine;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The engine's one-pass combine ({@link Combiner}: the native kernel of {@link NativeKernels} when
 * loaded and enabled, else the Java loops with the same results bit for bit) for the collectives'
 * other packages, e.g. the windows' {@code winUpdate}: {@code x = self * x + sum_k weights[k] * b_k}
 * in place, accumulated in float64 (self term first, then the b_k in the order given) and rounded
 * once to x's dtype, with nothing model-sized allocated.
 */
public final class WeightedSums {
    private WeightedSums() {
    }

    /**
     * {@code x[i] = self * x[i] + sum_k weights[k] * received[k][i]} for every element, in place,
     * one pass over memory (see {@link Combiner} for the rounding: float64 accumulation, one
     * rounding; uniform weights {@code 1/(k + 1)} are summed and then divided, as BlueFog's uniform
     * {@code neighbor_allreduce}).
     *
     * @param nativeAllowed false: the Java loops even where the native kernel is loaded (the
     *                      setting {@code BLUEFOG_NATIVE_KERNELS}, {@link io.bluefog.config.BlueFogConfig#nativeKernels()})
     * @param x        float32 or float64, C-order and contiguous (any shape)
     * @param weights  one per received array
     * @param received C-order contiguous arrays of x's dtype and length, none overlapping x
     * @throws IllegalArgumentException if the dtypes, lengths or counts differ, or an array is not
     *                                  contiguous in C order
     */
    public static void combineInPlace(boolean nativeAllowed, INDArray x, double self, double[] weights, INDArray[] received) {
        check(x, "x", x);
        if (weights.length != received.length) {
            throw new IllegalArgumentException(weights.length + " weights for " + received.length + " received arrays");
        }
        for (int k = 0; k < received.length; k++) {
            check(received[k], "received[" + k + "]", x);
        }
        Combiner.weighted(nativeAllowed && NativeKernels.loaded(), self, weights, x, x, received).combineAll(x.length());
    }

    private static void check(INDArray a, String what, INDArray x) {
        if (a.dataType() != DataType.FLOAT && a.dataType() != DataType.DOUBLE) {
            throw new IllegalArgumentException(what + " is " + a.dataType() + "; the combine takes float32 or float64");
        }
        if (a.dataType() != x.dataType() || a.length() != x.length()) {
            throw new IllegalArgumentException(what + " is " + a.dataType() + " of length " + a.length() + ", x is "
                    + x.dataType() + " of length " + x.length());
        }
        if (a.ordering() != 'c' || !org.nd4j.linalg.api.shape.Shape.hasDefaultStridesForShape(a)) {
            throw new IllegalArgumentException(what + " is not contiguous in C order");
        }
    }
}
