package io.bluefog.examples.ddg;

import io.bluefog.testing.LocalContractTests;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/** {@link DdgContractSuite} on the in-JVM transport with K = 1..4 modules (one per rank). */
class DdgLocalClusterTest {
    @TestFactory
    Stream<DynamicNode> contract() {
        return LocalContractTests.forSizes(new DdgContractSuite(), 1, 2, 3, 4);
    }
}
