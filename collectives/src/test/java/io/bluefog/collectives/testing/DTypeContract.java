package io.bluefog.collectives.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.BlueFog;
import io.bluefog.CollectiveMismatchException;
import io.bluefog.collectives.Collectives;
import io.bluefog.collectives.NeighborWeights;
import io.bluefog.comm.Float16;
import io.bluefog.comm.ReduceOp;
import io.bluefog.testing.ContractSuite;
import io.bluefog.testing.RankCheck;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * int32, int64 and float16 tensors through allreduce, broadcast, allgather and neighborAllreduce,
 * written once and run on LocalCluster ({@code DTypeContractTest}) and under mpirun (mpi-launch's
 * {@code DTypesMpiTest}). Expected values are closed forms in the rank ids, computed here with the
 * documented rules (see {@code engine.Combiner} and {@link io.bluefog.comm.DType}):
 * <ul>
 *   <li>integers: sums exact; averages (allreduce AVG, uniform weights) are the exact sum divided
 *       truncating toward zero, Java's {@code /}; whole-number weights exact; fractional weights
 *       accumulated in float64 and truncated toward zero. int64 values above 2^53 check that no
 *       step goes through float64 where it must not.</li>
 *   <li>float16: the float64 result rounded once to float16 (inputs are chosen so that the sums are
 *       exact in float16's wider accumulators on both transports); allreduce's AVG is the
 *       transport's, which divides the wider sum before rounding, so it too rounds once.</li>
 * </ul>
 * Results are compared exactly: every expected value is defined to the last bit.
 */
public final class DTypeContract implements ContractSuite {
    /** 2^55: exact in int64, not every neighbor of it is exact in float64. */
    private static final long BIG = 1L << 55;

    @Override
    public Map<String, RankCheck> checks() {
        Map<String, RankCheck> m = new LinkedHashMap<>();
        m.put("integerAllreduce", DTypeContract::integerAllreduce);
        m.put("float16Allreduce", DTypeContract::float16Allreduce);
        m.put("broadcastAndAllgather", DTypeContract::broadcastAndAllgather);
        m.put("integerNeighborAllreduce", DTypeContract::integerNeighborAllreduce);
        m.put("float16NeighborAllreduce", DTypeContract::float16NeighborAllreduce);
        m.put("dtypeMismatchNamesBoth", DTypeContract::dtypeMismatchNamesBoth);
        return m;
    }

    // ---- helpers -------------------------------------------------------------------------------

    /** @return rank r's int32 input [r, -(r + 1), 7r + 3] */
    static INDArray ints(int r) {
        return Nd4j.createFromArray(new int[] {r, -(r + 1), 7 * r + 3});
    }

    /** @return rank r's int64 input [r, -(r + 1), 2^55 + r] */
    static INDArray longs(int r) {
        return Nd4j.createFromArray(new long[] {r, -(r + 1), BIG + r});
    }

    /** @return rank r's float16 input [r + 0.5, -(r + 1), 0.1 r] (0.1 r rounded to float16 first) */
    static INDArray halves(int r) {
        return Nd4j.createFromArray(new float[] {r + 0.5f, -(r + 1), half(0.1 * r)}).castTo(DataType.HALF);
    }

    /** @return v rounded once to float16, as a float (exact) */
    static float half(double v) {
        return Float16.toFloat(Float16.fromDouble(v));
    }

    static long[] longValues(INDArray x) {
        return x.toLongVector();
    }

    static void assertLongs(long[] expected, INDArray actual, DataType dtype, String what) {
        assertEquals(dtype, actual.dataType(), what + ": dtype");
        assertArrayEquals(expected, longValues(actual), what);
    }

    static void assertHalves(double[] expected, INDArray actual, String what) {
        assertEquals(DataType.HALF, actual.dataType(), what + ": dtype");
        double[] got = actual.toDoubleVector();
        for (int i = 0; i < expected.length; i++) {
            assertEquals(half(expected[i]), got[i], 0.0, what + " element " + i);
        }
    }

    /** @return r's ring in-neighbors, ascending, without repeats (none at n = 1) */
    static int[] ring(int r, int n) {
        return IntStream.of(Math.floorMod(r - 1, n), Math.floorMod(r + 1, n)).filter(j -> j != r).distinct().sorted()
                .toArray();
    }

    static NeighborWeights weights(double self, int[] sources, double w) {
        double[] ws = new double[sources.length];
        Arrays.fill(ws, w);
        return NeighborWeights.of(self, sources, ws);
    }

    // ---- checks --------------------------------------------------------------------------------

    /**
     * SUM, MIN, MAX exact; AVG the sum divided by n truncating toward zero: of [r, -(r+1), 7r+3]
     * that is [(n-1)/2, -((n+1)/2), (7n(n-1)/2 + 3n)/n], with Java's integer division.
     */
    static void integerAllreduce(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        long s = (long) n * (n - 1) / 2;
        try (Collectives c = Collectives.of(bf)) {
            for (DataType dt : new DataType[] {DataType.INT, DataType.LONG}) {
                boolean big = dt == DataType.LONG;
                INDArray x = big ? longs(r) : ints(r);
                long[] in = longValues(x);
                long third = big ? n * BIG + s : 7 * s + 3L * n;
                assertLongs(new long[] {s, -(s + n), third}, c.allreduce(x, ReduceOp.SUM), dt, dt + " SUM");
                assertLongs(new long[] {s / n, -(s + n) / n, third / n}, c.allreduce(x), dt, dt + " AVG");
                assertLongs(new long[] {0, -n, big ? BIG : 3}, c.allreduce(x, ReduceOp.MIN), dt, dt + " MIN");
                assertLongs(new long[] {n - 1, -1, big ? BIG + n - 1 : 7L * (n - 1) + 3}, c.allreduce(x, ReduceOp.MAX),
                        dt, dt + " MAX");
                assertArrayEquals(in, longValues(x), dt + " input unchanged");
            }
        }
    }

    /** float16 SUM/MIN/MAX and AVG: the exact results (small multiples of 1/2) rounded once to float16. */
    static void float16Allreduce(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        double s = n * (n - 1) / 2.0;
        double tenths = 0;
        for (int j = 0; j < n; j++) {
            tenths += half(0.1 * j);
        }
        try (Collectives c = Collectives.of(bf)) {
            INDArray x = halves(r);
            assertHalves(new double[] {s + n / 2.0, -(s + n), tenths}, c.allreduce(x, ReduceOp.SUM), "float16 SUM");
            assertHalves(new double[] {(s + n / 2.0) / n, -(s + n) / n, tenths / n}, c.allreduce(x), "float16 AVG");
            assertHalves(new double[] {0.5, -n, 0}, c.allreduce(x, ReduceOp.MIN), "float16 MIN");
            assertHalves(new double[] {n - 0.5, -1, half(0.1 * (n - 1))}, c.allreduce(x, ReduceOp.MAX), "float16 MAX");
        }
    }

    /** broadcast from every root, and allgather of rank-sized pieces (rank r contributes r + 1 rows). */
    static void broadcastAndAllgather(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        try (Collectives c = Collectives.of(bf)) {
            for (int root = 0; root < n; root++) {
                assertLongs(longValues(ints(root)), c.broadcast(ints(r), root), DataType.INT, "int32 broadcast");
                assertLongs(longValues(longs(root)), c.broadcast(longs(r), root), DataType.LONG, "int64 broadcast");
                assertHalves(halves(root).toDoubleVector(), c.broadcast(halves(r), root), "float16 broadcast");
            }
            for (DataType dt : new DataType[] {DataType.INT, DataType.LONG, DataType.HALF}) {
                INDArray piece = Nd4j.zeros(dt, r + 1, 2);
                for (int i = 0; i <= r; i++) {
                    piece.putScalar(new long[] {i, 0}, 10 * r + i);
                    piece.putScalar(new long[] {i, 1}, -(10 * r + i));
                }
                INDArray all = c.allgather(piece);
                assertEquals(dt, all.dataType(), dt + " allgather dtype");
                assertArrayEquals(new long[] {(long) n * (n + 1) / 2, 2}, all.shape(), dt + " allgather shape");
                int row = 0;
                for (int q = 0; q < n; q++) {
                    for (int i = 0; i <= q; i++, row++) {
                        assertEquals(10 * q + i, all.getDouble(row, 0), 0.0, dt + " allgather row " + row);
                        assertEquals(-(10 * q + i), all.getDouble(row, 1), 0.0, dt + " allgather row " + row);
                    }
                }
            }
        }
    }

    /**
     * Ring neighbors, three weightings: uniform 1/m (exact sum, truncating division), unit weights
     * (exact sums, also of int64 values above 2^53), and fractional weights self 1/2, sources 1/(2k)
     * (float64, truncated toward zero).
     */
    static void integerNeighborAllreduce(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        int[] src = ring(r, n);
        int m = src.length + 1;
        try (Collectives c = Collectives.of(bf)) {
            for (DataType dt : new DataType[] {DataType.INT, DataType.LONG}) {
                boolean big = dt == DataType.LONG;
                long[][] x = new long[n][];
                for (int j = 0; j < n; j++) {
                    x[j] = longValues(big ? longs(j) : ints(j));
                }
                INDArray mine = big ? longs(r) : ints(r);
                long[] avg = new long[3];
                long[] sum = new long[3];
                long[] frac = new long[3];
                double w = src.length == 0 ? 0 : 0.5 / src.length;
                for (int i = 0; i < 3; i++) {
                    sum[i] = x[r][i];
                    double f = 0.5 * x[r][i];
                    for (int s : src) {
                        sum[i] += x[s][i];
                        f = f + w * x[s][i];
                    }
                    avg[i] = sum[i] / m;
                    frac[i] = big ? (long) f : (int) f;
                }
                assertLongs(avg, c.neighborAllreduce(mine, weights(1.0 / m, src, 1.0 / m)), dt, dt + " uniform ring");
                assertLongs(sum, c.neighborAllreduce(mine, weights(1.0, src, 1.0)), dt, dt + " unit weights");
                if (!big) {
                    assertLongs(frac, c.neighborAllreduce(mine, weights(0.5, src, w)), dt, dt + " fractional weights");
                }
                assertArrayEquals(x[r], longValues(mine), dt + " input unchanged");
            }
            // int64 with fractional weights on values within 2^53: float64 then truncation.
            INDArray small = Nd4j.createFromArray(new long[] {3L * r + 1, -(3L * r + 1)});
            double w = src.length == 0 ? 0 : 0.5 / src.length;
            long[] expected = new long[2];
            for (int i = 0; i < 2; i++) {
                double f = 0.5 * (i == 0 ? 3L * r + 1 : -(3L * r + 1));
                for (int s : src) {
                    f = f + w * (i == 0 ? 3L * s + 1 : -(3L * s + 1));
                }
                expected[i] = (long) f;
            }
            assertLongs(expected, c.neighborAllreduce(small, weights(0.5, src, w)), DataType.LONG,
                    "int64 fractional weights");
        }
    }

    /** Ring neighbors, uniform and fractional weights: the float64 combine rounded once to float16. */
    static void float16NeighborAllreduce(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        int[] src = ring(r, n);
        int m = src.length + 1;
        double[][] x = new double[n][];
        for (int j = 0; j < n; j++) {
            x[j] = halves(j).toDoubleVector();
        }
        double w = src.length == 0 ? 0 : 0.5 / src.length;
        double[] avg = new double[3];
        double[] frac = new double[3];
        for (int i = 0; i < 3; i++) {
            double s = x[r][i];
            double f = 0.5 * x[r][i];
            for (int q : src) {
                s = s + x[q][i];
                f = f + w * x[q][i];
            }
            avg[i] = s / m;
            frac[i] = f;
        }
        try (Collectives c = Collectives.of(bf)) {
            assertHalves(avg, c.neighborAllreduce(halves(r), weights(1.0 / m, src, 1.0 / m)), "float16 uniform ring");
            assertHalves(frac, c.neighborAllreduce(halves(r), weights(0.5, src, w)), "float16 fractional weights");
        }
    }

    /** Rank 0 passes int32, the others int64: a mismatch on every rank naming both dtypes. */
    static void dtypeMismatchNamesBoth(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        try (Collectives c = Collectives.of(bf)) {
            if (n == 1) {
                assertLongs(new long[] {0, -1, 3}, c.allreduce(ints(0), ReduceOp.SUM), DataType.INT, "one rank");
                return;
            }
            CollectiveMismatchException e = assertThrows(CollectiveMismatchException.class,
                    () -> c.allreduce(r == 0 ? ints(r) : longs(r), ReduceOp.SUM));
            assertTrue(e.getMessage().contains("int32 [3]") && e.getMessage().contains("int64 [3]"), e.getMessage());
            // Still in step afterwards.
            assertLongs(new long[] {(long) n * (n - 1) / 2}, c.allreduce(Nd4j.createFromArray(new int[] {r}),
                    ReduceOp.SUM), DataType.INT, "after the mismatch");
        }
    }
}
