package io.bluefog.collectives.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.bluefog.comm.Float16;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link Combiner}'s int32, int64 and float16 paths against a serial reference of the documented
 * rules, over lengths that cross its blocks: uniform weights sum exactly and divide truncating
 * toward zero (integers) or divide in float64 and round once (float16); whole-number weights are
 * exact integer arithmetic; fractional weights accumulate in float64 and truncate (integers) or
 * round once (float16).
 */
class CombinerDTypesTest {
    private static final long SEED = 77;
    private static final int[] LENGTHS = {1, 5, Combiner.BLOCK + 3, 2 * Combiner.BLOCK + 1};
    private static final int[] SOURCES = {0, 1, 2, 5};

    enum Weights { UNIFORM, WHOLE, FRACTIONAL }

    @Test
    void matchSerialReference() {
        Random rnd = new Random(SEED);
        for (DataType dt : new DataType[] {DataType.INT, DataType.LONG, DataType.HALF}) {
            for (int n : LENGTHS) {
                for (int k : SOURCES) {
                    for (Weights kind : Weights.values()) {
                        for (boolean inPlace : new boolean[] {false, true}) {
                            check(dt, n, k, kind, inPlace, rnd);
                        }
                    }
                }
            }
        }
    }

    @Test
    void divideTruncatesIntegersAndRoundsHalvesOnce() {
        INDArray ints = Nd4j.createFromArray(new int[] {7, -7, 5, -5, Integer.MAX_VALUE});
        Combiner.divide(false, ints, 2);
        assertEquals("[3, -3, 2, -2, 1073741823]", java.util.Arrays.toString(ints.toIntVector()));
        INDArray longs = Nd4j.createFromArray(new long[] {(1L << 60) + 3, -((1L << 60) + 3)});
        Combiner.divide(false, longs, 2);
        assertEquals((1L << 59) + 1, longs.getLong(0));
        assertEquals(-((1L << 59) + 1), longs.getLong(1));
        INDArray halves = Nd4j.createFromArray(new float[] {1f, 2047f / 1024}).castTo(DataType.HALF);
        Combiner.divide(false, halves, 3);
        assertEquals(Float16.toFloat(Float16.fromDouble(1.0 / 3)), halves.getFloat(0), 0f);
        assertEquals(Float16.toFloat(Float16.fromDouble(2047.0 / 1024 / 3)), halves.getFloat(1), 0f);
    }

    private static void check(DataType dt, int n, int k, Weights kind, boolean inPlace, Random rnd) {
        double[] x = values(dt, n, rnd);
        double[][] r = new double[k][];
        for (int j = 0; j < k; j++) {
            r[j] = values(dt, n, rnd);
        }
        double self = switch (kind) {
            case UNIFORM -> 1.0 / (k + 1);
            case WHOLE -> rnd.nextInt(5) - 2;
            case FRACTIONAL -> rnd.nextDouble();
        };
        double[] w = new double[k];
        for (int j = 0; j < k; j++) {
            w[j] = switch (kind) {
                case UNIFORM -> self;
                case WHOLE -> rnd.nextInt(5) - 2;
                case FRACTIONAL -> rnd.nextDouble() / (k + 1);
            };
        }
        boolean integer = dt != DataType.HALF;
        INDArray in = Nd4j.createFromArray(x).castTo(dt);
        INDArray[] recv = new INDArray[k];
        for (int j = 0; j < k; j++) {
            recv[j] = Nd4j.createFromArray(r[j]).castTo(dt);
        }
        INDArray out = inPlace ? in : Nd4j.zeros(dt, n);
        Combiner.weighted(false, self, w, in, out, recv).combineAll(n);
        for (int i = 0; i < n; i++) {
            double expected;
            if (integer && kind != Weights.FRACTIONAL) {
                long acc = kind == Weights.UNIFORM ? (long) x[i] : (long) self * (long) x[i];
                for (int j = 0; j < k; j++) {
                    acc += kind == Weights.UNIFORM ? (long) r[j][i] : (long) w[j] * (long) r[j][i];
                }
                expected = kind == Weights.UNIFORM ? acc / (k + 1) : acc;
            } else {
                double acc = kind == Weights.UNIFORM ? x[i] : self * x[i];
                for (int j = 0; j < k; j++) {
                    acc = acc + (kind == Weights.UNIFORM ? r[j][i] : w[j] * r[j][i]);
                }
                if (kind == Weights.UNIFORM) {
                    acc = acc / (k + 1);
                }
                expected = integer ? (double) (long) acc : Float16.toFloat(Float16.fromDouble(acc));
            }
            int fi = i;
            assertEquals(expected, out.getDouble(i), 0.0,
                    () -> dt + " n=" + n + " k=" + k + " " + kind + " inPlace=" + inPlace + " i=" + fi);
        }
    }

    /** Integers in [-10^6, 10^6], or float16 values (exact as doubles) in [-100, 100]. */
    private static double[] values(DataType dt, int n, Random rnd) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = dt == DataType.HALF ? Float16.toFloat(Float16.fromDouble(rnd.nextDouble() * 200 - 100))
                    : rnd.nextInt(2_000_001) - 1_000_000;
        }
        return v;
    }
}
