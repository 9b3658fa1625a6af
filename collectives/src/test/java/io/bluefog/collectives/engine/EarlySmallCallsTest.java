package io.bluefog.collectives.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.BlueFog;
import io.bluefog.BlueFogTimeoutException;
import io.bluefog.collectives.Collectives;
import io.bluefog.CollectiveMismatchException;
import io.bluefog.collectives.CollectivesConfig;
import io.bluefog.comm.Communicator;
import io.bluefog.comm.ReduceOp;
import io.bluefog.collectives.testing.ResponseCacheContract;
import io.bluefog.local.LocalCluster;
import io.bluefog.testing.RankCheck;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The response cache's contract on LocalCluster with its shared-memory capability hidden
 * ({@link SharedMemoryPathTest.MessagesOnly}), so that the cache round and the small calls' early
 * data ({@link SmallCalls}) travel as messages, as under mpirun: the contract's counts of early
 * batches, every mismatch after caching (whose early data came with the announcements and is ignored), changed weights and
 * ranks with different capacities, at 2, 3 and 4 ranks without an MPI installation.
 */
class EarlySmallCallsTest {
    /** Short, so the test is quick; the silent rank waits for the others' timeouts however long they take. */
    private static final long SHORT_TIMEOUT_MILLIS = 700;
    private static final long SILENT_RANK_DEADLINE_SECONDS = 100;

    /**
     * After cached (and, over messages, early) calls, a rank that stops calling makes every other
     * rank time out in the cache round, naming it; no hang. Both the message and the shared-memory
     * cache round.
     */
    @TestFactory
    Stream<DynamicTest> aRankThatStopsCallingAfterCachingIsNamed() {
        return Stream.of(true, false).map(overMessages -> DynamicTest.dynamicTest(
                overMessages ? "over messages" : "in shared memory", () -> {
                    int n = 3;
                    CountDownLatch timedOut = new CountDownLatch(n - 1);
                    List<String> messages = LocalCluster.builder(n).build().call(bf0 -> {
                        BlueFog bf = overMessages
                                ? BlueFog.of(new SharedMemoryPathTest.MessagesOnly(bf0.communicator()), bf0.config()) : bf0;
                        Collectives c = Collectives.of(bf, CollectivesConfig.from(bf.config())
                                .withTimeoutMillis(SHORT_TIMEOUT_MILLIS));
                        INDArray x = Nd4j.ones(DataType.FLOAT, 3);
                        for (int k = 0; k < 3; k++) {
                            c.allreduceInPlace(x, ReduceOp.SUM);
                        }
                        if (bf.rank() == n - 1) {
                            assertTrue(timedOut.await(SILENT_RANK_DEADLINE_SECONDS, TimeUnit.SECONDS), "peers never timed out");
                            c.close();
                            return "";
                        }
                        try {
                            assertTrue(c.statistics().cachedBatches() >= 2, "the calls before were cached");
                            return assertThrows(BlueFogTimeoutException.class, () -> c.allreduceInPlace(x, ReduceOp.SUM))
                                    .getMessage();
                        } finally {
                            timedOut.countDown();
                            c.close();
                        }
                    });
                    for (int r = 0; r < n - 1; r++) {
                        assertTrue(messages.get(r).contains("ranks [" + (n - 1) + "] did not call"), messages.get(r));
                    }
                }));
    }

    @TestFactory
    Stream<DynamicTest> contractOverMessages() {
        Map<String, RankCheck> checks = new ResponseCacheContract().checks();
        return IntStream.of(2, 3, 4).boxed().flatMap(n -> checks.entrySet().stream().map(e ->
                DynamicTest.dynamicTest(e.getKey() + " n=" + n, () -> LocalCluster.builder(n).build().run(bf -> {
                    BlueFog messages = BlueFog.of(new SharedMemoryPathTest.MessagesOnly(bf.communicator()), bf.config());
                    e.getValue().run(messages);
                }))));
    }

    /** A message transport whose eager limit is 160 bytes: the cache round's messages go in 20-word pieces. */
    static final class SmallEagerLimit extends SharedMemoryPathTest.MessagesOnly {
        static final int EAGER_BYTES = 160;
        static final int PIECE_WORDS = EAGER_BYTES / Long.BYTES;

        SmallEagerLimit(Communicator c) {
            super(c);
        }

        @Override
        public int eagerMessageBytes() {
            return EAGER_BYTES;
        }
    }

    /**
     * Result-returning small calls take their result array while the cache round waits for the
     * peers' messages ({@link ExecutionContext#prepareResult}): 2 ranks over messages, x_r = r + 1,
     * new-array neighborAllreduce on the ring ((1 + 2) / 2 = 1.5), broadcasts from rank 1 and from
     * rank 0, and allreduce sum, each exact; after the first (negotiated) call of each, every call
     * went early and used its prepared array. Then the ranks disagree (rank r broadcasts from root r,
     * both calls cached): both fail with a mismatch, the array prepared for that call is given back
     * by the next call, which is exact and uses its own. Allgathers (x_0 then x_1 concatenated)
     * predict their result's shape from the last one; when a rank's first dimension changes the
     * prediction is not used.
     */
    @Test
    void resultsTakenDuringTheRoundAreUsedOrGivenBack() {
        LocalCluster.builder(2).build().run(bf0 -> {
            BlueFog bf = BlueFog.of(new SharedMemoryPathTest.MessagesOnly(bf0.communicator()), bf0.config());
            CollectivesConfig cfg = CollectivesConfig.from(bf.config());
            try (Engine engine = new Engine(bf.communicator(), cfg.fusionThresholdBytes(), cfg.timeoutMillis(),
                    cfg.pipelineChunkBytes(), false, bf.timeline(), 64)) {
                ExecutionContext ctx = engine.executor().context();
                NeighborPlan ring = NeighborPlan.of(io.bluefog.topology.Topologies.ring(2), bf.rank());
                INDArray x = Nd4j.valueArrayOf(new long[] {5}, bf.rank() + 1.0, DataType.FLOAT);
                String who = "rank " + bf.rank() + ": ";
                for (int k = 0; k < 4; k++) {
                    try (INDArray avg = run(engine, Op.neighborAllreduce(x, ring, false));
                            INDArray b1 = run(engine, Op.broadcast(x, 1, false));
                            INDArray b0 = run(engine, Op.broadcast(x, 0, false));
                            INDArray sum = run(engine, Op.allreduce(x, ReduceOp.SUM, false));
                            INDArray all = run(engine, Op.allgather(x))) {
                        assertEquals(Nd4j.valueArrayOf(new long[] {5}, 1.5, DataType.FLOAT), avg, who + "ring average");
                        assertEquals(Nd4j.valueArrayOf(new long[] {5}, 2.0, DataType.FLOAT), b1, who + "broadcast of rank 1");
                        assertEquals(Nd4j.valueArrayOf(new long[] {5}, 1.0, DataType.FLOAT), b0, who + "broadcast of rank 0");
                        assertEquals(Nd4j.valueArrayOf(new long[] {5}, 3.0, DataType.FLOAT), sum, who + "sum");
                        assertEquals(Nd4j.createFromArray(1f, 1f, 1f, 1f, 1f, 2f, 2f, 2f, 2f, 2f), all, who + "allgather");
                    }
                }
                // allgather: its second call (the first early one) predicts the shape for the later ones
                assertEquals(3 * 4 + 2, ctx.preparedUsed, who + "every call after the first of its kind went early with its array");
                assertEquals(0, ctx.preparedDropped, who + "none given back");
                assertThrows(CollectiveMismatchException.class,
                        () -> run(engine, Op.broadcast(x, bf.rank(), false)), who + "roots 0 and 1");
                try (INDArray b = run(engine, Op.broadcast(x, 0, false))) {
                    assertEquals(Nd4j.valueArrayOf(new long[] {5}, 1.0, DataType.FLOAT), b, who + "broadcast of rank 0");
                }
                assertEquals(1, ctx.preparedDropped, who + "the mismatched call's array was given back");
                assertEquals(3 * 4 + 2 + 1, ctx.preparedUsed, who + "the next call used its own");
                // a rank whose first dimension changes: the predicted array is not used, and given back
                INDArray longer = Nd4j.valueArrayOf(new long[] {5 + bf.rank()}, bf.rank() + 1.0, DataType.FLOAT);
                try (INDArray all = run(engine, Op.allgather(longer)); INDArray again = run(engine, Op.allgather(longer))) {
                    assertEquals(11, all.length(), who + "5 + 6 elements");
                    assertEquals(11, again.length(), who + "5 + 6 elements");
                    assertEquals(2.0, again.getDouble(10), who + "rank 1's last element");
                }
                assertEquals(3 * 4 + 2 + 1, ctx.preparedUsed, who + "rank 1's own shape is new: nothing predicted; rank 0's prediction was wrong");
            }
        });
    }

    private static INDArray run(Engine engine, Op op) {
        try {
            return (INDArray) engine.runInCallerOrSubmit(op).future().join();
        } catch (java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    @Test
    void pieceLengthIsTheEagerLimitInWholeWords() {
        int max = SmallCalls.MAX_WORDS;
        assertEquals(504, SmallCalls.pieceWords(4032, max), "Open MPI's default: 4096 - 64 bytes");
        assertEquals(max + 1, SmallCalls.pieceWords(Integer.MAX_VALUE, max), "no limit: one piece");
        assertEquals(max + 1, SmallCalls.pieceWords(max * Long.BYTES + 8, max), "the longest message fits");
        assertEquals(SmallCalls.HEADER + 1, SmallCalls.pieceWords(16, max), "never shorter than an announcement");
        assertEquals(SmallEagerLimit.PIECE_WORDS, SmallCalls.pieceWords(SmallEagerLimit.EAGER_BYTES, max));
    }

    /** The whole response-cache contract (mismatches included) with every small message in pieces. */
    @TestFactory
    Stream<DynamicTest> contractOverMessagesInPieces() {
        Map<String, RankCheck> checks = new ResponseCacheContract().checks();
        return IntStream.of(2, 3).boxed().flatMap(n -> checks.entrySet().stream().map(e ->
                DynamicTest.dynamicTest(e.getKey() + " n=" + n, () -> LocalCluster.builder(n).build().run(bf -> {
                    BlueFog messages = BlueFog.of(new SmallEagerLimit(bf.communicator()), bf.config());
                    e.getValue().run(messages);
                }))));
    }

    /**
     * Two-rank float64 allreduce sums whose messages (20-word pieces, a 19-word announcement, one
     * word per element) end exactly on a piece boundary (1, 2 and 3 full pieces and an empty last
     * piece), one word short of it or past it, or exceed three pieces (sent whole): each sum is exact
     * (x_r[i] = 1000 r + i) and went early; then the ranks disagree on the length (one piece against
     * three) and both fail with a mismatch, and the next call agrees.
     */
    @Test
    void messagesOnPieceBoundariesArriveWholeAndMismatchesStayInStep() {
        int header = SmallCalls.HEADER;
        int p = SmallEagerLimit.PIECE_WORDS;
        int[] lengths = {p - header, p - header + 1, 2 * p - header - 1, 2 * p - header, 3 * p - header - 1,
            3 * p - header, 3 * p - header + 1, 5 * p};
        LocalCluster.builder(2).build().run(bf0 -> {
            BlueFog bf = BlueFog.of(new SmallEagerLimit(bf0.communicator()), bf0.config());
            int r = bf.rank();
            try (Collectives c = Collectives.of(bf)) {
                for (int len : lengths) {
                    long earlyBefore = c.statistics().earlyBatches();
                    for (int k = 0; k < 3; k++) {
                        double[] x = new double[len];
                        double[] sum = new double[len];
                        for (int i = 0; i < len; i++) {
                            x[i] = 1000.0 * r + i;
                            sum[i] = 1000.0 + 2.0 * i;
                        }
                        INDArray y = c.allreduce(Nd4j.createFromArray(x), ReduceOp.SUM);
                        assertArrayEquals(sum, y.toDoubleVector(), 0.0, "length " + len);
                    }
                    assertTrue(c.statistics().earlyBatches() - earlyBefore >= 1, "length " + len + " went early");
                }
                int mine = r == 0 ? p - header : 3 * p - header;
                assertThrows(CollectiveMismatchException.class,
                        () -> c.allreduce(Nd4j.ones(DataType.DOUBLE, mine), ReduceOp.SUM), "one piece against three");
                INDArray after = c.allreduce(Nd4j.ones(DataType.DOUBLE, 3), ReduceOp.SUM);
                assertArrayEquals(new double[] {2, 2, 2}, after.toDoubleVector(), 0.0, "in step after the mismatch");
            }
        });
    }
}
