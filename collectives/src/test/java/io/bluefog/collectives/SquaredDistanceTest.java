package io.bluefog.collectives;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link SquaredDistance}: a closed form, the documented summation order (element i to running sum
 * i mod 4, the last length mod 4 elements to sum 0, then (s0 + s1) + (s2 + s3)) as a serial
 * reference, bit for bit for any split into consecutive blocks, and its errors.
 */
class SquaredDistanceTest {
    private static final long SEED = 20261128;

    @Test
    void closedFormOfIntegers() {
        float[] v = new float[10];
        for (int i = 0; i < v.length; i++) {
            v[i] = i + 1;
        }
        SquaredDistance d = new SquaredDistance(Nd4j.createFromArray(v), Nd4j.zeros(DataType.FLOAT, 10));
        assertEquals(385.0, d.full(), 0.0); // 1^2 + ... + 10^2, exact in float64
    }

    /** The documented order, element by element. */
    private static double reference(double[] x, double[] ref) {
        double[] s = new double[4];
        int full = x.length & ~3;
        for (int i = 0; i < x.length; i++) {
            double d = x[i] - ref[i];
            s[i < full ? i & 3 : 0] += d * d;
        }
        return (s[0] + s[1]) + (s[2] + s[3]);
    }

    @Test
    void anyConsecutiveBlocksGiveTheSerialReferenceBits() {
        Random rnd = new Random(SEED);
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            for (int length : new int[] {1, 3, 4, 5, 1031, 4099}) {
                INDArray x = Nd4j.createFromArray(rnd.doubles(length, -3, 3).toArray()).castTo(dt);
                INDArray ref = Nd4j.createFromArray(rnd.doubles(length, -3, 3).toArray()).castTo(dt);
                long expected = Double.doubleToRawLongBits(reference(x.toDoubleVector(), ref.toDoubleVector()));
                SquaredDistance d = new SquaredDistance(x, ref);
                assertEquals(expected, Double.doubleToRawLongBits(d.full()), dt + " x " + length + ", whole");
                for (int trial = 0; trial < 20; trial++) {
                    d.reset();
                    int at = 0;
                    while (at < length) {
                        int count = 1 + rnd.nextInt(Math.min(length - at, 37));
                        d.ready(at, count);
                        at += count;
                    }
                    assertEquals(expected, Double.doubleToRawLongBits(d.sum()), dt + " x " + length + ", trial " + trial);
                }
            }
        }
    }

    @Test
    void rangesOutsideTheArrayAndBadArraysAreRejected() {
        SquaredDistance d = new SquaredDistance(Nd4j.zeros(DataType.FLOAT, 8), Nd4j.zeros(DataType.FLOAT, 8));
        assertThrows(IndexOutOfBoundsException.class, () -> d.ready(6, 3));
        assertThrows(IndexOutOfBoundsException.class, () -> d.ready(-1, 1));
        assertThrows(IllegalArgumentException.class,
                () -> new SquaredDistance(Nd4j.zeros(DataType.FLOAT, 8), Nd4j.zeros(DataType.FLOAT, 7)));
    }
}
