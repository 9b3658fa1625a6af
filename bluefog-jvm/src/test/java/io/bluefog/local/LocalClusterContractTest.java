package io.bluefog.local;

import io.bluefog.testing.CommunicatorContract;
import io.bluefog.testing.RankCheck;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
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

    /** The layout and a collective on simulated multi-machine worlds (uneven last machine included). */
    @ParameterizedTest(name = "n = {0}, {1} ranks per machine")
    @CsvSource({"8, 3", "4, 1", "6, 2"})
    void contractOnSimulatedMachines(int n, int ranksPerMachine) {
        LocalCluster cluster = LocalCluster.builder(n).ranksPerMachine(ranksPerMachine).build();
        cluster.run(CHECKS.get("worldLayout")::run);
        cluster.run(CHECKS.get("allToAllWithTags")::run);
    }
}
