package io.bluefog.collectives.engine;

import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Zero-copy views of ND4J arrays for the transport: an ND4J CPU array's {@code data().asNio()} is
 * a direct buffer over its off-heap memory, so its Float/Double view goes to the transport as is.
 */
public final class Tensors {
    private Tensors() {
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

    /** @return a Float/DoubleBuffer over {@code a}'s elements {@code [from, from + count)} */
    static Buffer nio(INDArray a, long from, long count) {
        ByteBuffer bb = bytes(a, from, count);
        return a.dataType() == DataType.DOUBLE ? bb.asDoubleBuffer() : bb.asFloatBuffer();
    }

    /** @return a native-order byte view of all of {@code a}'s memory, to cut many ranges from with {@link #nio(ByteBuffer, DataType, long, long)} */
    static ByteBuffer base(INDArray a) {
        return bytes(a, 0, a.length());
    }

    /** @return a Float/DoubleBuffer over elements {@code [from, from + count)} of {@code base} (from {@link #base}) */
    static Buffer nio(ByteBuffer base, DataType dtype, long from, long count) {
        int es = dtype.width();
        ByteBuffer bb = base.duplicate().order(ByteOrder.nativeOrder());
        bb.limit(Math.toIntExact(base.position() + (from + count) * es));
        bb.position(Math.toIntExact(base.position() + from * es));
        return dtype == DataType.DOUBLE ? bb.asDoubleBuffer() : bb.asFloatBuffer();
    }

    /** @return a Float/DoubleBuffer over all of {@code a}'s elements */
    static Buffer nio(INDArray a) {
        return nio(a, 0, a.length());
    }

    /** Copies {@code count} elements from {@code src[srcFrom..]} to {@code dst[dstFrom..]} (same dtype). */
    static void copy(INDArray src, long srcFrom, INDArray dst, long dstFrom, long count) {
        bytes(dst, dstFrom, count).put(bytes(src, srcFrom, count));
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
