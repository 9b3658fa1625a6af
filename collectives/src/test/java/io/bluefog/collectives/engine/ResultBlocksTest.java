package io.bluefog.collectives.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.collectives.ResultBlocks;
import io.bluefog.comm.Communicator;
import io.bluefog.local.LocalCluster;
import io.bluefog.timeline.Timeline;
import io.bluefog.topology.Topologies;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link Op#resultBlocks}: an in-place neighborAllreduce tells its listener of consecutive ranges
 * covering the result once, in ascending order, each already holding its final values; on
 * LocalCluster's shared-memory round (first call negotiated, later ones folded into the cache
 * round) during the round, from many small blocks combined by several workers; on the message path
 * afterwards. The results are the message path's bits, and a listener's exception fails only its
 * own rank's call, after the result is complete, while later calls proceed.
 */
class ResultBlocksTest {
    private static final long TIMEOUT_MILLIS = 60_000;
    private static final int RANKS = 5;
    private static final int LENGTH = 1031;
    private static final int CALLS = 4;
    /** The call in which rank {@link #FAILING_RANK}'s listener throws at the first range that reaches past the middle. */
    private static final int FAILING_CALL = 2;
    private static final int FAILING_RANK = 2;

    /** What one rank saw: per call, the ranges told, the values they held when told, and the elements told during execution. */
    private record Seen(List<List<long[]>> ranges, List<byte[]> told, List<byte[]> results, long[] toldDuring,
            List<RuntimeException> errors) {
    }

    private static Seen run(Communicator comm) {
        Engine engine = new Engine(comm, 1 << 20, TIMEOUT_MILLIS, 96, false, Timeline.disabled(), 1024);
        Seen seen = new Seen(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new long[CALLS], new ArrayList<>());
        try {
            int r = comm.rank();
            INDArray x = TestTensors.random(DataType.FLOAT, LENGTH, 77L + r);
            NeighborPlan plan = NeighborPlan.of(Topologies.ring(RANKS), r);
            for (int call = 0; call < CALLS; call++) {
                List<long[]> ranges = new ArrayList<>();
                byte[] told = new byte[LENGTH * 4];
                boolean fail = call == FAILING_CALL && r == FAILING_RANK;
                boolean[] threw = {false};
                ResultBlocks listener = (offset, count) -> {
                    if (threw[0]) {
                        ranges.add(null); // told again after it threw: the test fails on it
                    }
                    if (fail && offset + count > LENGTH / 2) {
                        threw[0] = true;
                        throw new IllegalStateException("listener of rank " + FAILING_RANK + " fails");
                    }
                    ranges.add(new long[] {offset, count});
                    x.data().asNio().order(java.nio.ByteOrder.nativeOrder())
                            .get((int) offset * 4, told, (int) offset * 4, count * 4);
                };
                Op op = Op.neighborAllreduce(x, plan, true);
                op.resultBlocks(listener);
                engine.runInCallerOrSubmit(op).future().join();
                seen.toldDuring[call] = op.resultBlocksTold;
                RuntimeException error = null;
                try {
                    op.finishResultBlocks();
                } catch (RuntimeException e) {
                    error = e;
                }
                seen.errors.add(error);
                seen.ranges.add(ranges);
                seen.told.add(told);
                seen.results.add(TestTensors.bits(x));
            }
        } finally {
            engine.close();
        }
        return seen;
    }

    private static List<Seen> cluster(Function<Communicator, Communicator> wrap) {
        int saved = NeighborAllreduceOperation.blockBufferBytes;
        NeighborAllreduceOperation.blockBufferBytes = 48; // 2 elements per rank and block: 516 blocks per call
        try {
            return LocalCluster.builder(RANKS).timeoutMillis(TIMEOUT_MILLIS).build()
                    .call(bf -> run(wrap.apply(bf.communicator())));
        } finally {
            NeighborAllreduceOperation.blockBufferBytes = saved;
        }
    }

    @Test
    void sharedRoundTellsEveryBlockInOrderWithTheMessagePathsBits() {
        List<Seen> shared = cluster(c -> c);
        List<Seen> messages = cluster(SharedMemoryPathTest.MessagesOnly::new);
        for (int r = 0; r < RANKS; r++) {
            for (int call = 0; call < CALLS; call++) {
                String where = "rank " + r + ", call " + call;
                assertArrayEquals(messages.get(r).results.get(call), shared.get(r).results.get(call), where
                        + ": the shared round's result differs from the message path's");
                for (List<Seen> path : List.of(shared, messages)) {
                    Seen s = path.get(r);
                    String name = where + (path == shared ? " (shared)" : " (messages)");
                    if (call == FAILING_CALL && r == FAILING_RANK) {
                        assertTrue(s.errors.get(call) instanceof IllegalStateException, name + ": " + s.errors.get(call));
                        assertTrue(!s.ranges.get(call).contains(null), name + ": told more after its listener threw");
                        continue;
                    }
                    assertSame(null, s.errors.get(call), name);
                    long next = 0;
                    for (long[] range : s.ranges.get(call)) {
                        assertEquals(next, range[0], name + ": ranges not consecutive");
                        assertTrue(range[1] >= 1, name + ": empty range");
                        next += range[1];
                    }
                    assertEquals(LENGTH, next, name + ": ranges do not cover the result");
                    assertArrayEquals(s.results.get(call), s.told.get(call), name
                            + ": a range was told before its values were final");
                }
                if (!(call == FAILING_CALL && r == FAILING_RANK)) {
                    assertEquals(LENGTH, shared.get(r).toldDuring[call], where + ": the shared round did not tell the"
                            + " listener while combining");
                    assertTrue(shared.get(r).ranges.get(call).size() > 100, where + ": expected many small blocks");
                }
            }
        }
    }

    @Test
    void notInPlaceIsRejected() {
        Op op = Op.neighborAllreduce(TestTensors.random(DataType.FLOAT, 4, 1), NeighborPlan.of(Topologies.ring(3), 0),
                false);
        assertThrows(IllegalStateException.class, () -> op.resultBlocks((offset, count) -> { }));
    }
}
