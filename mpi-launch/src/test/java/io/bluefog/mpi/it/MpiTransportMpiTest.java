package io.bluefog.mpi.it;

import io.bluefog.mpi.MpiRun;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link MpiTransportContract} (MPI-only guarantees) under mpirun, np = 2 and 4. */
@Tag("mpi")
class MpiTransportMpiTest {
    @ParameterizedTest(name = "np = {0}")
    @ValueSource(ints = {2, 4})
    void mpiTransportContractHolds(int np) {
        MpiRun.assertSuitePassed(np, MpiTransportContract.class.getName(), new MpiTransportContract().checks().keySet());
    }
}
