package io.bluefog.device;

import io.bluefog.comm.DType;
import java.nio.Buffer;

/**
 * The device data path on raw buffers, without ND4J: allocation, copies, host staging, the weighted
 * combine of neighborAllreduce/allreduce and the SGD update, for float32 and float64.
 * {@link CudaBackend} runs it on a CUDA GPU (hand-written PTX kernels through JCuda's driver API);
 * {@link CpuBackend} runs the same operations in Java loops in the same order, and is the reference
 * the GPU results are compared against (bit for bit: see {@link #combine}).
 *
 * <p><b>Lanes.</b> The asynchronous staging operations run on two ordered lanes (CUDA streams):
 * the <i>out</i> lane ({@link #toHostAsync}) and the <i>in</i> lane ({@link #toDeviceAsync},
 * {@link #combineAsync}); {@link #awaitOut}, {@link #recordIn}/{@link #awaitIn} and
 * {@link #synchronize} wait for them. On {@link CpuBackend} every operation completes before it
 * returns. The other operations are synchronous: they return once their result is in place.
 *
 * <p>One backend per thread (each rank of a {@code LocalCluster} opens its own; several may share a
 * GPU). Not thread-safe. Close it to release its streams and module (its buffers must be closed first).
 */
public abstract class DeviceBackend implements AutoCloseable {
    /** Number of {@link #recordIn} slots. */
    public static final int MARKS = 2;

    /** DeviceGossip's buffers of the last operation shape; freed by {@link #closeWorkspace}. */
    DeviceGossip.Workspace workspace;

    DeviceBackend() {
    }

    /** Frees DeviceGossip's kept buffers; subclasses call it first in {@link #close}. */
    void closeWorkspace() {
        DeviceGossip.Workspace w = workspace;
        workspace = null;
        if (w != null) {
            w.close();
        }
    }

    /**
     * Opens the backend for {@code device}: {@link CpuBackend} for the CPU, {@link CudaBackend} for a GPU.
     *
     * @throws DeviceException if the GPU cannot be opened (no driver, no such device, PTX rejected)
     */
    public static DeviceBackend open(Device device) {
        return device.isCuda() ? CudaBackend.open(device.index()) : new CpuBackend();
    }

    /** @return where the buffers live */
    public abstract Device device();

    /**
     * @param dtype  float32 or float64
     * @param length elements, &ge; 0
     * @return an uninitialised buffer
     * @throws IllegalArgumentException for another dtype or a negative length
     * @throws DeviceException          if the allocation fails
     */
    public abstract DeviceBuffer allocate(DType dtype, int length);

    /**
     * @return a staging buffer of {@code capacity} elements (pinned host memory on a GPU)
     * @throws IllegalArgumentException for another dtype or a negative capacity
     */
    public abstract HostStage stage(DType dtype, int capacity);

    /**
     * Copies {@code host}'s elements (position..limit) into {@code dst}; synchronous.
     *
     * @param host a direct native-order Float/DoubleBuffer of dst's dtype with exactly dst.length() elements remaining
     * @throws IllegalArgumentException if dtype or count differ
     */
    public abstract void upload(Buffer host, DeviceBuffer dst);

    /** Copies {@code src} into {@code host}'s elements (position..limit); synchronous; arguments as {@link #upload}. */
    public abstract void download(DeviceBuffer src, Buffer host);

    /**
     * Copies {@code src} into {@code dst} within this backend (device to device); synchronous.
     *
     * @throws IllegalArgumentException if dtype or length differ
     */
    public abstract void copy(DeviceBuffer src, DeviceBuffer dst);

    /**
     * Starts copying elements {@code offset .. offset+count-1} of {@code src} to elements
     * {@code 0 .. count-1} of {@code stage}, on the out lane.
     */
    public abstract void toHostAsync(DeviceBuffer src, int offset, int count, HostStage stage);

    /** Waits until every operation on the out lane has completed. */
    public abstract void awaitOut();

    /**
     * Starts copying elements {@code 0 .. count-1} of {@code stage} to elements
     * {@code offset .. offset+count-1} of {@code dst}, on the in lane. The stage must not be
     * written until the lane has passed this copy ({@link #recordIn}, {@link #awaitIn}).
     */
    public abstract void toDeviceAsync(HostStage stage, int count, DeviceBuffer dst, int offset);

    /** Marks the in lane's current end in {@code slot} (0 &le; slot &lt; {@link #MARKS}). */
    public abstract void recordIn(int slot);

    /** Waits until the in lane has passed the mark last recorded in {@code slot} (returns at once if none). */
    public abstract void awaitIn(int slot);

    /** Waits until both lanes are idle. */
    public abstract void synchronize();

    /**
     * Prepares {@code out[j] = (sum_k weights[k] * sources[k][j]) / divisor} (see {@link #combine}) for
     * repeated {@link #combineAsync} calls over ranges of elements. Close the plan after use.
     *
     * @param out     output; may be one of the sources (in place)
     * @param sources at least one buffer, all of out's dtype and length, summed in this order
     * @param weights one per source, finite
     * @param divisor 0 for none, else a finite nonzero value to divide the sum by
     * @throws IllegalArgumentException if a source's dtype or length differs from out's, the counts
     *         differ, there are no sources, or a weight or the divisor is not finite
     */
    public abstract CombinePlan plan(DeviceBuffer out, DeviceBuffer[] sources, double[] weights, double divisor);

    /** Runs {@code plan} on elements {@code offset .. offset+count-1}, on the in lane. */
    public abstract void combineAsync(CombinePlan plan, int offset, int count);

    /**
     * The weighted combine of neighborAllreduce and allreduce, synchronous, over all elements:
     * {@code out[j] = round((((w_0 s_0[j] + w_1 s_1[j]) + ...) + w_{n-1} s_{n-1}[j]) / divisor)}.
     * Every element is accumulated in float64 in the order given (each product and sum correctly
     * rounded, no fused multiply-add), divided by {@code divisor} if it is not 0, and rounded once to
     * the dtype (round to nearest even). This is the order and rounding of the collectives engine's
     * CPU {@code Combiner} (self term first, then the sources ascending by rank; uniform weights as the
     * sum divided by m), so the results of all backends agree bit for bit.
     *
     * @throws IllegalArgumentException as {@link #plan}
     */
    public void combine(DeviceBuffer out, DeviceBuffer[] sources, double[] weights, double divisor) {
        try (CombinePlan p = plan(out, sources, weights, divisor)) {
            combineAsync(p, 0, out.length());
            synchronize();
        }
    }

    /**
     * The SGD step on device, synchronous, element by element in float64 and rounded once per stored
     * value: without momentum ({@code velocity == null}) {@code x = x - lr g}; with it, heavy-ball
     * momentum as PyTorch's {@code torch.optim.SGD} (dampening 0): {@code v = momentum v + g;
     * x = x - lr v}.
     *
     * @param x        parameters, updated in place
     * @param g        gradient, x's dtype and length
     * @param velocity null, or x's dtype and length, updated in place
     * @throws IllegalArgumentException if shapes or dtypes differ, or lr/momentum are not finite
     */
    public abstract void sgdUpdate(DeviceBuffer x, DeviceBuffer g, DeviceBuffer velocity, double lr, double momentum);

    /** Frees the buffers DeviceGossip keeps, then releases the backend's streams, events and module. */
    @Override
    public abstract void close();

    abstract void free(Object memory);

    abstract void freeStage(Object handle);

    static void checkDType(DType dtype) {
        if (dtype != DType.FLOAT32 && dtype != DType.FLOAT64) {
            throw new IllegalArgumentException("device buffers hold float32 or float64, got " + dtype);
        }
    }

    void checkOwn(DeviceBuffer b, String name) {
        if (b == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        if (b.backend() != this) {
            throw new IllegalArgumentException(name + " belongs to another backend: " + b);
        }
    }

    static void checkRange(DeviceBuffer b, int offset, int count) {
        if (offset < 0 || count < 0 || (long) offset + count > b.length()) {
            throw new IllegalArgumentException("elements [" + offset + ", " + offset + " + " + count + ") are outside "
                    + b);
        }
    }

    static void checkStage(HostStage s, DType dtype, int count) {
        if (s == null || s.dtype() != dtype || count > s.capacity()) {
            throw new IllegalArgumentException("stage must hold " + count + " x " + dtype.label());
        }
    }

    static void checkHost(Buffer host, DeviceBuffer b, boolean writable) {
        DType t = writable ? DType.ofWritable(host, "host") : DType.of(host, "host");
        DType.requireSame(t, "host", b.dtype(), "device buffer");
        if (host.remaining() != b.length()) {
            throw new IllegalArgumentException("host has " + host.remaining() + " elements but " + b + " has "
                    + b.length());
        }
    }

    static void checkSame(DeviceBuffer a, String na, DeviceBuffer b, String nb) {
        if (a.dtype() != b.dtype() || a.length() != b.length()) {
            throw new IllegalArgumentException(nb + " must be " + a.length() + " x " + a.dtype().label() + " like "
                    + na + ", got " + b);
        }
    }

    void checkPlan(DeviceBuffer out, DeviceBuffer[] sources, double[] weights, double divisor) {
        checkOwn(out, "out");
        if (sources == null || weights == null || sources.length == 0 || sources.length != weights.length) {
            throw new IllegalArgumentException("combine needs at least one source and one weight per source, got "
                    + (sources == null ? "null" : sources.length) + " sources and "
                    + (weights == null ? "null" : weights.length) + " weights");
        }
        for (int k = 0; k < sources.length; k++) {
            checkOwn(sources[k], "sources[" + k + "]");
            checkSame(out, "out", sources[k], "sources[" + k + "]");
            if (!Double.isFinite(weights[k])) {
                throw new IllegalArgumentException("weights[" + k + "] = " + weights[k] + " is not finite");
            }
        }
        if (!Double.isFinite(divisor)) {
            throw new IllegalArgumentException("divisor = " + divisor + " is not finite");
        }
    }

    void checkSgd(DeviceBuffer x, DeviceBuffer g, DeviceBuffer v, double lr, double momentum) {
        checkOwn(x, "x");
        checkOwn(g, "g");
        checkSame(x, "x", g, "g");
        if (v != null) {
            checkOwn(v, "velocity");
            checkSame(x, "x", v, "velocity");
        }
        if (!Double.isFinite(lr) || !Double.isFinite(momentum)) {
            throw new IllegalArgumentException("lr = " + lr + " and momentum = " + momentum + " must be finite");
        }
    }

    /** A prepared combine (see {@link #plan}); holds the source table on the device. */
    public abstract static class CombinePlan implements AutoCloseable {
        final DeviceBuffer out;
        final DeviceBuffer[] sources;
        final double[] weights;
        final double divisor;

        CombinePlan(DeviceBuffer out, DeviceBuffer[] sources, double[] weights, double divisor) {
            this.out = out;
            this.sources = sources.clone();
            this.weights = weights.clone();
            this.divisor = divisor;
        }

        @Override
        public void close() {
        }
    }
}
