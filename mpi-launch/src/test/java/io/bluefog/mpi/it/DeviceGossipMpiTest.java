package io.bluefog.mpi.it;

import io.bluefog.device.DeviceGossipContract;
import io.bluefog.mpi.MpiRun;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The {@link DeviceGossipContract} (device-path neighborAllreduce and allreduce through host staging
 * in chunks, CPU backend, serial reference; {@code DeviceGossipTest} runs it on LocalCluster) under
 * mpirun, one JVM per rank.
 */
@Tag("mpi")
class DeviceGossipMpiTest {
    @ParameterizedTest(name = "np = {0}")
    @ValueSource(ints = {2, 4})
    void contractHoldsUnderMpirun(int np) {
        MpiRun.assertSuitePassed(np, DeviceGossipContract.class.getName(), new DeviceGossipContract().checks().keySet());
    }
}
