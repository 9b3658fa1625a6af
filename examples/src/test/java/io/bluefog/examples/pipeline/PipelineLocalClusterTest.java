package io.bluefog.examples.pipeline;

import io.bluefog.testing.LocalContractTests;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/** {@link PipelineContractSuite} on the in-JVM transport with Δ = 1..4 stages (one per rank). */
class PipelineLocalClusterTest {
    @TestFactory
    Stream<DynamicNode> contract() {
        return LocalContractTests.forSizes(new PipelineContractSuite(), 1, 2, 3, 4);
    }
}
