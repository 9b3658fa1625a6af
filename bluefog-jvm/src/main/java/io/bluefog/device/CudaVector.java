package io.bluefog.device;

import io.bluefog.comm.DType;
import java.nio.Buffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jcuda.Pointer;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.runtime.JCuda;

/**
 * A float32 or float64 vector in the memory of one CUDA device, with the level-1 BLAS update a
 * decentralized optimizer step needs ({@link #axpby}: y &larr; a x + b y, through cuBLAS {@code ?scal}
 * and {@code ?axpy}), and copies to and from direct host buffers. On machines without CUDA every
 * factory throws {@link DeviceException}. No optimizer or collective uses it yet (they work in host
 * memory); it is tested on its own, for the GPU support to come.
 *
 * <p>Not thread-safe: use a vector from one thread at a time. Close it to free the device memory.
 */
public final class CudaVector implements AutoCloseable {
    /** One cuBLAS handle per device, created on first use (handles are bound to the device current then). */
    private static final Map<Integer, cublasHandle> HANDLES = new ConcurrentHashMap<>();

    private final Device device;
    private final DType dtype;
    private final int length;
    private Pointer memory;

    private CudaVector(Device device, DType dtype, int length, Pointer memory) {
        this.device = device;
        this.dtype = dtype;
        this.length = length;
        this.memory = memory;
    }

    /**
     * Allocates a vector on {@code device} and copies {@code host}'s elements (position..limit) into it.
     *
     * @param device a CUDA device
     * @param host   a direct native-order Float/DoubleBuffer (its dtype becomes the vector's)
     * @throws IllegalArgumentException if {@code device} is the CPU or {@code host} is not a valid data buffer
     * @throws DeviceException          if CUDA is unavailable or the allocation/copy fails
     */
    public static CudaVector upload(Device device, Buffer host) {
        DType dtype = DType.of(host, "host");
        CudaVector v = allocate(device, dtype, host.remaining());
        try {
            v.copyFrom(host);
        } catch (RuntimeException e) {
            v.close();
            throw e;
        }
        return v;
    }

    /**
     * Allocates an uninitialised vector of {@code length} elements of {@code dtype} on {@code device}.
     *
     * @throws IllegalArgumentException if {@code device} is the CPU or {@code length < 0}
     * @throws DeviceException          if CUDA is unavailable or the allocation fails
     */
    public static CudaVector allocate(Device device, DType dtype, int length) {
        if (device == null || !device.isCuda()) {
            throw new IllegalArgumentException("device must be a CUDA device, got " + device);
        }
        if (dtype == null) {
            throw new IllegalArgumentException("dtype must not be null");
        }
        if (length < 0) {
            throw new IllegalArgumentException("length = " + length + " must be >= 0");
        }
        if (device.index() >= Devices.cudaDeviceCount()) {
            throw new DeviceException(device + " is not available: this machine has "
                    + Devices.cudaDeviceCount() + " usable CUDA device(s)");
        }
        Pointer p = new Pointer();
        cuda(() -> {
            JCuda.cudaSetDevice(device.index());
            JCuda.cudaMalloc(p, Math.max(1L, (long) length * dtype.bytes()));
        }, "cudaMalloc of " + length + " x " + dtype.label() + " on " + device);
        return new CudaVector(device, dtype, length, p);
    }

    public Device device() {
        return device;
    }

    public DType dtype() {
        return dtype;
    }

    /** @return the number of elements */
    public int length() {
        return length;
    }

    /**
     * Copies {@code host}'s elements (position..limit) to the device.
     *
     * @throws IllegalArgumentException if the dtype or element count differ from this vector's
     */
    public void copyFrom(Buffer host) {
        checkHost(host, false);
        Buffer slice = host.slice(); // position 0, so the pointer starts at the first element
        cuda(() -> {
            JCuda.cudaSetDevice(device.index());
            JCublas2.cublasSetVector(length, dtype.bytes(), Pointer.to(slice), 1, live(), 1);
        }, "copy to " + device);
    }

    /**
     * Copies the vector into {@code host}'s elements (position..limit).
     *
     * @throws IllegalArgumentException if the dtype or element count differ, or {@code host} is read-only
     */
    public void copyTo(Buffer host) {
        checkHost(host, true);
        Buffer slice = host.slice();
        cuda(() -> {
            JCuda.cudaSetDevice(device.index());
            JCublas2.cublasGetVector(length, dtype.bytes(), live(), 1, Pointer.to(slice), 1);
        }, "copy from " + device);
    }

    /**
     * {@code this <- a * x + b * this}, element-wise, on the device (cuBLAS {@code ?scal} then {@code ?axpy}).
     *
     * @throws IllegalArgumentException if {@code x} has another device, dtype or length
     */
    public void axpby(double a, CudaVector x, double b) {
        if (x == null || !x.device.equals(device) || x.dtype != dtype || x.length != length) {
            throw new IllegalArgumentException("x must be a " + length + " x " + dtype.label() + " vector on " + device
                    + ", got " + x);
        }
        Pointer xs = x.live();
        Pointer ys = live();
        cuda(() -> {
            JCuda.cudaSetDevice(device.index());
            cublasHandle h = HANDLES.computeIfAbsent(device.index(), k -> {
                cublasHandle handle = new cublasHandle();
                JCublas2.cublasCreate(handle);
                return handle;
            });
            synchronized (h) {
                if (dtype == DType.FLOAT32) {
                    JCublas2.cublasSscal(h, length, Pointer.to(new float[] {(float) b}), ys, 1);
                    JCublas2.cublasSaxpy(h, length, Pointer.to(new float[] {(float) a}), xs, 1, ys, 1);
                } else {
                    JCublas2.cublasDscal(h, length, Pointer.to(new double[] {b}), ys, 1);
                    JCublas2.cublasDaxpy(h, length, Pointer.to(new double[] {a}), xs, 1, ys, 1);
                }
            }
        }, "axpby on " + device);
    }

    /** Frees the device memory. Idempotent. */
    @Override
    public void close() {
        Pointer p = memory;
        if (p != null) {
            memory = null;
            cuda(() -> {
                JCuda.cudaSetDevice(device.index());
                JCuda.cudaFree(p);
            }, "cudaFree on " + device);
        }
    }

    private Pointer live() {
        if (memory == null) {
            throw new IllegalStateException("vector on " + device + " is closed");
        }
        return memory;
    }

    private void checkHost(Buffer host, boolean writable) {
        DType t = writable ? DType.ofWritable(host, "host") : DType.of(host, "host");
        DType.requireSame(t, "host", dtype, "vector");
        if (host.remaining() != length) {
            throw new IllegalArgumentException("host has " + host.remaining() + " elements but the vector has " + length);
        }
    }

    /** Runs CUDA calls with JCuda exceptions on, turning their failures into {@link DeviceException}. */
    private static void cuda(Runnable calls, String what) {
        try {
            JCuda.setExceptionsEnabled(true);
            JCublas2.setExceptionsEnabled(true);
            calls.run();
        } catch (LinkageError | jcuda.CudaException e) {
            throw new DeviceException(what + " failed: " + e, e);
        }
    }

    @Override
    public String toString() {
        return "CudaVector[" + length + " x " + dtype.label() + " on " + device + (memory == null ? ", closed]" : "]");
    }
}
