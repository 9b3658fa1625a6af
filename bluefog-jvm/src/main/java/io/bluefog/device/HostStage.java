package io.bluefog.device;

import io.bluefog.comm.DType;
import java.nio.Buffer;
import java.nio.ByteBuffer;

/**
 * A host staging buffer of {@code capacity} float32 or float64 elements through which a
 * {@link DeviceBackend} copies chunks between device memory and the transport: page-locked
 * ("pinned", {@code cuMemHostAlloc}) for {@link CudaBackend}, so that its copies run asynchronously
 * by DMA; an ordinary direct buffer for {@link CpuBackend}. Close it to free the memory.
 */
public final class HostStage implements AutoCloseable {
    private final DeviceBackend owner;
    private final DType dtype;
    private final int capacity;
    private final ByteBuffer bytes;
    private Object handle;

    HostStage(DeviceBackend owner, DType dtype, int capacity, ByteBuffer bytes, Object handle) {
        this.owner = owner;
        this.dtype = dtype;
        this.capacity = capacity;
        this.bytes = bytes;
        this.handle = handle;
    }

    public DType dtype() {
        return dtype;
    }

    /** @return the number of elements it holds */
    public int capacity() {
        return capacity;
    }

    /**
     * @param count elements, 0 &le; count &le; capacity
     * @return a direct native-order Float/DoubleBuffer over elements 0..count-1 (position 0, limit
     *         count), as {@link io.bluefog.comm.Communicator#isend}/{@code irecv} take it
     */
    public Buffer view(int count) {
        if (count < 0 || count > capacity) {
            throw new IllegalArgumentException("count = " + count + " must be in [0, " + capacity + "]");
        }
        ByteBuffer b = bytes.duplicate().order(bytes.order());
        b.position(0).limit(count * dtype.bytes());
        ByteBuffer s = b.slice().order(bytes.order());
        return dtype == DType.FLOAT32 ? s.asFloatBuffer() : s.asDoubleBuffer();
    }

    /** The backend's handle (for CUDA, the pinned host {@code Pointer}). */
    Object handle() {
        if (handle == null) {
            throw new IllegalStateException("host stage is closed");
        }
        return handle;
    }

    ByteBuffer bytes() {
        return bytes;
    }

    /** Frees the memory. Idempotent. */
    @Override
    public void close() {
        Object h = handle;
        if (h != null) {
            handle = null;
            owner.freeStage(h);
        }
    }
}
