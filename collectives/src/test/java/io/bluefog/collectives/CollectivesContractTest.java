package io.bluefog.collectives;

import io.bluefog.collectives.testing.CollectivesContract;
import io.bluefog.testing.LocalContractTests;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/**
 * The collectives contract on in-JVM clusters of the sizes that matter: 1 (no peers), 2 and 3
 * (smallest exchanges, a ring with distinct in- and out-neighbor), 4 and 8 (powers of 2: the
 * exponential graph's offsets cover the ring), 5 and 7 (odd, non-powers where offsets wrap
 * unevenly) and 16 (the largest world, with 4 exponential neighbors).
 */
class CollectivesContractTest {
    static final int[] SIZES = {1, 2, 3, 4, 5, 7, 8, 16};

    @TestFactory
    Stream<DynamicNode> contract() {
        return LocalContractTests.forSizes(new CollectivesContract(), SIZES);
    }
}
