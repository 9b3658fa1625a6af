package io.bluefog.mpi.it;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The pipeline contract suite ({@code io.bluefog.examples.pipeline.PipelineContractSuite}: GPipe's
 * input gradients equal the serial chain rule, PPRS's iterates its serial run, a DL4J MLP's stage
 * gradients the single-process gradient) under {@code mpirun -np 3}: three stages, one JVM each.
 * The ranks run with the examples module's classes ({@link ExamplesSuiteUnderMpirun}).
 */
@Tag("mpi")
class PipelineMpiTest {
    private static final String SUITE = "io.bluefog.examples.pipeline.PipelineContractSuite";
    private static final List<String> CHECKS = List.of("gpipeInputGradientsEqualTheSerialChainRule",
            "pprsIteratesEqualTheSerialRun", "mlpStageGradientsEqualTheSingleProcessGradient");
    /** Three ND4J JVMs on a shared 2-core machine: generous. */
    private static final Duration TIMEOUT = Duration.ofMinutes(5);
    private static final int NP = 3;

    @Test
    void pipelineSuitePassesUnderMpirunWithThreeStages() throws Exception {
        ExamplesSuiteUnderMpirun.assertPasses(SUITE, NP, CHECKS, ExamplesSuiteUnderMpirun.examplesClasspath(), TIMEOUT);
    }
}
