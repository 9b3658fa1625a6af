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
 * {@link Combiner} on both paths (the native one-pass kernel and the Java loops) against a serial
 * Java reference that does the same float64 operations in the same order and rounds once (Java
 * double arithmetic rounds every operation, as the kernel does: it is built without fused
 * multiply-adds), so all three must agree bit for bit.
 */
class NativeKernelsTest {
    private static final long SEED = 424242;
    /** Lengths around the vector widths, the blocks (512 native, 1024 Java) and odd tails. */
    private static final int[] LENGTHS = {1, 3, 4, 7, 8, 17, 1000, 4099};
    /** Source counts, up to more than any fixed fusion width. */
    private static final int[] SOURCES = {0, 1, 2, 3, 4, 5, 6, 15, 70};

    /** Our build compiles the kernel wherever a C compiler is installed; a silent Java fallback there is a defect. */
    @Test
    void builtAndLoadedWhereACompilerExists() {
        boolean linuxX64 = System.getProperty("os.name").toLowerCase().contains("linux")
                && System.getProperty("os.arch").equals("amd64");
        boolean cc = Stream.of(System.getenv("PATH").split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, "cc")));
        assumeTrue(linuxX64 && cc, "no C compiler on this machine: the engine combines in Java");
        assertTrue(NativeKernels.loaded(), "libbluefog_kernels.so should have been built into the classes and loaded");
    }

    @Test
    void nativeAndJavaMatchSerialReferenceBitForBit() {
        Random rnd = new Random(SEED);
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            for (int n : LENGTHS) {
                for (int k : SOURCES) {
                    for (boolean inPlace : new boolean[] {true, false}) {
                        for (boolean uniform : new boolean[] {true, false}) {
                            check(dt, n, k, inPlace, uniform, rnd);
                        }
                    }
                }
            }
        }
    }

    @Test
    void divideIsOneCorrectlyRoundedDivision() {
        Random rnd = new Random(SEED);
        for (boolean useNative : paths()) {
            for (int divisor = 1; divisor <= 17; divisor++) {
                float[] v = new float[4099];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (rnd.nextFloat() - 0.5f) * 1e4f;
                }
                INDArray x = Nd4j.createFromArray(v.clone());
                Combiner.divide(useNative, x, divisor);
                for (int i = 0; i < v.length; i++) {
                    assertEquals(v[i] / divisor, x.getFloat(i), 0f, "native=" + useNative + " /" + divisor + " at " + i);
                }
            }
        }
    }

    private static boolean[] paths() {
        return NativeKernels.loaded() ? new boolean[] {true, false} : new boolean[] {false};
    }

    private static void check(DataType dt, int n, int k, boolean inPlace, boolean uniform, Random rnd) {
        double[] x = Nd4j.rand(DataType.DOUBLE, n).subi(0.5).castTo(dt).toDoubleVector();
        double[][] r = new double[k][];
        double[] w = new double[k];
        double self = uniform ? 1.0 / (k + 1) : rnd.nextDouble();
        for (int j = 0; j < k; j++) {
            r[j] = Nd4j.rand(DataType.DOUBLE, n).muli(10).castTo(dt).toDoubleVector();
            w[j] = uniform ? self : rnd.nextDouble() / (k + 1);
        }
        // The reference: float64 operations in the engine's order, rounded once to dt.
        double[] expected = new double[n];
        for (int i = 0; i < n; i++) {
            double acc;
            if (uniform) {
                acc = x[i];
                for (int j = 0; j < k; j++) {
                    acc = acc + r[j][i];
                }
                acc = acc / (k + 1);
            } else {
                acc = self * x[i];
                for (int j = 0; j < k; j++) {
                    acc = acc + w[j] * r[j][i];
                }
            }
            expected[i] = dt == DataType.FLOAT ? (float) acc : acc;
        }
        for (boolean useNative : paths()) {
            INDArray in = Nd4j.createFromArray(x).castTo(dt);
            INDArray[] recv = new INDArray[k];
            for (int j = 0; j < k; j++) {
                recv[j] = Nd4j.createFromArray(r[j]).castTo(dt);
            }
            INDArray out = inPlace ? in : Nd4j.zeros(dt, n);
            Combiner.weighted(useNative, self, w, in, out, recv).combineAll(n);
            double[] got = out.toDoubleVector();
            for (int i = 0; i < n; i++) {
                int fi = i;
                assertEquals(expected[i], got[i], 0.0, () -> dt + " native=" + useNative + " n=" + n + " k=" + k
                        + " inPlace=" + inPlace + " uniform=" + uniform + " i=" + fi);
            }
        }
    }
}
