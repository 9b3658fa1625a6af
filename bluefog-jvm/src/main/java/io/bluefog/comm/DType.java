package io.bluefog.comm;

import java.nio.Buffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.Objects;

/**
 * Element type of a {@link Communicator} data buffer, and the argument checks every transport
 * applies to its buffers before it moves data (so that the in-JVM and MPI transports reject the
 * same calls with the same message).
 *
 * <p>A valid data buffer is a <em>direct</em> {@link FloatBuffer} or {@link DoubleBuffer} in
 * {@linkplain ByteOrder#nativeOrder() native byte order}: the MPI transport hands its address to
 * Open MPI, which reads raw native-endian values, so a heap buffer cannot be passed without a copy
 * and a foreign-order view would be misread. ND4J's {@code data().asNio()} views and
 * {@code ByteBuffer.allocateDirect(n).order(ByteOrder.nativeOrder()).asFloatBuffer()} qualify.
 */
public enum DType {
    /** IEEE 754 binary32, {@link FloatBuffer}. */
    FLOAT32(Float.BYTES),
    /** IEEE 754 binary64, {@link DoubleBuffer}. */
    FLOAT64(Double.BYTES);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** @return the size of one element in bytes (4 or 8) */
    public int bytes() {
        return bytes;
    }

    /**
     * Returns the element type of {@code buffer} after checking that it is a valid data buffer.
     *
     * @param buffer the buffer passed to a communicator method
     * @param param  the parameter's name, used in the error message (e.g. {@code "recv"})
     * @throws IllegalArgumentException if the buffer is null, not direct, not a Float/DoubleBuffer,
     *                                  or not in native byte order; the message names {@code param}
     */
    public static DType of(Buffer buffer, String param) {
        if (buffer == null) {
            throw new IllegalArgumentException(param + " must not be null");
        }
        DType type;
        ByteOrder order;
        if (buffer instanceof FloatBuffer) {
            type = FLOAT32;
            order = ((FloatBuffer) buffer).order();
        } else if (buffer instanceof DoubleBuffer) {
            type = FLOAT64;
            order = ((DoubleBuffer) buffer).order();
        } else {
            throw new IllegalArgumentException(param + " must be a FloatBuffer or DoubleBuffer, got "
                    + buffer.getClass().getSimpleName());
        }
        if (!buffer.isDirect()) {
            throw new IllegalArgumentException(param + " must be a direct buffer (heap "
                    + buffer.getClass().getSimpleName() + " given); allocate it with ByteBuffer.allocateDirect");
        }
        if (order != ByteOrder.nativeOrder()) {
            throw new IllegalArgumentException(param + " must be in native byte order " + ByteOrder.nativeOrder()
                    + " but is " + order + "; use ByteBuffer.order(ByteOrder.nativeOrder()) before the view");
        }
        return type;
    }

    /**
     * Like {@link #of(Buffer, String)}, and also checks that the buffer can be written.
     *
     * @throws IllegalArgumentException if {@link #of} rejects it or it is read-only
     */
    public static DType ofWritable(Buffer buffer, String param) {
        DType type = of(buffer, param);
        if (buffer.isReadOnly()) {
            throw new IllegalArgumentException(param + " must be writable (a read-only buffer was given)");
        }
        return type;
    }

    /**
     * Checks that two buffers of one call have the same element type.
     *
     * @throws IllegalArgumentException naming both parameters and their types if they differ
     */
    public static void requireSame(DType a, String paramA, DType b, String paramB) {
        Objects.requireNonNull(a, paramA);
        Objects.requireNonNull(b, paramB);
        if (a != b) {
            throw new IllegalArgumentException(paramA + " is " + a.label() + " but " + paramB + " is " + b.label()
                    + "; both buffers of one call must have the same dtype");
        }
    }

    /** @return the lower-case name used in messages, {@code float32} or {@code float64} */
    public String label() {
        return this == FLOAT32 ? "float32" : "float64";
    }
}
