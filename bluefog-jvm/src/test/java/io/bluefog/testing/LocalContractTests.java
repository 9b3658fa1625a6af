package io.bluefog.testing;

import io.bluefog.local.LocalCluster;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;

/**
 * Runs a {@link ContractSuite} on {@link LocalCluster}s as JUnit dynamic tests, one per (world
 * size, check). Use from a {@code @TestFactory}:
 * <pre>{@code
 * @TestFactory
 * Stream<DynamicNode> contract() {
 *     return LocalContractTests.forSizes(new MySuite(), 1, 2, 3, 4, 8);
 * }
 * }</pre>
 * Each test is a fresh cluster, so a failing check does not affect the others; the failure of any
 * rank fails the test with that rank's exception.
 */
public final class LocalContractTests {
    private LocalContractTests() {
    }

    /** @return one container per size ({@code "n = 4"}) holding one test per check */
    public static Stream<DynamicNode> forSizes(ContractSuite suite, int... sizes) {
        List<DynamicNode> containers = new ArrayList<>();
        for (int n : sizes) {
            LocalCluster cluster = LocalCluster.builder(n).build();
            containers.add(DynamicContainer.dynamicContainer("n = " + n, forCluster(suite, cluster)));
        }
        return containers.stream();
    }

    /** @return one test per check of {@code suite}, each run on a fresh job of {@code cluster} */
    public static Stream<DynamicTest> forCluster(ContractSuite suite, LocalCluster cluster) {
        List<DynamicTest> tests = new ArrayList<>();
        for (Map.Entry<String, RankCheck> e : suite.checks().entrySet()) {
            RankCheck check = e.getValue();
            tests.add(DynamicTest.dynamicTest(e.getKey(), () -> cluster.run(check::run)));
        }
        return tests.stream();
    }
}
