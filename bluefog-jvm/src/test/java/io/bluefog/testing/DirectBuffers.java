package io.bluefog.testing;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/** Direct, native-order buffers as {@link io.bluefog.comm.Communicator} expects them, for tests. */
public final class DirectBuffers {
    private DirectBuffers() {
    }

    /** @return a zeroed direct float buffer of {@code n} elements, position 0, limit n */
    public static FloatBuffer floats(int n) {
        return ByteBuffer.allocateDirect(Math.multiplyExact(n, Float.BYTES)).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
    }

    /** @return a zeroed direct double buffer of {@code n} elements, position 0, limit n */
    public static DoubleBuffer doubles(int n) {
        return ByteBuffer.allocateDirect(Math.multiplyExact(n, Double.BYTES)).order(ByteOrder.nativeOrder())
                .asDoubleBuffer();
    }

    /** @return a direct float buffer holding {@code values} */
    public static FloatBuffer floatsOf(float... values) {
        FloatBuffer b = floats(values.length);
        b.put(0, values);
        return b;
    }

    /** @return a direct double buffer holding {@code values} */
    public static DoubleBuffer doublesOf(double... values) {
        DoubleBuffer b = doubles(values.length);
        b.put(0, values);
        return b;
    }

    /** @return all elements 0..capacity of {@code b} (ignores position and limit) */
    public static float[] toArray(FloatBuffer b) {
        float[] out = new float[b.capacity()];
        b.duplicate().clear().get(0, out);
        return out;
    }

    /** @return all elements 0..capacity of {@code b} (ignores position and limit) */
    public static double[] toArray(DoubleBuffer b) {
        double[] out = new double[b.capacity()];
        b.duplicate().clear().get(0, out);
        return out;
    }
}
