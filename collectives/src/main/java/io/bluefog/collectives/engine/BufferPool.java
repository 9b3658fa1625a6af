package io.bluefog.collectives.engine;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Flat off-heap arrays reused across calls, keyed by dtype and exact length: training repeats the
 * same sizes every step, so after the first step receives and fusion buffers allocate nothing.
 * Used only by the communication thread (not thread-safe).
 */
final class BufferPool {
    /** Arrays kept per (dtype, length); more are dropped to the garbage collector. */
    private static final int MAX_PER_KEY = 16;
    private final Map<Long, ArrayDeque<INDArray>> free = new HashMap<>();

    private static long key(DataType dtype, long length) {
        return length * 8 + Tensors.code(dtype);
    }

    INDArray take(DataType dtype, long length) {
        ArrayDeque<INDArray> q = free.get(key(dtype, length));
        INDArray a = q == null ? null : q.pollFirst();
        return a != null ? a : Tensors.newArray(dtype, new long[] {length});
    }

    void give(INDArray a) {
        ArrayDeque<INDArray> q = free.computeIfAbsent(key(a.dataType(), a.length()), k -> new ArrayDeque<>());
        if (q.size() < MAX_PER_KEY) {
            q.addFirst(a);
        }
    }

    void clear() {
        free.clear();
    }
}
