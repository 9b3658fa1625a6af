package io.bluefog.mpi.it;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The AsySVRG contract suite ({@code io.bluefog.examples.asysvrg.AsySvrgContractSuite}: SVRG reaches
 * the serial optimum of strongly convex logistic regression to relative error 1e-6, constant-step
 * SGD stays at its variance floor, applied updates respect the staleness bound) under
 * {@code mpirun -np 3}: a server and two workers, one JVM each, windows over the MPI transport.
 */
@Tag("mpi")
class AsySvrgMpiTest {
    private static final String SUITE = "io.bluefog.examples.asysvrg.AsySvrgContractSuite";
    private static final List<String> CHECKS = List.of("svrgConvergesLinearlyToTheSerialOptimum",
            "constantStepSgdStaysAtItsVarianceFloor", "appliedUpdatesRespectTheStalenessBound");
    /** Three ND4J JVMs on a shared 2-core machine: generous. */
    private static final Duration TIMEOUT = Duration.ofMinutes(6);
    private static final int NP = 3;

    @Test
    void asySvrgSuitePassesUnderMpirunWithTwoWorkers() throws Exception {
        ExamplesSuiteUnderMpirun.assertPasses(SUITE, NP, CHECKS, ExamplesSuiteUnderMpirun.examplesClasspath(), TIMEOUT);
    }
}
