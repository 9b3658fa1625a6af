package io.bluefog.testing;

import io.bluefog.comm.DType;
import io.bluefog.comm.Float16;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;

/**
 * Element access that works for every dtype, so that a contract check is written once and run for
 * float32, float64, float16, int32 and int64. Values used by the checks are small integers, exact
 * in float32, float64 and the integer types; float16 holds integers exactly up to 2048, and
 * {@link #round} gives what it holds beyond.
 */
public final class Elems {
    private Elems() {
    }

    /** @return a zeroed direct native-order buffer of {@code n} elements of {@code dtype} */
    public static Buffer alloc(DType dtype, int n) {
        ByteBuffer bytes = ByteBuffer.allocateDirect(Math.max(1, n) * dtype.bytes()).order(ByteOrder.nativeOrder());
        Buffer b = switch (dtype) {
            case FLOAT32 -> bytes.asFloatBuffer();
            case FLOAT64 -> bytes.asDoubleBuffer();
            case FLOAT16 -> bytes.asShortBuffer();
            case INT32 -> bytes.asIntBuffer();
            case INT64 -> bytes.asLongBuffer();
        };
        return b.limit(n);
    }

    /** @return element {@code i} (absolute index &lt; capacity, ignores position and limit) as a double */
    public static double get(Buffer b, int i) {
        Buffer v = i < b.limit() ? b : b.duplicate().clear();
        if (v instanceof FloatBuffer f) {
            return f.get(i);
        } else if (v instanceof DoubleBuffer d) {
            return d.get(i);
        } else if (v instanceof ShortBuffer h) {
            return Float16.toFloat(h.get(i));
        } else if (v instanceof IntBuffer x) {
            return x.get(i);
        }
        return ((LongBuffer) v).get(i);
    }

    /**
     * Sets element {@code i} (absolute index &lt; capacity, ignores position and limit) to {@code v},
     * rounded to the dtype (to nearest for the float types, toward zero for the integer types).
     */
    public static void set(Buffer b, int i, double v) {
        if (i >= b.limit()) {
            b = b.duplicate().clear();
        }
        if (b instanceof FloatBuffer f) {
            f.put(i, (float) v);
        } else if (b instanceof DoubleBuffer d) {
            d.put(i, v);
        } else if (b instanceof ShortBuffer h) {
            h.put(i, Float16.fromDouble(v));
        } else if (b instanceof IntBuffer x) {
            x.put(i, (int) v);
        } else {
            ((LongBuffer) b).put(i, (long) v);
        }
    }

    /** @return {@code v} rounded to {@code dtype} (what a buffer of that dtype holds after {@link #set}) */
    public static double round(DType dtype, double v) {
        return switch (dtype) {
            case FLOAT32 -> (float) v;
            case FLOAT64 -> v;
            case FLOAT16 -> Float16.toFloat(Float16.fromDouble(v));
            case INT32 -> (int) v;
            case INT64 -> (long) v;
        };
    }
}
