package io.bluefog.local;

import io.bluefog.testing.CommunicatorContract;
import io.bluefog.testing.RankCheck;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The Communicator contract on the in-JVM transport, for world sizes 1, 2, 3, 4 and 8. */
class LocalClusterContractTest {
    private static final Map<String, RankCheck> CHECKS = new CommunicatorContract().checks();

    static Stream<Arguments> sizesAndChecks() {
        return IntStream.of(1, 2, 3, 4, 8).boxed()
                .flatMap(n -> CHECKS.keySet().stream().map(name -> Arguments.of(n, name)));
    }

    @ParameterizedTest(name = "n = {0}: {1}")
    @MethodSource("sizesAndChecks")
    void contract(int n, String check) {
        LocalCluster.run(n, CHECKS.get(check)::run);
    }
}
