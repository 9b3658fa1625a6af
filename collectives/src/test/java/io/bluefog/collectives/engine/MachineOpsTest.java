package io.bluefog.collectives.engine;

import io.bluefog.collectives.testing.CollectivesContract;
import io.bluefog.local.LocalCluster;
import io.bluefog.testing.RankCheck;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

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
}
