package io.bluefog.collectives;

import io.bluefog.collectives.testing.MixingContract;
import io.bluefog.local.LocalCluster;
import io.bluefog.testing.LocalContractTests;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/** The {@link MixingContract} on in-JVM clusters: one machine of n = 1..5, 7, 8, 16 ranks, and simulated machines. */
class MixingContractTest {
    @TestFactory
    Stream<DynamicNode> oneMachine() {
        return LocalContractTests.forSizes(new MixingContract(), 1, 2, 3, 4, 5, 7, 8, 16);
    }

    /** Several machines (ranks 0..k-1 on machine 0, ...; the last may hold fewer), for the machine-level checks. */
    @TestFactory
    Stream<DynamicNode> simulatedMachines() {
        int[][] layouts = {{4, 1}, {6, 2}, {7, 3}, {8, 2}};
        return Stream.of(layouts).map(l -> DynamicContainer.dynamicContainer("n = " + l[0] + ", " + l[1] + " per machine",
                LocalContractTests.forCluster(new MixingContract(), LocalCluster.builder(l[0]).ranksPerMachine(l[1]).build())));
    }
}
