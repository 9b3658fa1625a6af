package io.bluefog.collectives.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Seeded inputs and bit-exact views of arrays, for tests that compare two paths of the engine bit for bit. */
final class TestTensors {
    private TestTensors() {
    }

    /**
     * A flat array of {@code length} elements of {@code dtype}, from {@code seed}: integers uniform in
     * [-1000, 1000] for INT and LONG, otherwise Gaussians with standard deviation 3 (rounded to dtype).
     */
    static INDArray random(DataType dtype, int length, long seed) {
        Random rnd = new Random(seed);
        double[] v = new double[length];
        for (int i = 0; i < length; i++) {
            v[i] = dtype == DataType.INT || dtype == DataType.LONG ? rnd.nextInt(2001) - 1000 : rnd.nextGaussian() * 3;
        }
        return Nd4j.createFromArray(v).castTo(dtype);
    }

    /** The bytes of a contiguous array's elements, in native order: equal arrays of bits compare equal. */
    static byte[] bits(INDArray a) {
        ByteBuffer b = a.data().asNio().order(ByteOrder.nativeOrder());
        byte[] out = new byte[(int) (a.length() * a.dataType().width())];
        b.get(0, out);
        return out;
    }
}
