package io.bluefog.examples.reliability;

import io.bluefog.testing.LocalContractTests;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/** {@link CallMatchingContractSuite} on the in-JVM transport with 2..4 ranks. */
class CallMatchingLocalClusterTest {
    @TestFactory
    Stream<DynamicNode> contract() {
        return LocalContractTests.forSizes(new CallMatchingContractSuite(), 2, 3, 4);
    }
}
