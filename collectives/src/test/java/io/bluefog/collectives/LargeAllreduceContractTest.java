package io.bluefog.collectives;

import io.bluefog.collectives.testing.LargeAllreduceContract;
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

/** {@link LargeAllreduceContract} on LocalCluster for n = 1..4 (under mpirun: mpi-launch's CollectivesMpiTest). */
class LargeAllreduceContractTest {
    @TestFactory
    Stream<DynamicNode> largeAllreduceContract() {
        List<DynamicNode> nodes = new ArrayList<>();
        for (int n = 1; n <= 4; n++) {
            LocalCluster cluster = LocalCluster.builder(n).build();
            List<DynamicTest> tests = new ArrayList<>();
            for (Map.Entry<String, RankCheck> e : new LargeAllreduceContract().checks().entrySet()) {
                RankCheck check = e.getValue();
                tests.add(DynamicTest.dynamicTest(e.getKey(), () -> cluster.run(check::run)));
            }
            nodes.add(DynamicContainer.dynamicContainer("n = " + n, tests));
        }
        return nodes.stream();
    }
}
