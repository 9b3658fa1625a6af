package io.bluefog.mpi;

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
     * @return the buffer itself when its position is 0, otherwise a zero-copy view starting at it
     * @throws IllegalArgumentException if {@code buffer} (named {@code name}) is null, not direct,
     *     or neither a FloatBuffer nor a DoubleBuffer
     */
    static Buffer view(Buffer buffer, String name) {
        check(buffer, name);
        return buffer.position() == 0 ? buffer : buffer.slice();
    }

    static void check(Buffer buffer, String name) {
        if (buffer == null) {
            throw new IllegalArgumentException(name + " is null");
        }
        if (!(buffer instanceof FloatBuffer) && !(buffer instanceof DoubleBuffer)) {
            throw new IllegalArgumentException(
                    name + " must be a FloatBuffer or DoubleBuffer, got " + buffer.getClass().getName());
        }
        if (!buffer.isDirect()) {
            throw new IllegalArgumentException(name + " must be a direct buffer (MPI reads native memory), got a heap buffer");
        }
    }

    /** @throws IllegalArgumentException if the two buffers' dtypes differ */
    static void sameDtype(Buffer a, String nameA, Buffer b, String nameB) {
        if (dtypeName(a) != dtypeName(b)) {
            throw new IllegalArgumentException(
                    nameA + " is " + dtypeName(a) + " but " + nameB + " is " + dtypeName(b) + "; they must match");
        }
    }

    static Datatype datatype(Buffer buffer) {
        return buffer instanceof FloatBuffer ? MPI.FLOAT : MPI.DOUBLE;
    }

    static String dtypeName(Buffer buffer) {
        return buffer instanceof FloatBuffer ? "float32" : "float64";
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
