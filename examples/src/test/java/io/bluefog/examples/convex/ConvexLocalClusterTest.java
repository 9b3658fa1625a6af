package io.bluefog.examples.convex;

import io.bluefog.local.LocalCluster;
import io.bluefog.testing.ContractSuite;
import io.bluefog.testing.LocalContractTests;
import io.bluefog.testing.RankCheck;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@link ConvexContractSuite} on the in-JVM transport: every check with n = 4; with n = 16 the
 * checks the issue names for that size (Exact Diffusion and gradient tracking on least squares,
 * ring and exponential graph; ring and one-peer consensus) — the remaining ones cost minutes at
 * n = 16 on a shared 2-core machine; plus the 8-rank one-peer exponential case.
 */
class ConvexLocalClusterTest {
    @TestFactory
    Stream<DynamicNode> contract() {
        ContractSuite all = new ConvexContractSuite();
        Map<String, RankCheck> large = new LinkedHashMap<>();
        all.checks().forEach((name, check) -> {
            if (name.contains("least-squares") || name.contains("consensus")) {
                large.put(name, check);
            }
        });
        ContractSuite subset = () -> large;
        return Stream.of(
                DynamicContainer.dynamicContainer("n = 4", LocalContractTests.forCluster(all, LocalCluster.builder(4).build())),
                DynamicContainer.dynamicContainer("n = 16", LocalContractTests.forCluster(subset, LocalCluster.builder(16).build())));
    }

    @Test
    void onePeerExponentialConsensusOnEightRanksIsExactAfterThreeSteps() {
        LocalCluster.run(8, ConvexContractSuite::onePeerConsensus);
    }
}
