package io.bluefog.collectives;

import io.bluefog.collectives.testing.WindowContract;
import io.bluefog.testing.LocalContractTests;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/** The {@link WindowContract} on in-JVM clusters of n = 1..8 ranks. */
class WindowContractTest {
    @TestFactory
    Stream<DynamicNode> windows() {
        return LocalContractTests.forSizes(new WindowContract(), 1, 2, 3, 4, 5, 6, 7, 8);
    }
}
