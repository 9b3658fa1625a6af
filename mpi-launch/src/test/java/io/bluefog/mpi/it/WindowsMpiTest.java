package io.bluefog.mpi.it;

import io.bluefog.collectives.testing.WindowContract;
import io.bluefog.mpi.MpiRun;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The {@link WindowContract} (BlueFog's window semantics as closed forms; the same suite
 * {@code WindowContractTest} runs on LocalCluster) on the MPI transport: one JVM per rank under
 * mpirun, the window service of each rank moving puts, gets and accumulates as two-sided messages.
 */
@Tag("mpi")
class WindowsMpiTest {
    @ParameterizedTest(name = "np = {0}")
    @ValueSource(ints = {2, 4})
    void contractHoldsUnderMpirun(int np) {
        MpiRun.assertSuitePassed(np, WindowContract.class.getName(), new WindowContract().checks().keySet());
    }
}
