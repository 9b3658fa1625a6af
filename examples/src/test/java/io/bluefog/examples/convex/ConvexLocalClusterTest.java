package io.bluefog.examples.convex;

import io.bluefog.local.LocalCluster;
import io.bluefog.testing.ContractSuite;
import io.bluefog.testing.LocalContractTests;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.stream.Stream;

/**
 * {@link ConvexContractSuite} on the in-JVM transport, every check with n = 4 and with n = 16 (the
 * sizes the issue names), plus the 8-rank one-peer exponential case. The n = 16 run takes about a
 * minute on 2 cores: 16 rank threads each solve their part of every problem to 1e-8.
 */
class ConvexLocalClusterTest {
    @TestFactory
    Stream<DynamicNode> contract() {
        ContractSuite all = new ConvexContractSuite();
        return Stream.of(
                DynamicContainer.dynamicContainer("n = 4", LocalContractTests.forCluster(all, LocalCluster.builder(4).build())),
                DynamicContainer.dynamicContainer("n = 16", LocalContractTests.forCluster(all, LocalCluster.builder(16).build())));
    }

    @Test
    void onePeerExponentialConsensusOnEightRanksIsExactAfterThreeSteps() {
        LocalCluster.run(8, ConvexContractSuite::onePeerConsensus);
    }
}
