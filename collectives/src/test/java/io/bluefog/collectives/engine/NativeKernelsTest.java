package io.bluefog.collectives.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The native one-pass combine against a serial Java reference that does the same IEEE operations
 * in the same order (Java float and double arithmetic round every operation, as the kernel does:
 * it is built without fused multiply-adds), so the two must agree bit for bit.
 */
class NativeKernelsTest {
    private static final long SEED = 424242;
    /** Lengths around the vector widths and odd tails. */
    private static final int[] LENGTHS = {1, 3, 4, 7, 8, 17, 1000, 4099};

    /** Our build compiles the kernel wherever a C compiler is installed; a silent BLAS fallback there is a defect. */
    @Test
    void builtAndLoadedWhereACompilerExists() {
        boolean linuxX64 = System.getProperty("os.name").toLowerCase().contains("linux")
                && System.getProperty("os.arch").equals("amd64");
        boolean cc = Stream.of(System.getenv("PATH").split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, "cc")));
        assumeTrue(linuxX64 && cc, "no C compiler on this machine: the engine combines with BLAS");
        assertTrue(NativeKernels.loaded(), "libbluefog_kernels.so should have been built into the classes and loaded");
    }

    @Test
    void floatAndDoubleMatchSerialReferenceBitForBit() {
        assumeTrue(NativeKernels.loaded(), "native kernel not built here");
        Random rnd = new Random(SEED);
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            for (int n : LENGTHS) {
                for (int k = 0; k <= 6; k++) {
                    for (boolean inPlace : new boolean[] {true, false}) {
                        check(dt, n, k, inPlace, rnd);
                    }
                }
            }
        }
    }

    private static void check(DataType dt, int n, int k, boolean inPlace, Random rnd) {
        INDArray in = Nd4j.rand(dt, n).subi(0.5);
        INDArray[] recv = new INDArray[k];
        long[] addr = new long[k];
        double[] w = new double[k];
        for (int j = 0; j < k; j++) {
            recv[j] = Nd4j.rand(dt, n).muli(10);
            addr[j] = Tensors.address(recv[j]);
            w[j] = rnd.nextDouble() / (k + 1);
        }
        double self = rnd.nextDouble();
        double[] x = in.toDoubleVector();
        double[][] r = new double[k][];
        for (int j = 0; j < k; j++) {
            r[j] = recv[j].toDoubleVector();
        }
        INDArray out = inPlace ? in : Nd4j.zeros(dt, n);
        NativeKernels.weightedSum(dt == DataType.DOUBLE, Tensors.address(out), Tensors.address(in), self, addr, w, k, n);
        double[] got = out.toDoubleVector();
        for (int i = 0; i < n; i++) {
            double expected;
            if (dt == DataType.FLOAT) {
                float acc = (float) self * (float) x[i];
                for (int j = 0; j < k; j++) {
                    acc = acc + (float) w[j] * (float) r[j][i];
                }
                expected = acc;
            } else {
                double acc = self * x[i];
                for (int j = 0; j < k; j++) {
                    acc = acc + w[j] * r[j][i];
                }
                expected = acc;
            }
            int fi = i;
            assertEquals(expected, got[i], 0.0, () -> dt + " n=" + n + " k=" + k + " inPlace=" + inPlace + " i=" + fi);
        }
    }
}
