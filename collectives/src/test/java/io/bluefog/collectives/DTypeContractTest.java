package io.bluefog.collectives;

import io.bluefog.collectives.testing.DTypeContract;
import io.bluefog.testing.LocalContractTests;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/** The int32/int64/float16 contract on in-JVM clusters of sizes 1..5, 7, 8 and 16. */
class DTypeContractTest {
    @TestFactory
    Stream<DynamicNode> contract() {
        return LocalContractTests.forSizes(new DTypeContract(), 1, 2, 3, 4, 5, 7, 8, 16);
    }
}
