package io.bluefog.collectives.engine;

import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The tensors the collectives accept, and zero-copy views of them for the transport: an ND4J CPU
 * array's {@code data().asNio()} is a direct buffer over its off-heap memory, so its typed view
 * (Float, Double, Short for float16, Int, Long) goes to the transport as is.
 */
public final class Tensors {
    /** The ND4J dtypes the collectives move, in the order of their header codes 1..5. */
    private static final DataType[] SUPPORTED = {DataType.FLOAT, DataType.DOUBLE, DataType.HALF, DataType.INT,
        DataType.LONG};
    private static final String[] LABELS = {"float32", "float64", "float16", "int32", "int64"};

    private Tensors() {
    }

    /**
     * The argument check of every collective's tensor: float32, float64, float16, int32 or int64
     * ({@link io.bluefog.comm.DType}), at least one element, at most 2^31 - 1 bytes (what one NIO
     * buffer, and so one transport message, addresses).
     *
     * @param x    the tensor
     * @param name the parameter's name, used in the messages
     * @throws NullPointerException     if {@code x} is null
     * @throws IllegalArgumentException naming {@code name} if the dtype is another, the tensor is
     *                                  empty or too large, or was closed (its memory may be freed)
     */
    public static void checkTensor(INDArray x, String name) {
        Objects.requireNonNull(x, name);
        if (x.wasClosed()) {
            throw new IllegalArgumentException(name + " was closed (its memory may already be freed)");
        }
        if (code(x.dataType()) == 0) {
            throw new IllegalArgumentException(name + " must be float32, float64, float16, int32 or int64, got "
                    + x.dataType());
        }
        if (x.isEmpty() || x.length() == 0) {
            throw new IllegalArgumentException(name + " must have at least one element, got shape "
                    + Arrays.toString(x.shape()));
        }
        if (x.length() * x.dataType().width() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + " has " + x.length() * x.dataType().width()
                    + " bytes; at most " + Integer.MAX_VALUE + " per tensor (split it)");
        }
    }

    /** @return the dtype's code in operation headers (1 float32, 2 float64, 3 float16, 4 int32, 5 int64), 0 if unsupported */
    static int code(DataType dtype) {
        for (int k = 0; k < SUPPORTED.length; k++) {
            if (SUPPORTED[k] == dtype) {
                return k + 1;
            }
        }
        return 0;
    }

    /** @return the label of a header dtype code ({@code "-"} for 0, no tensor) */
    static String label(int code) {
        return code >= 1 && code <= LABELS.length ? LABELS[code - 1] : "-";
    }

    /** @return the dtype of a header dtype code (1..5) */
    static DataType dataType(int code) {
        return SUPPORTED[code - 1];
    }

    /** @return the element width in bytes of a header dtype code (0 for none) */
    static int width(int code) {
        return code >= 1 && code <= SUPPORTED.length ? SUPPORTED[code - 1].width() : 0;
    }

    /** @return true if {@code x} owns its whole buffer in C order (then its buffer is the tensor) */
    public static boolean isContiguous(INDArray x) {
        return x.ordering() == 'c' && !x.isView() && x.offset() == 0 && x.data().length() == x.length();
    }

    /** @return {@code x} itself when contiguous, else a contiguous C-order copy (views, F order) */
    public static INDArray contiguous(INDArray x) {
        return isContiguous(x) ? x : x.dup('c');
    }

    /** @return a new uninitialized C-order array outside any workspace */
    static INDArray newArray(DataType dtype, long[] shape) {
        return Nd4j.createUninitializedDetached(dtype, 'c', shape);
    }

    /** @return the bytes of {@code a}'s elements {@code [from, from + count)} (a must be contiguous) */
    static ByteBuffer bytes(INDArray a, long from, long count) {
        int es = a.dataType().width();
        ByteBuffer bb = a.data().asNio().order(ByteOrder.nativeOrder());
        long start = (a.offset() + from) * es;
        bb.limit(Math.toIntExact(start + count * es));
        bb.position(Math.toIntExact(start));
        return bb;
    }

    /** @return a typed buffer (see {@link #typed}) over {@code a}'s elements {@code [from, from + count)} */
    static Buffer nio(INDArray a, long from, long count) {
        return typed(bytes(a, from, count), a.dataType());
    }

    /** @return the view of {@code bb} for {@code dtype}: Float, Double, Short (float16 bits), Int or Long buffer */
    static Buffer typed(ByteBuffer bb, DataType dtype) {
        return switch (dtype) {
            case FLOAT -> bb.asFloatBuffer();
            case DOUBLE -> bb.asDoubleBuffer();
            case HALF -> bb.asShortBuffer();
            case INT -> bb.asIntBuffer();
            case LONG -> bb.asLongBuffer();
            default -> throw new IllegalArgumentException("unsupported dtype " + dtype);
        };
    }

    /** @return a native-order byte view of all of {@code a}'s memory, to cut many ranges from with {@link #nio(ByteBuffer, DataType, long, long)} */
    static ByteBuffer base(INDArray a) {
        return bytes(a, 0, a.length());
    }

    /** @return a typed buffer over elements {@code [from, from + count)} of {@code base} (from {@link #base}) */
    static Buffer nio(ByteBuffer base, DataType dtype, long from, long count) {
        int es = dtype.width();
        ByteBuffer bb = base.duplicate().order(ByteOrder.nativeOrder());
        bb.limit(Math.toIntExact(base.position() + (from + count) * es));
        bb.position(Math.toIntExact(base.position() + from * es));
        return typed(bb, dtype);
    }

    /** @return a typed buffer over all of {@code a}'s elements */
    static Buffer nio(INDArray a) {
        return nio(a, 0, a.length());
    }

    /**
     * Copies {@code count} elements from {@code src[srcFrom..]} to {@code dst[dstFrom..]} (same dtype;
     * contiguous arrays, element offsets from each array's first element; the ranges may overlap).
     * One {@code Unsafe.copyMemory} between the arrays' native addresses where {@code sun.misc.Unsafe}
     * is present: a 4 KB copy took 450-650 ns through two {@code data().asNio()} views (each a JNI
     * call that makes a direct buffer) and 45-65 ns this way (measured on the 2-core VM), which is a
     * tenth of a small collective's whole cost; otherwise through those views.
     *
     * @throws IndexOutOfBoundsException if a range does not lie within its array's buffer
     */
    static void copy(INDArray src, long srcFrom, INDArray dst, long dstFrom, long count) {
        if (COPY_MEMORY == null) {
            bytes(dst, dstFrom, count).put(bytes(src, srcFrom, count));
            return;
        }
        int es = src.dataType().width();
        long srcAt = checkedRange(src, srcFrom, count, "source");
        long dstAt = checkedRange(dst, dstFrom, count, "destination");
        if (dst.dataType().width() != es) {
            throw new IllegalArgumentException("copy from " + src.dataType() + " to " + dst.dataType());
        }
        try {
            COPY_MEMORY.invokeExact(src.data().address() + srcAt * es, dst.data().address() + dstAt * es, count * es);
        } catch (Throwable t) {
            throw new IllegalStateException("Unsafe.copyMemory failed", t);
        }
    }

    /**
     * @return {@code a}'s buffer offset of element {@code from}, checked: [from, from + count) lies within
     *         the buffer a views (as {@code data().asNio()} covers it)
     */
    private static long checkedRange(INDArray a, long from, long count, String what) {
        if (a.wasClosed()) {
            throw new IllegalStateException("the " + what + " array of a copy was closed");
        }
        long at = a.offset() + from;
        long capacity = a.data().underlyingLength(); // a view's data() starts where the viewed buffer does
        if (from < 0 || count < 0 || at + count > capacity) {
            throw new IndexOutOfBoundsException(what + " elements [" + from + ", " + (from + count) + ") at buffer offset "
                    + a.offset() + " do not fit a buffer of " + capacity);
        }
        return at;
    }

    /** {@code sun.misc.Unsafe.copyMemory(long, long, long)} bound to the instance, or null where it is absent. */
    private static final java.lang.invoke.MethodHandle COPY_MEMORY = copyMemoryHandle();

    private static java.lang.invoke.MethodHandle copyMemoryHandle() {
        try {
            return UnsafeMethods.bound("copyMemory",
                    java.lang.invoke.MethodType.methodType(void.class, long.class, long.class, long.class));
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /** @return the native byte address of {@code a}'s first element (a CPU array) */
    static long address(INDArray a) {
        return a.data().address() + a.offset() * a.dataType().width();
    }

    /** @return true if {@code a} and {@code b} start at the same native address (reshaped views of one array do) */
    static boolean sameMemory(INDArray a, INDArray b) {
        return address(a) == address(b);
    }

    /** @return a flat (rank-1) view sharing {@code a}'s buffer (a must be contiguous) */
    static INDArray flat(INDArray a) {
        return a.rank() == 1 ? a : a.reshape('c', new long[] {a.length()});
    }
}
