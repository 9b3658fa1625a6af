package io.bluefog.comm;

import java.nio.Buffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.util.Objects;

/**
 * Element type of a {@link Communicator} data buffer, and the argument checks every transport
 * applies to its buffers before it moves data (so that the in-JVM and MPI transports reject the
 * same calls with the same message).
 *
 * <p>A valid data buffer is a <em>direct</em> {@link FloatBuffer}, {@link DoubleBuffer},
 * {@link ShortBuffer} (float16 bit patterns), {@link IntBuffer} or {@link LongBuffer} in
 * {@linkplain ByteOrder#nativeOrder() native byte order}: the MPI transport hands its address to
 * Open MPI, which reads raw native-endian values, so a heap buffer cannot be passed without a copy
 * and a foreign-order view would be misread. ND4J's {@code data().asNio()} views and
 * {@code ByteBuffer.allocateDirect(n).order(ByteOrder.nativeOrder()).asFloatBuffer()} qualify.
 *
 * <p>Reductions ({@link Communicator#allreduce}) by dtype, on every transport:
 * <ul>
 *   <li>float32, float64: in the dtype, as MPI_SUM/MIN/MAX; {@code AVG} divides the sum by the
 *       size (one correctly rounded division).</li>
 *   <li>float16: accumulated in a wider float type (float64 in-JVM, float32 over MPI, which has no
 *       float16 type), rounded once to float16 (round to nearest even, {@link Float16}); values
 *       that are exact in the wider type give the same bits on both transports.</li>
 *   <li>int32, int64: exact integer arithmetic in the dtype, wrapping on overflow as MPI_SUM does
 *       (two's complement); {@code AVG} divides the sum by the size truncating toward zero (Java
 *       and C integer division, PyTorch's {@code div(..., rounding_mode='trunc')}; BlueFog's
 *       {@code allreduce} calls {@code div_(size)} on the summed tensor).</li>
 * </ul>
 */
public enum DType {
    /** IEEE 754 binary32, {@link FloatBuffer}. */
    FLOAT32(Float.BYTES, "float32"),
    /** IEEE 754 binary64, {@link DoubleBuffer}. */
    FLOAT64(Double.BYTES, "float64"),
    /** IEEE 754 binary16 ("half"), its bit patterns in a {@link ShortBuffer} (see {@link Float16}). */
    FLOAT16(Short.BYTES, "float16"),
    /** Two's-complement 32-bit integers, {@link IntBuffer}. */
    INT32(Integer.BYTES, "int32"),
    /** Two's-complement 64-bit integers, {@link LongBuffer}. */
    INT64(Long.BYTES, "int64");

    private final int bytes;
    private final String label;

    DType(int bytes, String label) {
        this.bytes = bytes;
        this.label = label;
    }

    /** @return the size of one element in bytes (2, 4 or 8) */
    public int bytes() {
        return bytes;
    }

    /** @return true for int32 and int64 */
    public boolean isInteger() {
        return this == INT32 || this == INT64;
    }

    /**
     * Returns the element type of {@code buffer} after checking that it is a valid data buffer.
     *
     * @param buffer the buffer passed to a communicator method
     * @param param  the parameter's name, used in the error message (e.g. {@code "recv"})
     * @throws IllegalArgumentException if the buffer is null, not direct, not one of the five buffer
     *                                  types, or not in native byte order; the message names {@code param}
     */
    public static DType of(Buffer buffer, String param) {
        if (buffer == null) {
            throw new IllegalArgumentException(param + " must not be null");
        }
        DType type;
        ByteOrder order;
        if (buffer instanceof FloatBuffer b) {
            type = FLOAT32;
            order = b.order();
        } else if (buffer instanceof DoubleBuffer b) {
            type = FLOAT64;
            order = b.order();
        } else if (buffer instanceof ShortBuffer b) {
            type = FLOAT16;
            order = b.order();
        } else if (buffer instanceof IntBuffer b) {
            type = INT32;
            order = b.order();
        } else if (buffer instanceof LongBuffer b) {
            type = INT64;
            order = b.order();
        } else {
            throw new IllegalArgumentException(param + " must be a FloatBuffer, DoubleBuffer, ShortBuffer (float16), "
                    + "IntBuffer or LongBuffer, got " + buffer.getClass().getSimpleName());
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

    /** @return the lower-case name used in messages: float32, float64, float16, int32 or int64 */
    public String label() {
        return label;
    }
}
