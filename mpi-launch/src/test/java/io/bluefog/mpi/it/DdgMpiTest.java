package io.bluefog.mpi.it;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The DDG contract suite ({@code io.bluefog.examples.ddg.DdgContractSuite}: DDG's and features
 * replay's weights equal their serial runs, Algorithms 9–11 of the thesis) under
 * {@code mpirun -np 3}: three modules, one JVM each. The ranks run with the examples module's classes ({@link ExamplesSuiteUnderMpirun}).
 */
@Tag("mpi")
class DdgMpiTest {
    private static final String SUITE = "io.bluefog.examples.ddg.DdgContractSuite";
    private static final List<String> CHECKS = List.of("ddgEqualsTheSerialDelayedGradient",
            "featuresReplayEqualsTheSerialReplay");
    /** Three ND4J JVMs on a shared 2-core machine: generous. */
    private static final Duration TIMEOUT = Duration.ofMinutes(5);
    private static final int NP = 3;

    @Test
    void ddgSuitePassesUnderMpirunWithThreeModules() throws Exception {
        ExamplesSuiteUnderMpirun.assertPasses(SUITE, NP, CHECKS, ExamplesSuiteUnderMpirun.examplesClasspath(), TIMEOUT);
    }
}
