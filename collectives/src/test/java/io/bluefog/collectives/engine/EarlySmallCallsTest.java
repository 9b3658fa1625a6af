package io.bluefog.collectives.engine;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.BlueFog;
import io.bluefog.BlueFogTimeoutException;
import io.bluefog.collectives.Collectives;
import io.bluefog.collectives.CollectivesConfig;
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
}
