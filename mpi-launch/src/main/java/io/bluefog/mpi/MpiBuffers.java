package io.bluefog.mpi;

import io.bluefog.comm.DType;
import java.nio.Buffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
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

    static Datatype datatype(Buffer buffer) {
        return buffer instanceof FloatBuffer ? MPI.FLOAT : MPI.DOUBLE;
    }

    /** Divides the {@code remaining()} elements of {@code buffer} by {@code divisor}, in place. */
    static void divide(Buffer buffer, int divisor) {
        int from = buffer.position();
        int to = buffer.limit();
        if (buffer instanceof FloatBuffer f) {
            for (int i = from; i < to; i++) {
                f.put(i, f.get(i) / divisor);
            }
        } else {
            DoubleBuffer d = (DoubleBuffer) buffer;
            for (int i = from; i < to; i++) {
                d.put(i, d.get(i) / divisor);
            }
        }
    }
}
