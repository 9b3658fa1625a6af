package io.bluefog.mpi;

import io.bluefog.comm.DType;
import io.bluefog.comm.Float16;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import mpi.Datatype;
import mpi.MPI;

/**
 * Checks and views of the buffers handed to {@link MpiCommunicator}. Open MPI's Java bindings pass
 * a direct buffer's base address to C and ignore its position, so a buffer whose position is not 0
 * is replaced by a {@link Buffer#slice() slice} (a view of the same memory, never a copy).
 */
final class MpiBuffers {
    private MpiBuffers() {
    }

    /**
     * Checks a buffer MPI only reads ({@link DType#of}).
     *
     * @return the buffer itself when its position is 0, otherwise a zero-copy view starting at it
     * @throws IllegalArgumentException naming {@code param} if the buffer is not a valid data buffer
     */
    static Buffer readable(Buffer buffer, String param) {
        DType.of(buffer, param);
        return view(buffer);
    }

    /**
     * Checks a buffer MPI writes into ({@link DType#ofWritable}).
     *
     * @return the buffer itself when its position is 0, otherwise a zero-copy view starting at it
     * @throws IllegalArgumentException naming {@code param} if the buffer is not a valid, writable
     *     data buffer
     */
    static Buffer writable(Buffer buffer, String param) {
        DType.ofWritable(buffer, param);
        return view(buffer);
    }

    private static Buffer view(Buffer buffer) {
        return buffer.position() == 0 ? buffer : buffer.slice();
    }

    /** @throws IllegalArgumentException naming both parameters if the two buffers' dtypes differ */
    static void sameDtype(Buffer a, String paramA, Buffer b, String paramB) {
        DType.requireSame(DType.of(a, paramA), paramA, DType.of(b, paramB), paramB);
    }

    /**
     * @return the MPI datatype of the buffer's elements: MPI_FLOAT, MPI_DOUBLE, MPI_INT, MPI_LONG
     *         (64-bit in Open MPI's Java bindings), and MPI_SHORT for float16 bit patterns, which
     *         moves them unchanged (MPI has no float16 type; reductions go through
     *         {@link #widen}/{@link #narrow})
     */
    static Datatype datatype(Buffer buffer) {
        return switch (DType.of(buffer, "buffer")) {
            case FLOAT32 -> MPI.FLOAT;
            case FLOAT64 -> MPI.DOUBLE;
            case FLOAT16 -> MPI.SHORT;
            case INT32 -> MPI.INT;
            case INT64 -> MPI.LONG;
        };
    }

    /** @return a new direct float32 buffer holding the float16 values of {@code halves} (exact) */
    static FloatBuffer widen(ShortBuffer halves) {
        int n = halves.remaining();
        FloatBuffer f = ByteBuffer.allocateDirect(Math.max(1, n) * Float.BYTES).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        int from = halves.position();
        for (int i = 0; i < n; i++) {
            f.put(i, Float16.toFloat(halves.get(from + i)));
        }
        return f.limit(n);
    }

    /** Writes {@code floats[i] / divisor} rounded once to float16 into {@code halves}, for its remaining elements. */
    static void narrow(FloatBuffer floats, ShortBuffer halves, int divisor) {
        int from = halves.position();
        for (int i = 0; i < halves.remaining(); i++) {
            halves.put(from + i, Float16.fromDouble((double) floats.get(i) / divisor));
        }
    }

    /**
     * Copies {@code src}'s remaining elements into {@code dst} from its position (same element type,
     * {@code dst} with room for them); neither buffer's position changes.
     */
    static void copy(Buffer src, Buffer dst) {
        if (src instanceof FloatBuffer f) {
            ((FloatBuffer) dst.duplicate()).put(f.duplicate());
        } else if (src instanceof DoubleBuffer d) {
            ((DoubleBuffer) dst.duplicate()).put(d.duplicate());
        } else if (src instanceof ShortBuffer h) {
            ((ShortBuffer) dst.duplicate()).put(h.duplicate());
        } else if (src instanceof IntBuffer i) {
            ((IntBuffer) dst.duplicate()).put(i.duplicate());
        } else if (src instanceof LongBuffer l) {
            ((LongBuffer) dst.duplicate()).put(l.duplicate());
        } else {
            throw new IllegalArgumentException("unsupported buffer " + src.getClass().getName());
        }
    }

    /**
     * Divides the {@code remaining()} elements of {@code buffer} by {@code divisor}, in place: one
     * correctly rounded division for float32/float64, truncation toward zero for int32/int64 (see
     * {@link DType}). float16 averages are divided in {@link #narrow}.
     */
    static void divide(Buffer buffer, int divisor) {
        int from = buffer.position();
        int to = buffer.limit();
        switch (DType.of(buffer, "buffer")) {
            case FLOAT32 -> {
                FloatBuffer f = (FloatBuffer) buffer;
                for (int i = from; i < to; i++) {
                    f.put(i, f.get(i) / divisor);
                }
            }
            case FLOAT64 -> {
                DoubleBuffer d = (DoubleBuffer) buffer;
                for (int i = from; i < to; i++) {
                    d.put(i, d.get(i) / divisor);
                }
            }
            case INT32 -> {
                IntBuffer b = (IntBuffer) buffer;
                for (int i = from; i < to; i++) {
                    b.put(i, b.get(i) / divisor);
                }
            }
            case INT64 -> {
                LongBuffer b = (LongBuffer) buffer;
                for (int i = from; i < to; i++) {
                    b.put(i, b.get(i) / divisor);
                }
            }
            case FLOAT16 -> throw new IllegalStateException("float16 averages are divided while narrowing");
        }
    }
}
