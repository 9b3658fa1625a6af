package io.bluefog.mpi.it;

import io.bluefog.mpi.MpiRun;
import io.bluefog.testing.CommunicatorContract;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The {@link CommunicatorContract} suite (every Communicator primitive, closed-form expected values)
 * on the MPI transport: one JVM per rank under mpirun, np = 2 and 4.
 */
@Tag("mpi")
class CommunicatorMpiTest {
    @ParameterizedTest(name = "np = {0}")
    @ValueSource(ints = {2, 4})
    void contractHoldsUnderMpirun(int np) {
        MpiRun.assertSuitePassed(np, CommunicatorContract.class.getName(), new CommunicatorContract().checks().keySet());
    }
}
