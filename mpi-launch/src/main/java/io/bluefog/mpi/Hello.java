package io.bluefog.mpi;

import io.bluefog.BlueFog;
import io.bluefog.device.Device;
import io.bluefog.device.DeviceException;
import io.bluefog.device.Devices;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;

/**
 * Smoke test of an MPI installation ({@code mpi-launch/bfrun -np 4 hello}): every rank prints one
 * line with its rank, size, local rank, machine, host, transport and device ({@code BLUEFOG_DEVICE},
 * placed by {@link Devices#select}: {@code cpu} or {@code cuda:<i>}), and the allreduce-sum of x_r = r, checked
 * against the closed form n(n&minus;1)/2. Exits with status 1 if the check fails on any rank (all
 * ranks agree on the verdict because they hold the same reduced value). With {@code BLUEFOG_DEVICE=cuda}
 * on a machine without a usable GPU, each rank prints {@code hello: <reason>} and exits with status 1
 * before any collective.
 */
public final class Hello {
    private Hello() {
    }

    public static void main(String[] args) {
        boolean ok;
        try (BlueFog bf = BlueFog.init(args)) {
            int n = bf.size();
            Device device;
            try {
                device = Devices.select(bf.config().device(), bf.localRank());
            } catch (DeviceException e) {
                System.err.println("hello: rank " + bf.rank() + ": " + e.getMessage());
                System.err.flush();
                System.exit(1);
                return;
            }
            DoubleBuffer x = ByteBuffer.allocateDirect(Double.BYTES).order(ByteOrder.nativeOrder()).asDoubleBuffer();
            x.put(0, bf.rank());
            bf.communicator().allreduce(x, io.bluefog.comm.ReduceOp.SUM);
            double expected = n * (n - 1) / 2.0;
            ok = x.get(0) == expected; // sums of small integers are exact in float64
            String line = String.format("hello from rank %d of %d (local rank %d of %d, machine %d of %d) on %s via %s, device %s:"
                            + " allreduce sum of ranks = %.0f, expected %.0f: %s%n",
                    bf.rank(), n, bf.localRank(), bf.localSize(), bf.machineRank(), bf.machineSize(),
                    bf.communicator().hostname(), bf.communicator().transportName(), device + visible(device), x.get(0),
                    expected,
                    ok ? "OK" : "WRONG");
            // One write per line: mpirun forwards each rank's output as it comes, and printf's
            // pieces from different ranks would interleave.
            System.out.print(line);
            System.out.flush();
        }
        if (!ok) {
            System.exit(1);
        }
    }

    /** @return " (CUDA_VISIBLE_DEVICES=g)" for a GPU rank that bfrun bound to GPU g (mpi-launch/rank-device), else "" */
    private static String visible(Device device) {
        String v = System.getenv("CUDA_VISIBLE_DEVICES");
        return device.isCuda() && v != null && !v.isEmpty() ? " (CUDA_VISIBLE_DEVICES=" + v + ")" : "";
    }
}
