package io.bluefog.device;

import io.bluefog.comm.Communicator;
import io.bluefog.comm.DType;
import io.bluefog.comm.Request;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * neighborAllreduce and allreduce of {@link DeviceBuffer}s, without ND4J, staged through host
 * buffers in pipeline chunks over any {@link Communicator} (LocalCluster's in-JVM transport or MPI).
 * For chunk c of {@code chunkElements} elements: the device-to-host copy of chunk c+1 (out lane)
 * runs while chunk c is exchanged, and the host-to-device copies and the combine of chunk c (in lane)
 * run while chunk c+1 is exchanged; two sets of staging buffers alternate. The combine runs on the
 * device ({@link DeviceBackend#combine}: float64 accumulation, self term first then the sources
 * ascending by rank, uniform weights as sum / m), so a {@link CudaBackend} and a {@link CpuBackend}
 * give the same bits. Received data lands in one device buffer per source of the tensor's full size
 * (device memory); the host holds only the staging chunks, never the whole tensor. These buffers
 * are kept by the backend for the next call of the same shape (dtype, length, sources, chunk).
 *
 * <p>Semantics are BlueFog's {@code neighbor_allreduce} (explicit self weight, source weights and
 * destinations) and {@code allreduce} (sum, or average = sum / size). Every rank named as a source
 * or destination must call the same operation with the same length, dtype, chunk size and tag; each
 * wait is bounded by the transport's timeout. CUDA-aware MPI is not used: data always goes through
 * host staging. allreduce sends each chunk to every other rank (size - 1 messages per rank, not a
 * ring) so that every rank sums the same values in the same order (rank 0 first).
 */
public final class DeviceGossip {
    /** Default pipeline chunk: 1 Mi elements (4 MiB of float32). */
    public static final int DEFAULT_CHUNK_ELEMENTS = 1 << 20;

    private DeviceGossip() {
    }

    /**
     * {@code out = selfWeight * x + sum_k weights[k] * x_{sources[k]}}, with x_r rank r's {@code x}.
     *
     * @param comm          this rank's communicator
     * @param backend       the backend that owns x and out
     * @param x             this rank's tensor, float32 or float64; sent to {@code destinations}
     * @param out           result, x's dtype and length; may be x
     * @param selfWeight    finite
     * @param sources       in-neighbors, strictly ascending, each in [0, size) and not this rank
     * @param weights       one finite weight per source
     * @param destinations  out-neighbors, distinct, each in [0, size) and not this rank
     * @param chunkElements pipeline chunk, &ge; 1
     * @param tag           message tag, 0 &le; tag &le; comm.maxTag()
     * @throws IllegalArgumentException on any bad argument, before anything is sent
     * @throws io.bluefog.BlueFogTimeoutException if a peer does not take part within the transport's timeout
     */
    public static void neighborAllreduce(Communicator comm, DeviceBackend backend, DeviceBuffer x, DeviceBuffer out,
            double selfWeight, int[] sources, double[] weights, int[] destinations, int chunkElements, int tag) {
        check(comm, backend, x, out, chunkElements, tag);
        int rank = comm.rank();
        checkRanks(comm, sources, "sources", true);
        checkRanks(comm, destinations, "destinations", false);
        if (weights == null || weights.length != sources.length) {
            throw new IllegalArgumentException("weights must have one entry per source (" + sources.length + "), got "
                    + (weights == null ? "null" : weights.length));
        }
        double[] w = new double[sources.length + 1];
        w[0] = selfWeight;
        System.arraycopy(weights, 0, w, 1, weights.length);
        double divisor = 0;
        if (uniform(selfWeight, weights)) {
            Arrays.fill(w, 1.0);
            divisor = sources.length + 1;
        }
        int[] order = new int[sources.length + 1];
        order[0] = rank;
        System.arraycopy(sources, 0, order, 1, sources.length);
        run(comm, backend, x, out, order, w, divisor, sources, destinations, chunkElements, tag);
    }

    /**
     * {@code out = x_0 + x_1 + ... + x_{size-1}} (summed in rank order), divided by size if
     * {@code average}. Every rank must call it.
     *
     * @throws IllegalArgumentException on a bad argument, before anything is sent
     */
    public static void allreduce(Communicator comm, DeviceBackend backend, DeviceBuffer x, DeviceBuffer out,
            boolean average, int chunkElements, int tag) {
        check(comm, backend, x, out, chunkElements, tag);
        int n = comm.size();
        int[] others = new int[n - 1];
        int[] order = new int[n];
        for (int r = 0, i = 0; r < n; r++) {
            order[r] = r;
            if (r != comm.rank()) {
                others[i++] = r;
            }
        }
        double[] w = new double[n];
        Arrays.fill(w, 1.0);
        run(comm, backend, x, out, order, w, average ? n : 0, others, others, chunkElements, tag);
    }

    /**
     * BlueFog's uniform weights, combined as sum / m (the collectives engine's rule, {@code Combiner.uniform}).
     *
     * @return true if every weight equals {@code self} and {@code self == 1.0 / (weights.length + 1)}
     */
    static boolean uniform(double self, double[] weights) {
        if (self != 1.0 / (weights.length + 1)) {
            return false;
        }
        for (double w : weights) {
            if (w != self) {
                return false;
            }
        }
        return true;
    }

    private static void run(Communicator comm, DeviceBackend be, DeviceBuffer x, DeviceBuffer out, int[] order,
            double[] w, double divisor, int[] recvFrom, int[] sendTo, int chunk, int tag) {
        int len = x.length();
        int rank = comm.rank();
        int ns = recvFrom.length;
        int c0 = Math.min(chunk, Math.max(1, len));
        List<AutoCloseable> owned = new ArrayList<>();
        try {
            Workspace ws = Workspace.of(be, x.dtype(), len, ns, c0);
            DeviceBuffer[] recv = ws.recv;
            HostStage[][] recvStage = ws.recvStage;
            HostStage[] sendStage = ws.sendStage;
            DeviceBuffer[] srcs = new DeviceBuffer[order.length];
            for (int i = 0; i < order.length; i++) {
                srcs[i] = order[i] == rank ? x : recv[indexOf(recvFrom, order[i])];
            }
            DeviceBackend.CombinePlan plan = be.plan(out, srcs, w, divisor);
            owned.add(plan);
            int chunks = (len + c0 - 1) / c0;
            if (chunks > 0 && sendTo.length > 0) {
                be.toHostAsync(x, 0, Math.min(c0, len), sendStage[0]);
            }
            List<Request> reqs = new ArrayList<>();
            for (int c = 0; c < chunks; c++) {
                int s = c & 1;
                int off = c * c0;
                int n = Math.min(c0, len - off);
                if (sendTo.length > 0) {
                    be.awaitOut();
                    if (c + 1 < chunks) {
                        int off1 = off + n;
                        be.toHostAsync(x, off1, Math.min(c0, len - off1), sendStage[1 - s]);
                    }
                }
                be.awaitIn(s); // the in lane has consumed recvStage[s] (chunk c - 2)
                reqs.clear();
                for (int k = 0; k < ns; k++) {
                    reqs.add(comm.irecv(recvStage[s][k].view(n), recvFrom[k], tag));
                }
                for (int d : sendTo) {
                    reqs.add(comm.isend(sendStage[s].view(n), d, tag));
                }
                Request.waitAll(reqs);
                for (int k = 0; k < ns; k++) {
                    be.toDeviceAsync(recvStage[s][k], n, recv[k], off);
                }
                be.combineAsync(plan, off, n);
                be.recordIn(s);
            }
            be.synchronize();
        } finally {
            be.synchronize();
            for (int i = owned.size() - 1; i >= 0; i--) {
                try {
                    owned.get(i).close();
                } catch (Exception e) {
                    // keep freeing; the operation's own failure (if any) is the one reported
                }
            }
        }
    }

    /**
     * The device receive buffers and staging buffers of one operation shape, kept by the backend
     * between calls ({@link DeviceBackend#workspace}) so that repeated calls of the same shape (one
     * training step after another) allocate nothing; replaced when the shape changes, freed when the
     * backend closes.
     */
    static final class Workspace implements AutoCloseable {
        final DType dtype;
        final int length;
        final int chunk;
        final DeviceBuffer[] recv;
        final HostStage[][] recvStage;
        final HostStage[] sendStage = new HostStage[2];

        private Workspace(DeviceBackend be, DType dtype, int length, int ns, int chunk) {
            this.dtype = dtype;
            this.length = length;
            this.chunk = chunk;
            this.recv = new DeviceBuffer[ns];
            this.recvStage = new HostStage[2][ns];
            try {
                for (int k = 0; k < ns; k++) {
                    recv[k] = be.allocate(dtype, length);
                }
                for (int s = 0; s < 2; s++) {
                    sendStage[s] = be.stage(dtype, chunk);
                    for (int k = 0; k < ns; k++) {
                        recvStage[s][k] = be.stage(dtype, chunk);
                    }
                }
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        static Workspace of(DeviceBackend be, DType dtype, int length, int ns, int chunk) {
            Workspace w = be.workspace;
            if (w != null && w.dtype == dtype && w.length == length && w.recv.length == ns && w.chunk == chunk) {
                return w;
            }
            be.workspace = null;
            if (w != null) {
                w.close();
            }
            w = new Workspace(be, dtype, length, ns, chunk);
            be.workspace = w;
            return w;
        }

        @Override
        public void close() {
            for (DeviceBuffer b : recv) {
                if (b != null) {
                    b.close();
                }
            }
            for (HostStage[] row : recvStage) {
                for (HostStage h : row) {
                    if (h != null) {
                        h.close();
                    }
                }
            }
            for (HostStage h : sendStage) {
                if (h != null) {
                    h.close();
                }
            }
        }
    }

    private static int indexOf(int[] a, int v) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == v) {
                return i;
            }
        }
        throw new IllegalStateException("rank " + v + " is not a source");
    }

    private static void check(Communicator comm, DeviceBackend be, DeviceBuffer x, DeviceBuffer out, int chunk, int tag) {
        if (comm == null || be == null) {
            throw new IllegalArgumentException("comm and backend must not be null");
        }
        be.checkOwn(x, "x");
        be.checkOwn(out, "out");
        DeviceBackend.checkSame(x, "x", out, "out");
        if (chunk < 1) {
            throw new IllegalArgumentException("chunkElements = " + chunk + " must be >= 1");
        }
        if (tag < 0 || tag > comm.maxTag()) {
            throw new IllegalArgumentException("tag = " + tag + " must be in [0, " + comm.maxTag() + "]");
        }
    }

    private static void checkRanks(Communicator comm, int[] ranks, String name, boolean ascending) {
        if (ranks == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        for (int i = 0; i < ranks.length; i++) {
            int r = ranks[i];
            if (r < 0 || r >= comm.size() || r == comm.rank()) {
                throw new IllegalArgumentException(name + "[" + i + "] = " + r + " must be a rank in [0, " + comm.size()
                        + ") other than this rank " + comm.rank() + ": " + Arrays.toString(ranks));
            }
            for (int j = 0; j < i; j++) {
                if (ranks[j] == r || (ascending && ranks[j] > r)) {
                    throw new IllegalArgumentException(name + " must be " + (ascending ? "strictly ascending" : "distinct")
                            + ": " + Arrays.toString(ranks));
                }
            }
        }
    }
}
