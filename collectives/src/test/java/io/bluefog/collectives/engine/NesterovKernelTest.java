package io.bluefog.collectives.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;

/**
 * The native Nesterov step against ND4J's own {@code Nesterovs} updater: the same updates and the
 * same momentum, bit for bit, over several steps with changing gradients, in float32 and float64
 * (lengths that are not a multiple of the vector width included).
 */
class NesterovKernelTest {
    @Test
    void matchesNd4jsNesterovsBitForBit() {
        assumeTrue(NesterovKernel.available(), "the native kernels are not built here");
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            for (int n : new int[] {1, 7, 1000, 4099}) {
                Nd4j.getRandom().setSeed(11 + n);
                INDArray vNd4j = Nd4j.zeros(dt, 1, n);
                INDArray vKernel = Nd4j.zeros(dt, 1, n);
                double lr = 0.05;
                double mu = 0.9;
                GradientUpdater<?> reference = new Nesterovs(lr, mu).instantiate(vNd4j, true);
                for (int step = 0; step < 6; step++) {
                    INDArray g = Nd4j.randn(dt, 1, n).muli(step % 2 == 0 ? 1e-3 : 7.5);
                    INDArray expected = g.dup();
                    reference.applyUpdater(expected, step, 0);
                    INDArray got = g.dup();
                    assertTrue(NesterovKernel.apply(got, vKernel, lr, mu), dt + " n " + n + ": applied");
                    String at = dt + ", n = " + n + ", step " + step;
                    if (dt == DataType.FLOAT) {
                        assertArrayEquals(expected.toFloatVector(), got.toFloatVector(), 0f, at + ": update");
                        assertArrayEquals(vNd4j.toFloatVector(), vKernel.toFloatVector(), 0f, at + ": momentum");
                    } else {
                        assertArrayEquals(expected.toDoubleVector(), got.toDoubleVector(), 0.0, at + ": update");
                        assertArrayEquals(vNd4j.toDoubleVector(), vKernel.toDoubleVector(), 0.0, at + ": momentum");
                    }
                }
            }
        }
    }

    @Test
    void declinesArraysItCannotTakeAndLeavesThemUnchanged() {
        INDArray m = Nd4j.rand(DataType.FLOAT, 4, 3);
        INDArray column = m.getColumn(1); // not contiguous
        INDArray v = Nd4j.zeros(DataType.FLOAT, 4);
        INDArray before = column.dup();
        assertFalse(NesterovKernel.apply(column, v, 0.1, 0.9), "a strided view");
        assertArrayEquals(before.toFloatVector(), column.toFloatVector(), 0f);
        assertFalse(NesterovKernel.apply(Nd4j.rand(DataType.FLOAT, 4), Nd4j.zeros(DataType.DOUBLE, 4), 0.1, 0.9),
                "mixed dtypes");
        assertFalse(NesterovKernel.apply(Nd4j.rand(DataType.FLOAT, 4), Nd4j.zeros(DataType.FLOAT, 5), 0.1, 0.9),
                "lengths differ");
        assertFalse(NesterovKernel.apply(Nd4j.rand(DataType.FLOAT, 4).castTo(DataType.HALF), Nd4j.zeros(DataType.HALF, 4),
                0.1, 0.9), "float16");
    }
}
