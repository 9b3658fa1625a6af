package io.bluefog.mpi.it;

import io.bluefog.mpi.MpiRun;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link MpiStressContract} (random point-to-point traffic, concurrent threads) under mpirun, np = 2 and 4. */
@Tag("mpi")
class MpiStressMpiTest {
    @ParameterizedTest(name = "np = {0}")
    @ValueSource(ints = {2, 4})
    void pointToPointStressHolds(int np) {
        MpiRun.assertSuitePassed(np, MpiStressContract.Suite.class.getName(),
                new MpiStressContract.Suite().checks().keySet());
    }
}
