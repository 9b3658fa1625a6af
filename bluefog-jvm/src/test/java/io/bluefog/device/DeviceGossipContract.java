package io.bluefog.device;

import io.bluefog.BlueFog;
import io.bluefog.comm.Communicator;
import io.bluefog.comm.DType;
import io.bluefog.testing.ContractSuite;
import io.bluefog.testing.RankCheck;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@link DeviceGossip} on {@link CpuBackend} over any transport (LocalCluster threads in
 * {@code DeviceGossipTest}, one process per rank under mpirun in {@code DeviceGossipMpiTest}): each
 * rank checks its own result of a ring neighborAllreduce (explicit weights) and an allreduce
 * average, float32 and float64, 1000 elements in chunks of 7, against the serial reference written
 * out from the seeded per-rank values.
 */
public final class DeviceGossipContract implements ContractSuite {
    @Override
    public Map<String, RankCheck> checks() {
        Map<String, RankCheck> m = new LinkedHashMap<>();
        m.put("deviceNeighborAllreduceRing", bf -> check(bf, false));
        m.put("deviceAllreduceAverage", bf -> check(bf, true));
        return m;
    }

    private static void check(BlueFog bf, boolean allreduce) {
        Communicator comm = bf.communicator();
        int r = comm.rank();
        int size = comm.size();
        int n = 1000;
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            try (CpuBackend be = new CpuBackend()) {
                double[] mine = new double[n];
                for (int j = 0; j < n; j++) {
                    mine[j] = DeviceGossipTest.value(r, j, dt);
                }
                DeviceBuffer x = DeviceBackendTest.upload(be, dt, mine);
                DeviceBuffer out = be.allocate(dt, n);
                int[] nb = DeviceGossipTest.ring(r, size);
                double[] w = new double[nb.length];
                for (int k = 0; k < nb.length; k++) {
                    w[k] = 0.25 + 0.125 * k;
                }
                if (allreduce) {
                    DeviceGossip.allreduce(comm, be, x, out, true, 7, 5);
                } else {
                    DeviceGossip.neighborAllreduce(comm, be, x, out, 0.375, nb, w, nb, 7, 5);
                }
                double[] got = DeviceBackendTest.download(be, out);
                for (int j = 0; j < n; j++) {
                    double acc;
                    if (allreduce) {
                        acc = DeviceGossipTest.value(0, j, dt);
                        for (int q = 1; q < size; q++) {
                            acc += DeviceGossipTest.value(q, j, dt);
                        }
                        acc /= size;
                    } else {
                        acc = 0.375 * mine[j];
                        for (int k = 0; k < nb.length; k++) {
                            acc += w[k] * DeviceGossipTest.value(nb[k], j, dt);
                        }
                    }
                    double expect = dt == DType.FLOAT32 ? (float) acc : acc;
                    if (Double.doubleToRawLongBits(expect) != Double.doubleToRawLongBits(got[j])) {
                        throw new AssertionError("rank " + r + " " + dt + " element " + j + ": expected " + expect
                                + " but got " + got[j]);
                    }
                }
            }
        }
    }
}
