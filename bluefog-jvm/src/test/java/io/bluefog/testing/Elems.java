package io.bluefog.testing;

import io.bluefog.comm.DType;
import java.nio.Buffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * Element access that works for both dtypes, so that a contract check is written once and run for
 * float32 and float64. Values used by the checks are small integers, exact in both types.
 */
public final class Elems {
    private Elems() {
    }

    /** @return a zeroed direct native-order buffer of {@code n} elements of {@code dtype} */
    public static Buffer alloc(DType dtype, int n) {
        return dtype == DType.FLOAT32 ? DirectBuffers.floats(n) : DirectBuffers.doubles(n);
    }

    /** @return element {@code i} (absolute index &lt; capacity, ignores position and limit) as a double */
    public static double get(Buffer b, int i) {
        Buffer v = i < b.limit() ? b : b.duplicate().clear();
        return v instanceof FloatBuffer f ? f.get(i) : ((DoubleBuffer) v).get(i);
    }

    /** Sets element {@code i} (absolute index &lt; capacity, ignores position and limit) to {@code v}, rounded to the dtype. */
    public static void set(Buffer b, int i, double v) {
        if (i >= b.limit()) {
            b = b.duplicate().clear();
        }
        if (b instanceof FloatBuffer f) {
            f.put(i, (float) v);
        } else {
            ((DoubleBuffer) b).put(i, v);
        }
    }

    /** @return {@code v} rounded to {@code dtype} (what a buffer of that dtype holds after {@link #set}) */
    public static double round(DType dtype, double v) {
        return dtype == DType.FLOAT32 ? (double) (float) v : v;
    }
}
