package io.bluefog.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.bluefog.comm.Communicator;
import io.bluefog.comm.DType;
import io.bluefog.local.LocalCluster;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import io.bluefog.testing.LocalContractTests;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * {@link DeviceGossip} among 2 and 4 LocalCluster ranks on {@link CpuBackend} (and on the GPU when
 * one is present) against a serial reference: rank r's tensor is a seeded function of r, the ring
 * neighborAllreduce with explicit and uniform weights, and allreduce sum and average, over lengths
 * and chunk sizes that give one, several and ragged pipeline chunks.
 */
class DeviceGossipTest {
    private static final int[] LENGTHS = {0, 1, 37, 1000};
    private static final int[] CHUNKS = {1, 7, 1 << 20};

    static double value(int rank, int j, DType dt) {
        double v = new Random(1000L * rank + j).nextGaussian();
        return dt == DType.FLOAT32 ? (float) v : v;
    }

    @Test
    void neighborAllreduceAndAllreduceMatchSerialReferenceOnCpu() {
        for (int size : new int[] {2, 4}) {
            for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                for (int n : LENGTHS) {
                    for (int chunk : CHUNKS) {
                        check(size, dt, n, chunk, false);
                    }
                }
            }
        }
    }

    @TestFactory
    Stream<DynamicNode> contractOnLocalCluster() {
        return LocalContractTests.forSizes(new DeviceGossipContract(), 2, 3, 4);
    }

    @Test
    void onGpuMatchesSerialReference() {
        Assumptions.assumeTrue(Devices.cudaAvailable(),
                "no CUDA device on this machine (JCuda probe found none); mpi-launch/gpu-check runs this on a GPU");
        for (int size : new int[] {2, 4}) {
            for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                check(size, dt, 1000, 7, true);
            }
        }
    }

    /** Ring: rank r receives from r-1 and r+1 (ascending, distinct), sends to the same two. */
    static int[] ring(int rank, int size) {
        int a = (rank + size - 1) % size;
        int b = (rank + 1) % size;
        return a == b ? new int[] {a} : new int[] {Math.min(a, b), Math.max(a, b)};
    }

    private static void check(int size, DType dt, int n, int chunk, boolean gpu) {
        String what = size + " ranks " + dt + " n " + n + " chunk " + chunk;
        List<double[][]> results = LocalCluster.call(size, bf -> {
            Communicator comm = bf.communicator();
            int r = comm.rank();
            try (DeviceBackend be = gpu ? CudaBackend.open(0) : new CpuBackend()) {
                double[] mine = new double[n];
                for (int j = 0; j < n; j++) {
                    mine[j] = value(r, j, dt);
                }
                DeviceBuffer x = DeviceBackendTest.upload(be, dt, mine);
                DeviceBuffer out = be.allocate(dt, n);
                int[] nb = ring(r, size);
                double[] w = new double[nb.length];
                for (int k = 0; k < nb.length; k++) {
                    w[k] = 0.25 + 0.125 * k;
                }
                DeviceGossip.neighborAllreduce(comm, be, x, out, 0.375, nb, w, nb, chunk, 3);
                double[] weighted = DeviceBackendTest.download(be, out);
                double u = 1.0 / (nb.length + 1);
                double[] uw = new double[nb.length];
                java.util.Arrays.fill(uw, u);
                DeviceGossip.neighborAllreduce(comm, be, x, out, u, nb, uw, nb, chunk, 3);
                double[] uniform = DeviceBackendTest.download(be, out);
                DeviceGossip.allreduce(comm, be, x, out, false, chunk, 4);
                double[] sum = DeviceBackendTest.download(be, out);
                DeviceGossip.allreduce(comm, be, x, x, true, chunk, 4); // in place
                double[] avg = DeviceBackendTest.download(be, x);
                return new double[][] {weighted, uniform, sum, avg};
            }
        });
        for (int r = 0; r < size; r++) {
            int[] nb = ring(r, size);
            double[][] got = results.get(r);
            for (int j = 0; j < n; j++) {
                double acc = 0.375 * value(r, j, dt);
                double uacc = value(r, j, dt);
                for (int k = 0; k < nb.length; k++) {
                    acc += (0.25 + 0.125 * k) * value(nb[k], j, dt);
                    uacc += value(nb[k], j, dt);
                }
                uacc /= nb.length + 1;
                double s = 0;
                for (int q = 0; q < size; q++) {
                    s = q == 0 ? value(0, j, dt) : s + value(q, j, dt);
                }
                double a = s / size;
                assertEquals(round(acc, dt), got[0][j], 0.0, what + " weighted rank " + r + " element " + j);
                assertEquals(round(uacc, dt), got[1][j], 0.0, what + " uniform rank " + r + " element " + j);
                assertEquals(round(s, dt), got[2][j], 0.0, what + " sum rank " + r + " element " + j);
                assertEquals(round(a, dt), got[3][j], 0.0, what + " average rank " + r + " element " + j);
            }
        }
    }

    private static double round(double v, DType dt) {
        return dt == DType.FLOAT32 ? (float) v : v;
    }

    @Test
    void badArgumentsAreRejectedBeforeAnythingIsSent() {
        LocalCluster.run(3, bf -> {
            Communicator comm = bf.communicator();
            try (CpuBackend be = new CpuBackend()) {
                DeviceBuffer x = be.allocate(DType.FLOAT32, 4);
                DeviceBuffer y = be.allocate(DType.FLOAT32, 5);
                int r = comm.rank();
                int a = (r + 1) % 3;
                int b = (r + 2) % 3;
                double[] w2 = {0.25, 0.25};
                assertThrows(IllegalArgumentException.class, () -> DeviceGossip.neighborAllreduce(comm, be, x, x, 0.5,
                        new int[] {Math.max(a, b), Math.min(a, b)}, w2, new int[] {a}, 4, 0), "descending sources");
                assertThrows(IllegalArgumentException.class, () -> DeviceGossip.neighborAllreduce(comm, be, x, x, 0.5,
                        new int[] {r}, new double[] {0.5}, new int[0], 4, 0), "self as source");
                assertThrows(IllegalArgumentException.class, () -> DeviceGossip.neighborAllreduce(comm, be, x, x, 0.5,
                        new int[] {a}, w2, new int[0], 4, 0), "weight count");
                assertThrows(IllegalArgumentException.class, () -> DeviceGossip.allreduce(comm, be, x, y, true, 4, 0),
                        "length mismatch");
                assertThrows(IllegalArgumentException.class, () -> DeviceGossip.allreduce(comm, be, x, x, true, 0, 0),
                        "chunk 0");
            }
        });
    }
}
