package io.bluefog.collectives;

import io.bluefog.collectives.testing.CollectivesContract;
import io.bluefog.testing.LocalContractTests;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/** The collectives contract on in-JVM clusters of every size 1..16. */
class CollectivesContractTest {
    @TestFactory
    Stream<DynamicNode> contract() {
        return LocalContractTests.forSizes(new CollectivesContract(), IntStream.rangeClosed(1, 16).toArray());
    }
}
