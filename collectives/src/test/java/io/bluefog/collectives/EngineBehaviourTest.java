package io.bluefog.collectives;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.BlueFogTimeoutException;
import io.bluefog.collectives.testing.CollectivesContract;
import io.bluefog.comm.ReduceOp;
import io.bluefog.local.LocalCluster;
import io.bluefog.config.BlueFogConfig;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Engine properties that need a multi-rank world: fusion, timeouts, machines, allocation. */
class EngineBehaviourTest {
    /** Bytes a steady-state call may allocate on the heap of the caller plus the communication thread. */
    private static final long MAX_HEAP_BYTES_PER_CALL = 64 * 1024;
    private static final long SHORT_TIMEOUT_MILLIS = 700;
    /** Deadline of a silent rank's wait for its peers' timeouts: a hang guard, far above any real run. */
    private static final long SILENT_RANK_DEADLINE_SECONDS = 100;

    @Test
    void manySmallAsyncCallsAreFused() {
        List<CollectivesStatistics> stats = LocalCluster.call(4, bf -> {
            try (Collectives c = Collectives.of(bf)) {
                List<Handle<INDArray>> hs = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    hs.add(c.neighborAllreduceAsync(Nd4j.valueArrayOf(new long[] {16}, i, DataType.FLOAT)));
                }
                hs.forEach(Handle::join);
                return c.statistics();
            }
        });
        for (CollectivesStatistics s : stats) {
            assertEquals(50, s.operations());
            assertTrue(s.fusedOperations() > 0 && s.batches() < 50, "no fusion: " + s);
        }
    }

    /**
     * The silent rank stays alive (it must not finish: a finished rank fails its peers at once) until
     * every other rank has seen its timeout, however long the machine takes to get there; no duration
     * is asserted.
     */
    @Test
    void aRankThatNeverCallsTimesOutNamingIt() {
        CollectivesConfig cfg = CollectivesConfig.fromEnvironment().withTimeoutMillis(SHORT_TIMEOUT_MILLIS);
        CountDownLatch timedOut = new CountDownLatch(2);
        List<String> messages = LocalCluster.call(3, bf -> {
            if (bf.rank() == 2) {
                assertTrue(timedOut.await(SILENT_RANK_DEADLINE_SECONDS, TimeUnit.SECONDS), "peers never timed out");
                return "";
            }
            try {
                Collectives c = Collectives.of(bf, cfg);
                INDArray x = Nd4j.ones(DataType.FLOAT, 3);
                BlueFogTimeoutException e = assertThrows(BlueFogTimeoutException.class, () -> c.allreduce(x));
                // Broken after a timeout: later calls fail at once.
                assertThrows(io.bluefog.CommunicationException.class, () -> c.barrier());
                c.close();
                return e.getMessage();
            } finally {
                timedOut.countDown();
            }
        });
        assertTrue(messages.get(0).contains("ranks [2] did not call"), messages.get(0));
        assertTrue(messages.get(1).contains("ranks [2] did not call"), messages.get(1));
    }

    @Test
    void aMissingCoordinatorIsNamed() {
        CollectivesConfig cfg = CollectivesConfig.fromEnvironment().withTimeoutMillis(SHORT_TIMEOUT_MILLIS);
        CountDownLatch timedOut = new CountDownLatch(1);
        List<String> messages = LocalCluster.call(2, bf -> {
            if (bf.rank() == 0) {
                assertTrue(timedOut.await(SILENT_RANK_DEADLINE_SECONDS, TimeUnit.SECONDS), "rank 1 never timed out");
                return "";
            }
            try (Collectives c = Collectives.of(bf, cfg)) {
                return assertThrows(BlueFogTimeoutException.class, () -> c.barrier()).getMessage();
            } finally {
                timedOut.countDown();
            }
        });
        // Message path: rank 1 waits for the coordinator; LocalCluster negotiates in shared memory
        // (SharedMemoryExchange, no coordinator) and names rank 0 among the ranks that did not call.
        assertTrue(messages.get(1).contains("rank 0 (the coordinator)") || messages.get(1).contains("ranks [0] did not call"),
                messages.get(1));
    }

    @Test
    void timelineRecordsNegotiationAndOperations(@TempDir Path dir) throws Exception {
        String prefix = dir.resolve("trace").toString();
        LocalCluster.builder(2).config(BlueFogConfig.defaults().withTimelinePrefix(prefix)).build().run(bf -> {
            try (Collectives c = Collectives.of(bf)) {
                c.neighborAllreduce(Nd4j.ones(DataType.FLOAT, 4));
                c.allreduce(Nd4j.ones(DataType.FLOAT, 4));
            }
        });
        for (int r = 0; r < 2; r++) {
            String json = Files.readString(Path.of(prefix + r + ".json"));
            assertTrue(json.contains("\"name\":\"negotiate\""), json);
            assertTrue(json.contains("\"name\":\"neighborAllreduce\""), json);
            assertTrue(json.contains("\"name\":\"allreduce\""), json);
            assertTrue(json.contains("\"name\":\"collectives\""), "lane name: " + json);
        }
    }

    @Test
    void hierarchicalOnSimulatedMachines() {
        CollectivesContract suite = new CollectivesContract();
        LocalCluster.builder(8).ranksPerMachine(2).build().run(bf -> suite.checks().get("hierarchicalNeighborAllreduce").run(bf));
        LocalCluster.builder(7).ranksPerMachine(3).build().run(bf -> suite.checks().get("hierarchicalNeighborAllreduce").run(bf));
    }

    @Test
    void steadyStateCallsAllocateNoModelSizedHeap() {
        int length = 1 << 20; // 4 MiB of float32
        List<long[]> perCall = LocalCluster.call(2, bf -> {
            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            try (Collectives c = Collectives.of(bf)) {
                INDArray x = Nd4j.rand(DataType.FLOAT, length);
                for (int i = 0; i < 5; i++) { // warm up: pools fill, classes load
                    c.neighborAllreduceInPlace(x);
                    c.allreduceInPlace(x, ReduceOp.AVG);
                }
                // Blocking calls on an idle engine run on the caller; a communication thread may not exist.
                Thread comm = Thread.getAllStackTraces().keySet().stream()
                        .filter(t -> t.getName().equals("bluefog-comm-rank-" + bf.rank())).findFirst().orElse(null);
                int calls = 20;
                long me0 = mx.getCurrentThreadAllocatedBytes();
                long comm0 = comm == null ? 0 : mx.getThreadAllocatedBytes(comm.getId());
                for (int i = 0; i < calls; i++) {
                    c.neighborAllreduceInPlace(x);
                }
                long me1 = mx.getCurrentThreadAllocatedBytes();
                long comm1 = comm == null ? 0 : mx.getThreadAllocatedBytes(comm.getId());
                return new long[] {(me1 - me0) / calls, (comm1 - comm0) / calls};
            }
        });
        for (long[] p : perCall) {
            System.out.printf("heap bytes per in-place neighborAllreduce of 4 MiB: caller %d, communication thread %d%n",
                    p[0], p[1]);
            assertTrue(p[0] + p[1] < MAX_HEAP_BYTES_PER_CALL, "caller " + p[0] + " + comm " + p[1] + " bytes per call");
        }
    }
}
