package io.bluefog.mpi.it;

import io.bluefog.collectives.testing.MixingContract;
import io.bluefog.mpi.MpiRun;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The {@link MixingContract} (topology weighting, stored machine topology, dynamic check on by
 * default, in-place forms, weighted pair gossip, machine-local allreduce, inferred sources and
 * destinations; the same suite {@code MixingContractTest} runs on LocalCluster) on the MPI
 * transport: one JVM per rank under mpirun, all on this host's one machine.
 */
@Tag("mpi")
class MixingMpiTest {
    @ParameterizedTest(name = "np = {0}")
    @ValueSource(ints = {2, 4})
    void contractHoldsUnderMpirun(int np) {
        MpiRun.assertSuitePassed(np, MixingContract.class.getName(), new MixingContract().checks().keySet());
    }
}
