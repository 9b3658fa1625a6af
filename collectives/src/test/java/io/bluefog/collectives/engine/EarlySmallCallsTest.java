package io.bluefog.collectives.engine;

import io.bluefog.BlueFog;
import io.bluefog.collectives.testing.ResponseCacheContract;
import io.bluefog.local.LocalCluster;
import io.bluefog.testing.RankCheck;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The response cache's contract on LocalCluster with its shared-memory capability hidden
 * ({@link SharedMemoryPathTest.MessagesOnly}), so that the cache round and the small calls' early
 * data ({@link SmallCalls}) travel as messages, as under mpirun: the contract's counts of early
 * batches, every mismatch after caching (whose early data every rank drains), changed weights and
 * ranks with different capacities, at 2, 3 and 4 ranks without an MPI installation.
 */
class EarlySmallCallsTest {
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
