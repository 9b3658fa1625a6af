package io.bluefog.examples.convex;

import io.bluefog.local.LocalCluster;
import io.bluefog.testing.ContractSuite;
import io.bluefog.testing.LocalContractTests;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.stream.Stream;

/**
 * {@link ConvexContractSuite} on the in-JVM transport, every check with n = 4 and with n = 16, plus
 * the 8-rank one-peer exponential case. The n = 16 run takes about a minute on 2 cores (16 rank
 * threads each solve their part of every problem to 1e-8), so it is tagged {@code slow}: the default
 * build skips it and {@code .ci/run} runs it once ({@code mvn -P mpi,slow verify}).
 */
class ConvexLocalClusterTest {
    @TestFactory
    Stream<DynamicTest> contractOnFourRanks() {
        return LocalContractTests.forCluster(new ConvexContractSuite(), LocalCluster.builder(4).build());
    }

    @Tag("slow")
    @TestFactory
    Stream<DynamicNode> contractOnSixteenRanks() {
        ContractSuite all = new ConvexContractSuite();
        return Stream.of(DynamicContainer.dynamicContainer("n = 16",
                LocalContractTests.forCluster(all, LocalCluster.builder(16).build())));
    }

    @Test
    void onePeerExponentialConsensusOnEightRanksIsExactAfterThreeSteps() {
        LocalCluster.run(8, ConvexContractSuite::onePeerConsensus);
    }
}
