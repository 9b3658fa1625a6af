package io.bluefog.collectives.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link SquaredDistanceKernel} on both paths (the native SIMD kernel and the Java loop) against a
 * serial reference with four running sums (element i to sum i mod 4, ascending, float64, no fused
 * multiply-add): the same bits, for float32 and float64, from aligned offsets inside the array.
 */
class SquaredDistanceKernelTest {
    private static final int LENGTH = 4100;

    private static boolean[] paths() {
        return NativeKernels.loaded() ? new boolean[] {true, false} : new boolean[] {false};
    }

    @Test
    void bothPathsMatchTheSerialReferenceBitForBit() {
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            INDArray x = TestTensors.random(dt, LENGTH, 11);
            INDArray ref = TestTensors.random(dt, LENGTH, 12);
            double[] xv = x.toDoubleVector();
            double[] rv = ref.toDoubleVector();
            for (long[] range : new long[][] {{0, LENGTH}, {8, 4000}, {4, 4}, {LENGTH - 4, 4}, {12, 0}}) {
                double[] expected = new double[4];
                for (int i = (int) range[0]; i < range[0] + range[1]; i++) {
                    double d = xv[i] - rv[i]; // float32 values widen exactly
                    expected[(i - (int) range[0]) & 3] += d * d;
                }
                for (boolean useNative : paths()) {
                    SquaredDistanceKernel k = new SquaredDistanceKernel(useNative, x, ref);
                    k.addAligned(range[0], range[1]);
                    for (int j = 0; j < 4; j++) {
                        assertEquals(Double.doubleToRawLongBits(expected[j]), Double.doubleToRawLongBits(k.sum(j)),
                                dt + " native=" + useNative + " range " + range[0] + "+" + range[1] + " sum " + j);
                    }
                }
            }
        }
    }

    @Test
    void sumsRunOnAcrossCallsAndResetToZero() {
        INDArray x = Nd4j.createFromArray(1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f);
        INDArray ref = Nd4j.zeros(DataType.FLOAT, 8);
        for (boolean useNative : paths()) {
            SquaredDistanceKernel k = new SquaredDistanceKernel(useNative, x, ref);
            k.addAligned(0, 4);
            k.addAligned(4, 4);
            assertEquals(1 + 25, k.sum(0), 0.0);
            assertEquals(4 + 36, k.sum(1), 0.0);
            assertEquals(9 + 49, k.sum(2), 0.0);
            assertEquals(16 + 64, k.sum(3), 0.0);
            k.reset();
            assertEquals(0.0, k.sum(0) + k.sum(1) + k.sum(2) + k.sum(3), 0.0);
        }
    }

    @Test
    void misalignedRangesAndBadArraysAreRejected() {
        INDArray x = Nd4j.zeros(DataType.FLOAT, 8);
        SquaredDistanceKernel k = new SquaredDistanceKernel(false, x, Nd4j.zeros(DataType.FLOAT, 8));
        assertThrows(IllegalArgumentException.class, () -> k.addAligned(1, 4));
        assertThrows(IllegalArgumentException.class, () -> k.addAligned(0, 3));
        assertThrows(IllegalArgumentException.class, () -> new SquaredDistanceKernel(x, Nd4j.zeros(DataType.DOUBLE, 8)));
        assertThrows(IllegalArgumentException.class, () -> new SquaredDistanceKernel(x, Nd4j.zeros(DataType.FLOAT, 9)));
        assertThrows(IllegalArgumentException.class, () -> new SquaredDistanceKernel(Nd4j.zeros(DataType.INT, 8),
                Nd4j.zeros(DataType.INT, 8)));
        INDArray view = Nd4j.zeros(DataType.FLOAT, 16).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(4, 12));
        assertThrows(IllegalArgumentException.class, () -> new SquaredDistanceKernel(view, x));
    }
}
