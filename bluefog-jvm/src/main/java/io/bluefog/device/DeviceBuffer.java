package io.bluefog.device;

import io.bluefog.comm.DType;

/**
 * A flat array of {@code length} float32 or float64 elements in the memory of one
 * {@link DeviceBackend} (device memory for {@link CudaBackend}, a direct host buffer for
 * {@link CpuBackend}). Created by {@link DeviceBackend#allocate}; close it to free the memory.
 * Raw device memory: no ND4J is involved.
 */
public final class DeviceBuffer implements AutoCloseable {
    private final DeviceBackend owner;
    private final DType dtype;
    private final int length;
    private Object memory;

    DeviceBuffer(DeviceBackend owner, DType dtype, int length, Object memory) {
        this.owner = owner;
        this.dtype = dtype;
        this.length = length;
        this.memory = memory;
    }

    /** @return float32 or float64 */
    public DType dtype() {
        return dtype;
    }

    /** @return the number of elements */
    public int length() {
        return length;
    }

    /** @return the size in bytes, {@code length * dtype.bytes()} */
    public long bytes() {
        return (long) length * dtype.bytes();
    }

    /** @return the backend that allocated this buffer */
    public DeviceBackend backend() {
        return owner;
    }

    /** The backend's handle (a {@code ByteBuffer} or a {@code CUdeviceptr}). */
    Object memory() {
        Object m = memory;
        if (m == null) {
            throw new IllegalStateException(this + " is closed");
        }
        return m;
    }

    /** Frees the memory. Idempotent. */
    @Override
    public void close() {
        Object m = memory;
        if (m != null) {
            memory = null;
            owner.free(m);
        }
    }

    @Override
    public String toString() {
        return "DeviceBuffer[" + length + " x " + dtype.label() + " on " + owner.device()
                + (memory == null ? ", closed]" : "]");
    }
}
