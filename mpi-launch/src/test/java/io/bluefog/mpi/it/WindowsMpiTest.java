package io.bluefog.mpi.it;

import io.bluefog.collectives.testing.WindowContract;
import io.bluefog.config.BlueFogConfig;
import io.bluefog.mpi.MpiRun;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The {@link WindowContract} (BlueFog's window semantics as closed forms; the same suite
 * {@code WindowContractTest} runs on LocalCluster) on the MPI transport: one JVM per rank under
 * mpirun, the window service of each rank serving puts, gets and accumulates, on both payload paths:
 * shared-memory slots between the ranks of this host ({@code BLUEFOG_WINDOW_SHM=true}, the default)
 * and two-sided messages ({@code false}).
 */
@Tag("mpi")
class WindowsMpiTest {
    @ParameterizedTest(name = "np = {0}, " + BlueFogConfig.WINDOW_SHM + " = {1}")
    @CsvSource({"2, true", "4, true", "2, false", "4, false"})
    void contractHoldsUnderMpirun(int np, boolean sharedMemory) {
        MpiRun.assertSuitePassed(np, List.of("-D" + BlueFogConfig.WINDOW_SHM + "=" + sharedMemory),
                WindowContract.class.getName(), new WindowContract().checks().keySet());
    }
}
