package io.bluefog.device;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuCtxSynchronize;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuMemHostAlloc;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import io.bluefog.comm.DType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Supplier;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

/**
 * {@link DeviceBackend} on CUDA device {@code ordinal}, through JCuda's driver API only (it needs
 * the NVIDIA driver's {@code libcuda}, no CUDA toolkit and no ND4J). The combine and SGD kernels are
 * hand-written PTX shipped as the resource {@value #PTX} and JIT-compiled by the driver on first use;
 * copies run on two non-blocking streams (the out and in lanes), staging through page-locked host
 * memory ({@code cuMemHostAlloc}). Uses the device's primary context and makes it current on the
 * calling thread before every call, so ranks running as threads of one JVM can share a GPU.
 *
 * <p><b>Status:</b> compiled and its PTX assembled with {@code ptxas} (CUDA 13) for sm_75, sm_90 and
 * sm_100, but not yet run on a GPU; {@code mpi-launch/gpu-check} is the check that runs it.
 */
public final class CudaBackend extends DeviceBackend {
    /** Classpath resource of the kernels (PTX ISA 7.0, target sm_52, JIT-compiled for newer GPUs). */
    public static final String PTX = "/io/bluefog/device/kernels.ptx";
    private static final int BLOCK = 256;
    private static final int MAX_GRID = 4096;

    private final int ordinal;
    private final Device device;
    private final CUdevice cuDevice = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final CUmodule module = new CUmodule();
    private final CUfunction combine32 = new CUfunction();
    private final CUfunction combine64 = new CUfunction();
    private final CUfunction sgd32 = new CUfunction();
    private final CUfunction sgd64 = new CUfunction();
    private final CUstream outLane = new CUstream();
    private final CUstream inLane = new CUstream();
    private final CUevent[] marks = new CUevent[MARKS];
    private final boolean[] recorded = new boolean[MARKS];
    private boolean closed;

    private CudaBackend(int ordinal) {
        this.ordinal = ordinal;
        this.device = Device.cuda(ordinal);
    }

    /**
     * @param ordinal CUDA device number, as {@code cuDeviceGet} takes it
     * @throws IllegalArgumentException if negative
     * @throws DeviceException if the driver, the device or the PTX module cannot be loaded
     */
    public static CudaBackend open(int ordinal) {
        if (ordinal < 0) {
            throw new IllegalArgumentException("CUDA device ordinal = " + ordinal + " must be >= 0");
        }
        CudaBackend b = new CudaBackend(ordinal);
        cuda(() -> {
            JCudaDriver.setExceptionsEnabled(true);
            cuInit(0);
            int[] count = new int[1];
            cuDeviceGetCount(count);
            if (ordinal >= count[0]) {
                throw new DeviceException("cuda:" + ordinal + " does not exist: the driver sees " + count[0]
                        + " device(s)");
            }
            cuDeviceGet(b.cuDevice, ordinal);
            cuDevicePrimaryCtxRetain(b.context, b.cuDevice);
            cuCtxSetCurrent(b.context);
            cuModuleLoadData(b.module, ptx());
            cuModuleGetFunction(b.combine32, b.module, "bf_combine_f32");
            cuModuleGetFunction(b.combine64, b.module, "bf_combine_f64");
            cuModuleGetFunction(b.sgd32, b.module, "bf_sgd_f32");
            cuModuleGetFunction(b.sgd64, b.module, "bf_sgd_f64");
            cuStreamCreate(b.outLane, CUstream_flags.CU_STREAM_NON_BLOCKING);
            cuStreamCreate(b.inLane, CUstream_flags.CU_STREAM_NON_BLOCKING);
            for (int i = 0; i < MARKS; i++) {
                b.marks[i] = new CUevent();
                cuEventCreate(b.marks[i], CUevent_flags.CU_EVENT_DISABLE_TIMING);
            }
            return null;
        }, "opening cuda:" + ordinal);
        return b;
    }

    /** @return the PTX text with a terminating NUL, as {@code cuModuleLoadData} takes it */
    static byte[] ptx() {
        try (InputStream in = CudaBackend.class.getResourceAsStream(PTX)) {
            if (in == null) {
                throw new DeviceException("resource " + PTX + " is missing from the classpath");
            }
            byte[] text = in.readAllBytes();
            byte[] z = new byte[text.length + 1];
            System.arraycopy(text, 0, z, 0, text.length);
            return z;
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + PTX, e);
        }
    }

    @Override
    public Device device() {
        return device;
    }

    @Override
    public DeviceBuffer allocate(DType dtype, int length) {
        checkDType(dtype);
        if (length < 0) {
            throw new IllegalArgumentException("length = " + length + " must be >= 0");
        }
        CUdeviceptr p = new CUdeviceptr();
        call(() -> cuMemAlloc(p, Math.max(1L, (long) length * dtype.bytes())),
                "cuMemAlloc of " + length + " x " + dtype.label());
        return new DeviceBuffer(this, dtype, length, p);
    }

    @Override
    public HostStage stage(DType dtype, int capacity) {
        checkDType(dtype);
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity = " + capacity + " must be >= 0");
        }
        long bytes = Math.max(1L, (long) capacity * dtype.bytes());
        Pointer p = new Pointer();
        call(() -> cuMemHostAlloc(p, bytes, 0), "cuMemHostAlloc of " + bytes + " bytes");
        ByteBuffer b = p.getByteBuffer(0, bytes).order(ByteOrder.nativeOrder());
        return new HostStage(this, dtype, capacity, b, p);
    }

    @Override
    public void upload(Buffer host, DeviceBuffer dst) {
        checkOwn(dst, "dst");
        checkHost(host, dst, false);
        Pointer src = Pointer.to(host.slice());
        // On the in lane and waited for: a plain cuMemcpyHtoD from pageable memory may return before
        // the DMA into dst has finished, and the lanes are non-blocking streams that would not wait for it.
        call(() -> {
            cuStreamSynchronize(outLane);
            cuMemcpyHtoDAsync(ptr(dst), src, dst.bytes(), inLane);
            return cuStreamSynchronize(inLane);
        }, "upload to " + dst);
    }

    @Override
    public void download(DeviceBuffer src, Buffer host) {
        checkOwn(src, "src");
        checkHost(host, src, true);
        Pointer dst = Pointer.to(host.slice());
        call(() -> {
            cuStreamSynchronize(outLane);
            cuMemcpyDtoHAsync(dst, ptr(src), src.bytes(), inLane);
            return cuStreamSynchronize(inLane);
        }, "download from " + src);
    }

    @Override
    public void copy(DeviceBuffer src, DeviceBuffer dst) {
        checkOwn(src, "src");
        checkOwn(dst, "dst");
        checkSame(src, "src", dst, "dst");
        call(() -> {
            cuStreamSynchronize(outLane);
            cuMemcpyDtoDAsync(ptr(dst), ptr(src), src.bytes(), inLane);
            return cuStreamSynchronize(inLane);
        }, "device-to-device copy");
    }

    @Override
    public void toHostAsync(DeviceBuffer src, int offset, int count, HostStage stage) {
        checkOwn(src, "src");
        checkRange(src, offset, count);
        checkStage(stage, src.dtype(), count);
        long w = src.dtype().bytes();
        if (count > 0) {
            call(() -> cuMemcpyDtoHAsync((Pointer) stage.handle(), ptr(src).withByteOffset(offset * w), count * w,
                    outLane), "device-to-host copy");
        }
    }

    @Override
    public void awaitOut() {
        call(() -> cuStreamSynchronize(outLane), "waiting for the out lane");
    }

    @Override
    public void toDeviceAsync(HostStage stage, int count, DeviceBuffer dst, int offset) {
        checkOwn(dst, "dst");
        checkRange(dst, offset, count);
        checkStage(stage, dst.dtype(), count);
        long w = dst.dtype().bytes();
        if (count > 0) {
            call(() -> cuMemcpyHtoDAsync(ptr(dst).withByteOffset(offset * w), (Pointer) stage.handle(), count * w,
                    inLane), "host-to-device copy");
        }
    }

    @Override
    public void recordIn(int slot) {
        CpuBackend.Mark.check(slot);
        call(() -> cuEventRecord(marks[slot], inLane), "cuEventRecord");
        recorded[slot] = true;
    }

    @Override
    public void awaitIn(int slot) {
        CpuBackend.Mark.check(slot);
        if (recorded[slot]) {
            call(() -> cuEventSynchronize(marks[slot]), "cuEventSynchronize");
        }
    }

    @Override
    public void synchronize() {
        call(() -> {
            cuStreamSynchronize(outLane);
            return cuStreamSynchronize(inLane);
        }, "synchronize");
    }

    @Override
    public CombinePlan plan(DeviceBuffer out, DeviceBuffer[] sources, double[] weights, double divisor) {
        checkPlan(out, sources, weights, divisor);
        return new CudaPlan(out, sources, weights, divisor);
    }

    private final class CudaPlan extends CombinePlan {
        final CUdeviceptr table = new CUdeviceptr();
        final CUdeviceptr weightTable = new CUdeviceptr();
        boolean freed;

        CudaPlan(DeviceBuffer out, DeviceBuffer[] sources, double[] weights, double divisor) {
            super(out, sources, weights, divisor);
            Pointer[] ptrs = new Pointer[sources.length];
            for (int k = 0; k < ptrs.length; k++) {
                ptrs[k] = ptr(sources[k]);
            }
            long n = sources.length;
            call(() -> {
                cuMemAlloc(table, 8 * n);
                cuMemAlloc(weightTable, 8 * n);
                cuMemcpyHtoD(table, Pointer.to(ptrs), 8 * n);
                cuMemcpyHtoD(weightTable, Pointer.to(this.weights), 8 * n);
                // A copy from pageable memory may return before its DMA has finished, and the in lane
                // is a non-blocking stream: wait for the context before any kernel reads the tables.
                return cuCtxSynchronize();
            }, "uploading the combine tables");
        }

        @Override
        public void close() {
            if (!freed) {
                freed = true;
                call(() -> {
                    cuStreamSynchronize(inLane);
                    cuMemFree(table);
                    return cuMemFree(weightTable);
                }, "freeing the combine tables");
            }
        }
    }

    @Override
    public void combineAsync(CombinePlan plan, int offset, int count) {
        if (!(plan instanceof CudaPlan p) || plan.out.backend() != this || p.freed) {
            throw new IllegalArgumentException("plan must be an open plan of this backend");
        }
        checkRange(plan.out, offset, count);
        if (count == 0) {
            return;
        }
        CUfunction f = plan.out.dtype() == DType.FLOAT32 ? combine32 : combine64;
        Pointer params = Pointer.to(
                Pointer.to(ptr(plan.out)),
                Pointer.to(p.table),
                Pointer.to(p.weightTable),
                Pointer.to(new int[] {plan.sources.length}),
                Pointer.to(new double[] {plan.divisor}),
                Pointer.to(new long[] {offset}),
                Pointer.to(new long[] {count}));
        launch(f, count, inLane, params, "combine kernel");
    }

    @Override
    public void sgdUpdate(DeviceBuffer x, DeviceBuffer g, DeviceBuffer velocity, double lr, double momentum) {
        checkSgd(x, g, velocity, lr, momentum);
        if (x.length() == 0) {
            return;
        }
        CUfunction f = x.dtype() == DType.FLOAT32 ? sgd32 : sgd64;
        Pointer v = velocity == null ? Pointer.to(new long[] {0L}) : Pointer.to(ptr(velocity));
        Pointer params = Pointer.to(
                Pointer.to(ptr(x)),
                Pointer.to(ptr(g)),
                v,
                Pointer.to(new double[] {lr}),
                Pointer.to(new double[] {momentum}),
                Pointer.to(new long[] {x.length()}));
        launch(f, x.length(), inLane, params, "sgd kernel");
        call(() -> cuStreamSynchronize(inLane), "sgd kernel");
    }

    private void launch(CUfunction f, long n, CUstream stream, Pointer params, String what) {
        int grid = (int) Math.min(MAX_GRID, (n + BLOCK - 1) / BLOCK);
        call(() -> cuLaunchKernel(f, grid, 1, 1, BLOCK, 1, 1, 0, stream, params, null), what);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closeWorkspace();
        call(() -> {
            cuStreamSynchronize(outLane);
            cuStreamSynchronize(inLane);
            for (CUevent e : marks) {
                cuEventDestroy(e);
            }
            cuStreamDestroy(outLane);
            cuStreamDestroy(inLane);
            cuModuleUnload(module);
            return cuDevicePrimaryCtxRelease(cuDevice);
        }, "closing " + device);
        closed = true;
    }

    @Override
    void free(Object memory) {
        call(() -> cuMemFree((CUdeviceptr) memory), "cuMemFree");
    }

    @Override
    void freeStage(Object handle) {
        call(() -> cuMemFreeHost((Pointer) handle), "cuMemFreeHost");
    }

    private static CUdeviceptr ptr(DeviceBuffer b) {
        return (CUdeviceptr) b.memory();
    }

    /** Makes this backend's context current on the calling thread, then runs {@code calls}. */
    private void call(Supplier<Integer> calls, String what) {
        if (closed) {
            throw new IllegalStateException(device + " backend is closed");
        }
        cuda(() -> {
            cuCtxSetCurrent(context);
            return calls.get();
        }, what + " on " + device);
    }

    private static void cuda(Supplier<?> calls, String what) {
        try {
            calls.get();
        } catch (LinkageError | jcuda.CudaException e) {
            throw new DeviceException(what + " failed: " + e, e);
        }
    }

    @Override
    public String toString() {
        return "CudaBackend[" + device + "]";
    }
}
