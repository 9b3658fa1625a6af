package io.bluefog.collectives.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.bluefog.BlueFog;
import io.bluefog.collectives.Collectives;
import io.bluefog.collectives.NeighborWeights;
import io.bluefog.comm.ReduceOp;
import io.bluefog.local.LocalCluster;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * float32 averaging rounds as BlueFog's does: uniform neighborAllreduce and allreduce's average sum
 * and then divide, so the float32 result is the float64 result rounded to float32, bit for bit, for
 * n = 1..16 on LocalCluster; with the native kernel and with {@link Combiner}'s Java loops. Inputs
 * are chosen so that every sum is exact (float32 values on a common grid far below 2^53 in
 * float64, and below 2^24 where the transport sums in float32), which makes the float64 reference
 * exactly the average correctly rounded. Weighted combines are compared with the same float64
 * operations done in the same order (self term, then sources ascending), rounded once.
 */
class CorrectRoundingTest {
    private static final long SEED = 31337;
    /** Crosses the Java path's and the native kernel's blocks, with a ragged tail. */
    private static final int LENGTH = 2 * Combiner.BLOCK + 37;

    enum Path { NATIVE, JAVA }

    @TestFactory
    Stream<DynamicTest> averagesAreCorrectlyRounded() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Path path : Path.values()) {
            for (int n : IntStream.rangeClosed(1, 16).toArray()) {
                tests.add(DynamicTest.dynamicTest(path + " n = " + n, () -> runOn(path, n)));
            }
        }
        return tests.stream();
    }

    /** The example: 50.666668f for (50 + 51 + 51) / 3, not the 50.66667175f of multiplying by 1/3. */
    @Test
    void fiftyAndTwoFiftyOnesOverThree() {
        for (Path path : Path.values()) {
            withPath(path, () -> LocalCluster.run(3, bf -> {
                try (Collectives c = Collectives.of(bf)) {
                    INDArray x = Nd4j.scalar(DataType.FLOAT, bf.rank() == 0 ? 50f : 51f).reshape(1);
                    assertEquals(50.666668f, c.neighborAllreduce(x, everyone(bf)).getFloat(0), 0f, path + " neighborAllreduce");
                    assertEquals(50.666668f, c.allreduce(x).getFloat(0), 0f, path + " allreduce average");
                }
            }));
        }
    }

    private static void runOn(Path path, int n) {
        withPath(path, () -> LocalCluster.run(n, bf -> {
            try (Collectives c = Collectives.of(bf)) {
                int r = bf.rank();
                float[][] fine = new float[n][];
                float[][] coarse = new float[n][];
                for (int j = 0; j < n; j++) {
                    fine[j] = values(SEED + j, true);
                    coarse[j] = values(SEED + j, false);
                }
                // Uniform over everyone (fully connected): the global average.
                int[] all = others(r, n);
                check(c.neighborAllreduce(floats(fine[r]), everyone(bf)), i -> exactMean(fine, order(r, all), i),
                        "uniform neighborAllreduce over all " + n);
                // Uniform over a ring (1/3, 1/2 at n = 2, 1 at n = 1).
                int[] ring = ring(r, n);
                check(c.neighborAllreduce(floats(fine[r]), uniform(ring)), i -> exactMean(fine, order(r, ring), i),
                        "uniform neighborAllreduce over the ring");
                // Weighted, rank-specific weights: the float64 combine in the same order, rounded once.
                double self = 0.25 + 0.5 / (r + 2);
                double[] w = new double[all.length];
                Random rnd = new Random(SEED * 31 + r);
                for (int k = 0; k < w.length; k++) {
                    w[k] = (1 - self) * rnd.nextDouble() / all.length;
                }
                check(c.neighborAllreduce(floats(fine[r]), NeighborWeights.of(self, all, w)), i -> {
                    double acc = self * fine[r][i];
                    for (int k = 0; k < all.length; k++) {
                        acc = acc + w[k] * fine[all[k]][i];
                    }
                    return acc;
                }, "weighted neighborAllreduce");
                // allreduce average: the transport's float32 sum (exact on the coarse grid), one division.
                check(c.allreduce(floats(coarse[r])), i -> exactMean(coarse, IntStream.range(0, n).toArray(), i),
                        "allreduce average");
                // float64: the same operations, so the float32 result is the float64 result rounded.
                INDArray d = c.neighborAllreduce(floats(fine[r]).castTo(DataType.DOUBLE), everyone(bf));
                INDArray f = c.neighborAllreduce(floats(fine[r]), everyone(bf));
                for (int i = 0; i < LENGTH; i++) {
                    assertEquals(Float.floatToIntBits((float) d.getDouble(i)), Float.floatToIntBits(f.getFloat(i)),
                            "float32 == float64 rounded to float32 at " + i);
                }
            }
        }));
    }

    interface Expected {
        double at(int i);
    }

    private static void check(INDArray got, Expected expected, String what) {
        assertEquals(DataType.FLOAT, got.dataType());
        for (int i = 0; i < LENGTH; i++) {
            float e = (float) expected.at(i);
            float g = got.getFloat(i);
            if (Float.floatToIntBits(e) != Float.floatToIntBits(g)) {
                throw new AssertionError(what + ": element " + i + " is " + g + " (bits " + Float.floatToIntBits(g)
                        + "), the float64 result rounded to float32 is " + e + " (bits " + Float.floatToIntBits(e) + ")");
            }
        }
    }

    /** @return (sum of x[j][i] over the ranks j, in that order, in float64) / their count */
    private static double exactMean(float[][] x, int[] ranks, int i) {
        double s = 0;
        for (int j : ranks) {
            s += x[j][i];
        }
        return s / ranks.length;
    }

    /**
     * Seeded float32 values: fine ones are multiples of 2^-24 in [-100, 100) (float64 sums of 16
     * are exact), coarse ones multiples of 2^-8 in [-128, 128) (float32 sums of 16 are exact). The
     * first element is 50 at rank 0 and 51 elsewhere, the example.
     */
    private static float[] values(long seed, boolean fineGrid) {
        Random rnd = new Random(seed);
        float[] v = new float[LENGTH];
        for (int i = 0; i < LENGTH; i++) {
            v[i] = fineGrid ? rnd.nextFloat() * 200f - 100f : (rnd.nextInt(1 << 16) - (1 << 15)) / 256f;
        }
        v[0] = seed == SEED ? 50f : 51f;
        return v;
    }

    private static INDArray floats(float[] v) {
        return Nd4j.createFromArray(v.clone());
    }

    /** @return every other rank, ascending */
    private static int[] others(int r, int n) {
        return IntStream.range(0, n).filter(j -> j != r).toArray();
    }

    /** @return r's ring in-neighbors, ascending, without repeats */
    private static int[] ring(int r, int n) {
        return IntStream.of(Math.floorMod(r - 1, n), Math.floorMod(r + 1, n)).filter(j -> j != r).distinct().sorted()
                .toArray();
    }

    /** @return self then the sources: the engine's summation order */
    private static int[] order(int self, int[] sources) {
        return IntStream.concat(IntStream.of(self), IntStream.of(sources)).toArray();
    }

    private static NeighborWeights uniform(int[] sources) {
        double u = 1.0 / (sources.length + 1);
        double[] w = new double[sources.length];
        java.util.Arrays.fill(w, u);
        return NeighborWeights.of(u, sources, w);
    }

    private static NeighborWeights everyone(BlueFog bf) {
        return uniform(others(bf.rank(), bf.size()));
    }

    /** Runs {@code body} with the engine's combine on {@code path} (engines read the setting when created). */
    static void withPath(Path path, Runnable body) {
        if (path == Path.NATIVE) {
            assumeTrue(NativeKernels.loaded(), "native kernel not built here");
        }
        String before = System.getProperty(NativeKernels.SETTING);
        System.setProperty(NativeKernels.SETTING, path == Path.NATIVE ? "true" : "false");
        try {
            body.run();
        } finally {
            if (before == null) {
                System.clearProperty(NativeKernels.SETTING);
            } else {
                System.setProperty(NativeKernels.SETTING, before);
            }
        }
    }
}
