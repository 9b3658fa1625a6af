package io.bluefog.mpi.it;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code io.bluefog.examples.reliability.CallMatchingContractSuite} under {@code mpirun -np 3}: a
 * rank that skips one of an optimizer step's identical neighborAllreduce calls fails every rank in
 * that step with a mismatch naming both ranks' calls. The ranks run with the examples module's
 * classes ({@link ExamplesSuiteUnderMpirun}).
 */
@Tag("mpi")
class CallMatchingMpiTest {
    private static final String SUITE = "io.bluefog.examples.reliability.CallMatchingContractSuite";
    /** Three ND4J JVMs on a shared 2-core machine: a hang guard. */
    private static final Duration TIMEOUT = Duration.ofMinutes(5);

    @Test
    void aSkippedOptimizerCallFailsInThatStepUnderMpirun() throws Exception {
        ExamplesSuiteUnderMpirun.assertPasses(SUITE, 3, List.of("aSkippedOptimizerCallFailsInThatStepNamingBothRanksCalls"),
                ExamplesSuiteUnderMpirun.examplesClasspath(), TIMEOUT);
    }
}
