package io.bluefog.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.bluefog.comm.DType;
import io.bluefog.local.LocalCluster;
import io.bluefog.testing.DirectBuffers;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class DevicesTest {
    /** float32 axpby of small integers and halves is exact. */
    private static final float EXACT = 0f;

    @Test
    void placementIsLocalRankModuloDeviceCount() {
        assertEquals(Device.CPU, Devices.forLocalRank(5, 0));
        assertEquals(Device.cuda(0), Devices.forLocalRank(0, 2));
        assertEquals(Device.cuda(1), Devices.forLocalRank(3, 2));
        assertEquals(Device.cuda(2), Devices.forLocalRank(6, 4));
        assertThrows(IllegalArgumentException.class, () -> Devices.forLocalRank(-1, 2));
        assertThrows(IllegalArgumentException.class, () -> Devices.forLocalRank(0, -1));
    }

    @Test
    void selectionUnderEachChoiceIsAPureFunctionOfLocalRankAndCount() {
        assertEquals(Device.CPU, Devices.select(DeviceChoice.CPU, 3, 4), "cpu even with GPUs");
        assertEquals(Device.CPU, Devices.select(DeviceChoice.CPU, 3, 0));
        assertEquals(Device.cuda(3), Devices.select(DeviceChoice.AUTO, 3, 4));
        assertEquals(Device.cuda(1), Devices.select(DeviceChoice.AUTO, 5, 2), "more ranks than GPUs wrap");
        assertEquals(Device.CPU, Devices.select(DeviceChoice.AUTO, 5, 0), "auto without a GPU is the CPU");
        assertEquals(Device.cuda(0), Devices.select(DeviceChoice.CUDA, 8, 8));
        DeviceException e = assertThrows(DeviceException.class, () -> Devices.select(DeviceChoice.CUDA, 0, 0));
        assertTrue(e.getMessage().contains("device cuda was asked for") && e.getMessage().contains("no CUDA GPU"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Devices.select(DeviceChoice.AUTO, -1, 2));
        assertThrows(NullPointerException.class, () -> Devices.select(null, 0, 2));
    }

    @Test
    void onThisMachineCpuAndAutoWorkAndCudaFailsClearlyWithoutAGpu() {
        assertEquals(Device.CPU, Devices.select(DeviceChoice.CPU, 1));
        int count = Devices.cudaDeviceCount();
        assertEquals(count == 0 ? Device.CPU : Device.cuda(1 % count), Devices.select(DeviceChoice.AUTO, 1));
        if (count == 0) {
            DeviceException e = assertThrows(DeviceException.class, () -> Devices.select(DeviceChoice.CUDA, 0));
            assertTrue(e.getMessage().contains(Devices.unavailableReason()), e.getMessage());
            assertTrue(!Devices.unavailableReason().isEmpty() && !Devices.unavailableReason().equals("not probed"),
                    "the probe says why: " + Devices.unavailableReason());
        } else {
            assertEquals(Device.cuda(0), Devices.select(DeviceChoice.CUDA, 0));
        }
    }

    @Test
    void deviceChoiceParsing() {
        assertEquals(DeviceChoice.AUTO, DeviceChoice.parse("x", "auto"));
        assertEquals(DeviceChoice.CPU, DeviceChoice.parse("x", " CPU "));
        assertEquals(DeviceChoice.CUDA, DeviceChoice.parse("x", "Cuda"));
        io.bluefog.ConfigurationException e = assertThrows(io.bluefog.ConfigurationException.class,
                () -> DeviceChoice.parse("BLUEFOG_DEVICE", "gpu"));
        assertEquals("BLUEFOG_DEVICE='gpu' must be auto, cpu or cuda", e.getMessage());
        assertEquals("cuda", DeviceChoice.CUDA.toString());
    }

    @Test
    void probingNeverCrashesAndAgreesWithPlacement() {
        int count = Devices.cudaDeviceCount();
        assertTrue(count >= 0);
        assertEquals(count, Devices.cudaDeviceCount(), "probed once, cached");
        Device d = Devices.forLocalRank(1);
        assertEquals(count == 0 ? Device.CPU : Device.cuda(1 % count), d);
        List<Device> perRank = LocalCluster.builder(4).ranksPerMachine(2).build().call(Devices::forRank);
        assertEquals(Devices.forLocalRank(0), perRank.get(2), "rank 2 is local rank 0 of machine 1");
    }

    @Test
    void deviceValues() {
        assertEquals("cpu", Device.CPU.toString());
        assertEquals("cuda:3", Device.cuda(3).toString());
        assertEquals(Device.cuda(1), Device.cuda(1));
        assertNotEquals(Device.cuda(1), Device.cuda(2));
        assertNotEquals(Device.CPU, Device.cuda(0));
        assertThrows(IllegalArgumentException.class, () -> Device.cuda(-1));
    }

    @Test
    void cudaVectorNeedsACudaDevice() {
        FloatBuffer x = DirectBuffers.floats(3);
        assertThrows(IllegalArgumentException.class, () -> CudaVector.upload(Device.CPU, x));
        assertThrows(IllegalArgumentException.class, () -> CudaVector.upload(Device.cuda(0), FloatBuffer.allocate(3)));
    }

    @Test
    void withoutCudaVectorsFailWithDeviceException() {
        assumeTrue(Devices.cudaDeviceCount() == 0, "this machine has a CUDA device");
        DeviceException e = assertThrows(DeviceException.class,
                () -> CudaVector.upload(Device.cuda(0), DirectBuffers.floats(3)));
        assertTrue(e.getMessage().contains("cuda:0 is not available"), e.getMessage());
    }

    @Test
    void axpbyOnTheGpuMatchesTheClosedForm() {
        assumeTrue(Devices.cudaAvailable(), "no CUDA device on this machine");
        Device gpu = Devices.forLocalRank(0);
        int n = 1000;
        float[] xs = new float[n];
        float[] ys = new float[n];
        float[] expected = new float[n];
        for (int i = 0; i < n; i++) {
            xs[i] = i;
            ys[i] = 2 * i + 1;
            expected[i] = 0.5f * xs[i] + 2f * ys[i];
        }
        try (CudaVector x = CudaVector.upload(gpu, DirectBuffers.floatsOf(xs));
             CudaVector y = CudaVector.upload(gpu, DirectBuffers.floatsOf(ys))) {
            y.axpby(0.5, x, 2.0);
            FloatBuffer out = DirectBuffers.floats(n);
            y.copyTo(out);
            assertArrayEquals(expected, DirectBuffers.toArray(out), EXACT);
        }
        try (CudaVector d = CudaVector.upload(gpu, DirectBuffers.doublesOf(1, 2, 3))) {
            d.axpby(1.0, d, 1.0); // y = y + y
            DoubleBuffer out = DirectBuffers.doubles(3);
            d.copyTo(out);
            assertArrayEquals(new double[] {2, 4, 6}, DirectBuffers.toArray(out), 0.0);
            assertThrows(IllegalArgumentException.class, () -> d.copyTo(DirectBuffers.floats(3)));
            try (CudaVector longer = CudaVector.allocate(gpu, DType.FLOAT64, 4)) {
                assertThrows(IllegalArgumentException.class, () -> d.axpby(1, longer, 1));
            }
        }
    }
}
