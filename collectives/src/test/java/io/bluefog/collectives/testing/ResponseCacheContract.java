package io.bluefog.collectives.testing;

import static io.bluefog.collectives.testing.SerialReference.filled;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.BlueFog;
import io.bluefog.CollectiveMismatchException;
import io.bluefog.collectives.Collectives;
import io.bluefog.collectives.CollectivesConfig;
import io.bluefog.collectives.Mixing;
import io.bluefog.collectives.NeighborWeights;
import io.bluefog.comm.ReduceOp;
import io.bluefog.testing.ContractSuite;
import io.bluefog.testing.RankCheck;
import io.bluefog.topology.Topologies;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Random;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The response cache ({@link CollectivesConfig#cacheCapacity()}), written once for both
 * transports: {@code ResponseCacheContractTest} runs it on LocalCluster, {@code CollectivesMpiTest}
 * under mpirun. Repeated calls are agreed by the cache round (counted by
 * {@code statistics().cachedBatches()}, not timed); a call that changes on one rank after
 * {@value #CACHED_CALLS} cached calls (dtype, shape, name, reduce op, root, topology, or another
 * collective) fails on every rank with the same {@link CollectiveMismatchException} text as
 * without the cache, naming every rank's call, and the ranks stay in step; a rank's own weights
 * changed after caching are used (no stale result); ranks whose caches forget different calls
 * (capacity 1 on one rank) still agree; capacity 0 never takes the cached path.
 */
public final class ResponseCacheContract implements ContractSuite {
    /** Calls made with one signature before a rank changes its call. */
    static final int CACHED_CALLS = 5;
    private static final long SEED = 20261128;

    @Override
    public Map<String, RankCheck> checks() {
        Map<String, RankCheck> m = new LinkedHashMap<>();
        m.put("repeatedCallsTakeTheCachedPath", ResponseCacheContract::repeatedCallsTakeTheCachedPath);
        m.put("capacityZeroNeverCaches", ResponseCacheContract::capacityZeroNeverCaches);
        m.put("cachedResultsEqualNegotiatedBitForBit", ResponseCacheContract::cachedResultsEqualNegotiatedBitForBit);
        m.put("everyMismatchAfterCachingFailsOnEveryRank", ResponseCacheContract::everyMismatchAfterCachingFailsOnEveryRank);
        m.put("earlyDataAtItsLimitsEqualsNegotiated", ResponseCacheContract::earlyDataAtItsLimitsEqualsNegotiated);
        m.put("cachedLargeAllgathersTakeEachCallsFirstDimensions",
                ResponseCacheContract::cachedLargeAllgathersTakeEachCallsFirstDimensions);
        m.put("changedOwnWeightsAreUsed", ResponseCacheContract::changedOwnWeightsAreUsed);
        m.put("ranksThatForgetDifferentCallsStillAgree", ResponseCacheContract::ranksThatForgetDifferentCallsStillAgree);
        return m;
    }

    private static Collectives open(BlueFog bf, int capacity) {
        return Collectives.of(bf, CollectivesConfig.from(bf.config()).withCacheCapacity(capacity));
    }

    /** @return the sum of rank ids, 0 + 1 + ... + (n - 1) */
    private static double rankSum(int n) {
        return n * (n - 1) / 2.0;
    }

    /** float64 closed forms computed in another summation order than the engine's. */
    static final double FLOAT64_TOLERANCE = 1e-12;

    private static void assertClose(double expected, INDArray x, String what) {
        for (long i = 0; i < x.length(); i++) {
            assertEquals(expected, x.getDouble(i), FLOAT64_TOLERANCE, what + " element " + i);
        }
    }

    private static void assertAll(double expected, INDArray x, String what) {
        for (long i = 0; i < x.length(); i++) {
            assertEquals(expected, x.getDouble(i), 0.0, what + " element " + i);
        }
    }

    /**
     * Every kind of call, repeated: from the second call on, each is agreed by the cache round on
     * every rank (with one rank the cache is off: there is nothing to agree), and results stay right.
     */
    static void repeatedCallsTakeTheCachedPath(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        try (Collectives c = open(bf, CollectivesConfig.DEFAULT_CACHE_CAPACITY)) {
            long before = c.statistics().cachedBatches();
            long earlyBefore = c.statistics().earlyBatches();
            io.bluefog.topology.Topology ringTopology = Topologies.ring(n);
            Mixing ring = Mixing.of(ringTopology);
            // Row r of the ring's mixing matrix applied to x_q = q, summed in the same order as the engine.
            double ringExpected = ringTopology.selfWeight(r) * r;
            int[] in = ringTopology.inNeighbors(r);
            double[] w = ringTopology.recvWeights(r);
            for (int k = 0; k < in.length; k++) {
                ringExpected += w[k] * in[k];
            }
            for (int k = 0; k < CACHED_CALLS; k++) {
                assertAll(rankSum(n), c.allreduce(filled(r, DataType.FLOAT, 5), ReduceOp.SUM), "allreduce");
                INDArray b = filled(r == 0 ? 7 : -1, DataType.DOUBLE, 3);
                c.broadcastInPlace(b, 0);
                assertAll(7, b, "broadcast");
                INDArray g = c.allgather(filled(r, DataType.FLOAT, 2, 2));
                assertEquals(2L * n, g.size(0), "allgather rows");
                for (int q = 0; q < n; q++) {
                    assertEquals(q, g.getDouble(2L * q, 0), 0.0, "allgather piece of rank " + q);
                }
                INDArray x = filled(r, DataType.FLOAT, 4);
                c.neighborAllreduceInPlace(x, NeighborWeights.of(1.0, new int[0], new double[0]));
                assertAll(r, x, "neighborAllreduce with self weight 1 and no sources");
                assertClose(ringExpected, c.neighborAllreduce(filled(r, DataType.DOUBLE, 4), ring), "ring neighborAllreduce");
                INDArray a = filled(r, DataType.DOUBLE, 3);
                c.allreduceInPlace(a, ReduceOp.AVG);
                assertAll(rankSum(n) / n, a, "allreduce average in place");
                c.barrier();
            }
            long cached = c.statistics().cachedBatches() - before;
            int kinds = 7;
            if (n == 1) {
                assertEquals(0, cached, "one rank: no cache round");
            } else {
                // The first call of each kind is negotiated and every later one is cached.
                assertEquals((long) kinds * (CACHED_CALLS - 1), cached, "batches agreed by the cache round");
                // On a message transport the small calls' data travels with the cache round: broadcast,
                // allgather and the ring neighborAllreduce, and on 2 ranks the allreduces SUM and AVG (not
                // the explicit-weights neighborAllreduce, which learns its destinations, nor the barrier).
                boolean messages = !(bf.communicator() instanceof io.bluefog.comm.SharedMemoryExchange);
                long early = messages && n <= 8 ? (n == 2 ? 5 : 3) * (CACHED_CALLS - 1) : 0;
                assertEquals(early, c.statistics().earlyBatches() - earlyBefore, "calls whose data went early");
            }
        }
    }

    static void capacityZeroNeverCaches(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        try (Collectives c = open(bf, 0)) {
            for (int k = 0; k < CACHED_CALLS; k++) {
                assertAll(rankSum(n), c.allreduce(filled(r, DataType.FLOAT, 3), ReduceOp.SUM), "allreduce");
            }
            assertEquals(0, c.statistics().cachedBatches());
        }
    }

    /** Every small call of {@link #cachedResultsEqualNegotiatedBitForBit}, on this rank's seeded input. */
    private static List<INDArray> smallCalls(Collectives c, int n, int r) {
        List<INDArray> out = new ArrayList<>();
        Random random = new Random(SEED + r);
        for (DataType dtype : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            double[] v = random.doubles(37, -1, 1).toArray();
            out.add(c.neighborAllreduce(SerialReference.array(v, dtype, 37), Mixing.of(Topologies.ring(n))));
            out.add(c.neighborAllreduce(SerialReference.array(v, dtype, 37), Mixing.of(Topologies.exponential(n))));
            out.add(c.allreduce(SerialReference.array(v, dtype, 37), ReduceOp.SUM));
            out.add(c.allreduce(SerialReference.array(v, dtype, 37), ReduceOp.AVG));
            out.add(c.broadcast(SerialReference.array(v, dtype, 37), n - 1));
            out.add(c.allgather(SerialReference.array(v, dtype, 37)));
        }
        return out;
    }

    /**
     * Small calls on seeded random inputs give the same bits with the cache (repeated: cached, on a
     * message transport with their data sent early) as with capacity 0 (every call negotiated).
     */
    static void cachedResultsEqualNegotiatedBitForBit(BlueFog bf) {
        int n = bf.size();
        long[] counts = cachedAgainstNegotiated(bf, ResponseCacheContract::smallCalls);
        if (n > 1) {
            assertEquals(counts[0], counts[1], "every call cached");
        }
    }

    /** A list of calls, the same on every run for the same rank. */
    private interface Calls {
        List<INDArray> run(Collectives c, int n, int r);
    }

    /**
     * Runs {@code calls} with capacity 0 (every call negotiated), then twice with the cache (the
     * first run agreed through rank 0 and remembered), and asserts that the second cached run gives
     * the negotiated shapes and bits.
     *
     * @return the number of calls, the batches the cache round agreed in the second cached run, and
     *         those of them whose data went early
     */
    private static long[] cachedAgainstNegotiated(BlueFog bf, Calls calls) {
        int n = bf.size();
        int r = bf.rank();
        List<INDArray> negotiated;
        try (Collectives c = open(bf, 0)) {
            negotiated = calls.run(c, n, r);
        }
        try (Collectives c = open(bf, CollectivesConfig.DEFAULT_CACHE_CAPACITY)) {
            calls.run(c, n, r);
            long cachedBefore = c.statistics().cachedBatches();
            long earlyBefore = c.statistics().earlyBatches();
            List<INDArray> cached = calls.run(c, n, r);
            assertSameBits(negotiated, cached);
            return new long[] {negotiated.size(), c.statistics().cachedBatches() - cachedBefore,
                c.statistics().earlyBatches() - earlyBefore};
        }
    }

    /** Asserts that call k's results in both lists have the same shape and the same bits. */
    private static void assertSameBits(List<INDArray> negotiated, List<INDArray> cached) {
        for (int k = 0; k < negotiated.size(); k++) {
            INDArray a = negotiated.get(k);
            INDArray b = cached.get(k);
            assertEquals(java.util.Arrays.toString(a.shape()), java.util.Arrays.toString(b.shape()), "call " + k + " shape");
            // float32, float64 and float16 values are exact as doubles, and Arrays.equals compares their bits.
            org.junit.jupiter.api.Assertions.assertArrayEquals(a.reshape(a.length()).toDoubleVector(),
                    b.reshape(b.length()).toDoubleVector(), "call " + k + " (bit for bit)");
        }
    }

    /** Elements of a float32 call of exactly the early path's largest size (64 KiB). */
    static final int LARGEST_EARLY_FLOATS = 64 * 1024 / 4;

    /**
     * Calls at the edges of the early path (io.bluefog.collectives.engine.SmallCalls), on seeded
     * inputs: a float32 neighborAllreduce of exactly 64 KiB (early) and one element more (not early),
     * an allgather whose pieces differ in length between ranks, and
     * float16 broadcast and allgather of an odd element count (data that does not fill the
     * message's last 8-byte word). Repeated with the cache, they give the same bits as with
     * capacity 0; on a message transport with 2..8 ranks, exactly the four eligible ones go early.
     */
    static void earlyDataAtItsLimitsEqualsNegotiated(BlueFog bf) {
        int n = bf.size();
        long[] counts = cachedAgainstNegotiated(bf, ResponseCacheContract::edgeCalls);
        boolean messages = !(bf.communicator() instanceof io.bluefog.comm.SharedMemoryExchange);
        assertEquals(messages && n >= 2 && n <= 8 ? 4 : 0, counts[2], "calls whose data went early");
    }

    /**
     * Allgathers above the early path's limit whose first dimensions differ between ranks and from
     * one call to the next (rows r + 1, r + 2, then r + 1 again): each cached call gives the
     * negotiated shapes and bits (the cache round carries every rank's first dimension of the call
     * it agrees, which the allgather then uses), and every call is cached.
     */
    static void cachedLargeAllgathersTakeEachCallsFirstDimensions(BlueFog bf) {
        int n = bf.size();
        long[] counts = cachedAgainstNegotiated(bf, ResponseCacheContract::largeAllgathers);
        if (n > 1) {
            assertEquals(counts[0], counts[1], "every call cached");
            assertEquals(0, counts[2], "calls whose data went early");
        }
    }

    private static List<INDArray> largeAllgathers(Collectives c, int n, int r) {
        List<INDArray> out = new ArrayList<>();
        Random random = new Random(SEED + 57L * r);
        int cols = LARGEST_EARLY_FLOATS + 1;
        for (int rows : new int[] {r + 1, r + 2, r + 1}) {
            out.add(c.allgather(SerialReference.array(random.doubles((long) rows * cols, -1, 1).toArray(),
                    DataType.FLOAT, rows, cols)));
        }
        return out;
    }

    private static List<INDArray> edgeCalls(Collectives c, int n, int r) {
        List<INDArray> out = new ArrayList<>();
        Random random = new Random(SEED + 31L * r);
        Mixing ring = Mixing.of(Topologies.ring(n));
        for (int len : new int[] {LARGEST_EARLY_FLOATS, LARGEST_EARLY_FLOATS + 1}) {
            out.add(c.neighborAllreduce(SerialReference.array(random.doubles(len, -1, 1).toArray(), DataType.FLOAT, len), ring));
        }
        int rows = r + 1;
        out.add(c.allgather(SerialReference.array(random.doubles(rows * 3L, -1, 1).toArray(), DataType.FLOAT, rows, 3)));
        double[] h = random.doubles(37, -4, 4).toArray();
        out.add(c.broadcast(SerialReference.array(h, DataType.HALF, 37), n - 1));
        out.add(c.allgather(SerialReference.array(h, DataType.HALF, 37)));
        return out;
    }

    /** One mismatch kind: what every rank calls, and what the last rank calls instead after caching. */
    private record Kind(String name, Function<Collectives, Object> usual, Function<Collectives, Object> changed,
            String changedText, String usualText) {
    }

    /**
     * For each kind of change: {@value #CACHED_CALLS} equal calls (cached), then the last rank
     * changes its call; every rank fails with the negotiated path's text naming both calls, then an
     * allreduce on every rank shows the ranks are in step, and the usual call is agreed again.
     */
    static void everyMismatchAfterCachingFailsOnEveryRank(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        if (n == 1) {
            return; // a single rank cannot disagree with itself
        }
        int last = n - 1;
        Supplier<INDArray> x3 = () -> filled(r, DataType.FLOAT, 3);
        Kind[] kinds = {
            new Kind("dtype", c -> c.allreduce(x3.get()), c -> c.allreduce(filled(r, DataType.DOUBLE, 3)),
                    "allreduce float64 [3]", "allreduce float32 [3]"),
            new Kind("shape", c -> c.allreduce(x3.get()), c -> c.allreduce(filled(r, DataType.FLOAT, 4)),
                    "allreduce float32 [4]", "allreduce float32 [3]"),
            new Kind("name", c -> c.named("fc1.weight").allreduce(x3.get()),
                    c -> c.named("fc1.bias").allreduce(x3.get()),
                    "allreduce 'fc1.bias' float32 [3]", "allreduce 'fc1.weight' float32 [3]"),
            new Kind("reduce op", c -> c.allreduce(x3.get(), ReduceOp.SUM), c -> c.allreduce(x3.get(), ReduceOp.MAX),
                    "allreduce float32 [3] op MAX", "allreduce float32 [3] op SUM"),
            new Kind("root", c -> c.broadcast(x3.get(), 0), c -> c.broadcast(x3.get(), 1),
                    "broadcast float32 [3] root 1", "broadcast float32 [3] root 0"),
            new Kind("topology", c -> c.neighborAllreduce(x3.get(), Mixing.of(Topologies.ring(n))),
                    c -> c.neighborAllreduce(x3.get(), Mixing.of(Topologies.lazy(Topologies.ring(n)))),
                    "neighborAllreduce float32 [3] topology/mode #", "neighborAllreduce float32 [3] topology/mode #"),
            new Kind("another collective", c -> c.allreduce(x3.get()), c -> c.broadcast(x3.get(), 0),
                    "broadcast float32 [3] root 0", "allreduce float32 [3]"),
            new Kind("a skipped call", c -> c.named("step").allreduce(x3.get()), c -> {
                c.barrier();
                return null;
            }, "barrier", "allreduce 'step' float32 [3]"),
        };
        try (Collectives c = open(bf, CollectivesConfig.DEFAULT_CACHE_CAPACITY)) {
            for (Kind kind : kinds) {
                for (int k = 0; k < CACHED_CALLS; k++) {
                    kind.usual().apply(c);
                }
                long cachedBefore = c.statistics().cachedBatches();
                kind.usual().apply(c);
                assertEquals(cachedBefore + 1, c.statistics().cachedBatches(), kind.name() + ": the usual call is cached");
                CollectiveMismatchException e = assertThrows(CollectiveMismatchException.class,
                        () -> (r == last ? kind.changed() : kind.usual()).apply(c), kind.name());
                String m = e.getMessage();
                assertTrue(m.startsWith("rank " + r + ": ranks called different collectives"), kind.name() + ": " + m);
                assertTrue(m.contains("rank " + last + " called " + kind.changedText()), kind.name() + ": " + m);
                String others = n == 2 ? "rank 0" : "ranks " + java.util.stream.IntStream.range(0, last).boxed().toList();
                assertTrue(m.contains(others + " called " + kind.usualText()), kind.name() + ": " + m);
                // Still in step: a new call agrees on every rank, and the usual call works again.
                assertAll(rankSum(n), c.named("after " + kind.name()).allreduce(filled(r, DataType.FLOAT, 2),
                        ReduceOp.SUM), kind.name() + ": after the mismatch");
                kind.usual().apply(c);
            }
        }
    }

    /**
     * A rank's own neighbor weights may differ between calls (BlueFog's weights are per rank): after
     * caching the call with self weight 1/2, a rank that passes 1/4 gets 1/4 * x_r + 3/4 * x_src.
     */
    static void changedOwnWeightsAreUsed(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        if (n == 1) {
            return;
        }
        int src = (r + n - 1) % n;
        try (Collectives c = open(bf, CollectivesConfig.DEFAULT_CACHE_CAPACITY)) {
            for (int k = 0; k < CACHED_CALLS; k++) {
                NeighborWeights half = NeighborWeights.of(0.5, new int[] {src}, new double[] {0.5});
                INDArray y = c.neighborAllreduce(filled(r, DataType.DOUBLE, 3), half);
                assertAll(0.5 * r + 0.5 * src, y, "self weight 1/2");
            }
            double self = r == n - 1 ? 0.25 : 0.5;
            NeighborWeights w = NeighborWeights.of(self, new int[] {src}, new double[] {1 - self});
            INDArray y = c.neighborAllreduce(filled(r, DataType.DOUBLE, 3), w);
            assertAll(self * r + (1 - self) * src, y, "self weight " + self + " after caching");
        }
    }

    /**
     * Rank 0 remembers one call, the others {@link CollectivesConfig#DEFAULT_CACHE_CAPACITY}: two
     * alternating calls are never both in rank 0's cache, so the others announce a slot rank 0
     * cannot, and the full round decides; results stay right, and a mismatch still fails everywhere.
     */
    static void ranksThatForgetDifferentCallsStillAgree(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        try (Collectives c = open(bf, r == 0 ? 1 : CollectivesConfig.DEFAULT_CACHE_CAPACITY)) {
            for (int k = 0; k < CACHED_CALLS; k++) {
                assertAll(rankSum(n), c.allreduce(filled(r, DataType.FLOAT, 3), ReduceOp.SUM), "first call");
                assertAll(rankSum(n), c.allreduce(filled(r, DataType.DOUBLE, 5), ReduceOp.SUM), "second call");
            }
            if (n > 1) {
                assertEquals(0, c.statistics().cachedBatches(), "rank 0 forgot each call before it came again");
                CollectiveMismatchException e = assertThrows(CollectiveMismatchException.class,
                        () -> c.allreduce(filled(r, DataType.FLOAT, r == n - 1 ? 4 : 3), ReduceOp.SUM));
                assertTrue(e.getMessage().contains("rank " + (n - 1) + " called allreduce float32 [4]"), e.getMessage());
            }
        }
    }
}
