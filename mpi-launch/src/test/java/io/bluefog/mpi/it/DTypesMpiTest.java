package io.bluefog.mpi.it;

import io.bluefog.collectives.testing.DTypeContract;
import io.bluefog.mpi.MpiRun;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The {@link DTypeContract} (int32, int64 and float16 through allreduce, broadcast, allgather and
 * neighborAllreduce, closed forms; {@code DTypeContractTest} runs it on LocalCluster) on the MPI
 * transport, where int32/int64 travel as MPI_INT/MPI_LONG and float16 as MPI_SHORT bit patterns,
 * reduced as float32: one JVM per rank under mpirun.
 */
@Tag("mpi")
class DTypesMpiTest {
    @ParameterizedTest(name = "np = {0}")
    @ValueSource(ints = {2, 4})
    void contractHoldsUnderMpirun(int np) {
        MpiRun.assertSuitePassed(np, DTypeContract.class.getName(), new DTypeContract().checks().keySet());
    }
}
