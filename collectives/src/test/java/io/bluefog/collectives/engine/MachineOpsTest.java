package io.bluefog.collectives.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.collectives.CollectivesConfig;
import io.bluefog.collectives.testing.CollectivesContract;
import io.bluefog.comm.ReduceOp;
import io.bluefog.local.LocalCluster;
import io.bluefog.testing.RankCheck;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The contract's machine-dependent checks ({@link CollectivesContract#machineChecks()}) on
 * simulated machines: {@code ranksPerMachine = k} puts ranks 0..k-1 on machine 0 and so on, the
 * last machine holding fewer when k does not divide n; k = 1 is one rank per machine.
 */
class MachineOpsTest {
    /** {n, ranks per machine}. */
    private static final int[][] LAYOUTS = {{4, 2}, {6, 3}, {7, 3}, {8, 2}, {5, 1}, {3, 2}};

    @TestFactory
    Stream<DynamicNode> machineChecksOnSimulatedMachines() {
        List<DynamicNode> nodes = new ArrayList<>();
        for (int[] layout : LAYOUTS) {
            LocalCluster cluster = LocalCluster.builder(layout[0]).ranksPerMachine(layout[1]).build();
            List<DynamicTest> tests = new ArrayList<>();
            for (Map.Entry<String, RankCheck> e : CollectivesContract.machineChecks().entrySet()) {
                RankCheck check = e.getValue();
                tests.add(DynamicTest.dynamicTest(e.getKey(), () -> cluster.run(check::run)));
            }
            nodes.add(DynamicContainer.dynamicContainer("n = " + layout[0] + ", " + layout[1] + " ranks per machine",
                    tests));
        }
        return nodes.stream();
    }

    /**
     * Nonblocking localAllreduce calls queued together are fused into one message per machine and
     * unpacked to each caller: call k of rank r with x = r + 100 k (SUM, in place for odd k) gives the
     * sum over r's machine of (rank + 100 k); 7 ranks, 3 per machine (machines {0,1,2}, {3,4,5}, {6}).
     */
    @Test
    void queuedLocalAllreducesAreFused() {
        int calls = 50;
        List<long[]> counters = LocalCluster.builder(7).ranksPerMachine(3).build().call(bf -> {
            CollectivesConfig c = CollectivesConfig.from(bf.config());
            Engine engine = new Engine(bf.communicator(), c.fusionThresholdBytes(), c.timeoutMillis(),
                    c.pipelineChunkBytes(), false, bf.timeline());
            try {
                int first = bf.machineRank() * 3;
                int count = Math.min(7, first + 3) - first;
                List<Op> ops = new ArrayList<>();
                List<INDArray> inputs = new ArrayList<>();
                for (int k = 0; k < calls; k++) {
                    INDArray x = Nd4j.valueArrayOf(new long[] {2, 3}, bf.rank() + 100.0 * k, DataType.DOUBLE);
                    inputs.add(x);
                    ops.add(engine.submit(Op.localAllreduce(x, ReduceOp.SUM, k % 2 == 1)));
                }
                for (int k = 0; k < calls; k++) {
                    INDArray out = (INDArray) ops.get(k).future().join();
                    if (k % 2 == 1) {
                        assertSame(inputs.get(k), out, "in place");
                    }
                    double expected = count * (first + (count - 1) / 2.0) + count * 100.0 * k;
                    for (double v : out.data().asDouble()) {
                        assertEquals(expected, v, 0, "call " + k + " of rank " + bf.rank());
                    }
                }
                return engine.counters();
            } finally {
                engine.close();
            }
        });
        for (long[] c : counters) {
            assertEquals(calls, c[0]);
            assertTrue(c[1] < calls, "no fusion: " + c[1] + " batches");
        }
    }
}
