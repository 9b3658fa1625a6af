package io.bluefog.collectives;

import io.bluefog.collectives.testing.ResponseCacheContract;
import io.bluefog.testing.LocalContractTests;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/** The response cache's contract on in-JVM clusters of 1 (no cache round), 2, 3 and 4 ranks. */
class ResponseCacheContractTest {
    @TestFactory
    Stream<DynamicNode> contract() {
        return LocalContractTests.forSizes(new ResponseCacheContract(), new int[] {1, 2, 3, 4});
    }
}
