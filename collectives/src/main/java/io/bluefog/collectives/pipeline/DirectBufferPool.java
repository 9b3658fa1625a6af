package io.bluefog.collectives.pipeline;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.LongBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Direct native-order float64 and int64 buffers reused across micro-batches and iterations, keyed by
 * exact element count (a pipeline moves the same few shapes every iteration). Thread-safe.
 */
final class DirectBufferPool {
    /** Buffers kept per element count; more are dropped for the garbage collector. */
    static final int MAX_PER_SIZE = 64;
    private final Map<Integer, ArrayDeque<DoubleBuffer>> doubles = new HashMap<>();
    private final Map<Integer, ArrayDeque<LongBuffer>> longs = new HashMap<>();
    private long allocations;

    synchronized DoubleBuffer doubles(int count) {
        DoubleBuffer b = doubles.computeIfAbsent(count, c -> new ArrayDeque<>()).pollFirst();
        if (b == null) {
            allocations++;
            b = ByteBuffer.allocateDirect(count * Double.BYTES).order(ByteOrder.nativeOrder()).asDoubleBuffer();
        }
        b.clear();
        return b;
    }

    synchronized LongBuffer longs(int count) {
        LongBuffer b = longs.computeIfAbsent(count, c -> new ArrayDeque<>()).pollFirst();
        if (b == null) {
            allocations++;
            b = ByteBuffer.allocateDirect(count * Long.BYTES).order(ByteOrder.nativeOrder()).asLongBuffer();
        }
        b.clear();
        return b;
    }

    synchronized void release(DoubleBuffer b) {
        ArrayDeque<DoubleBuffer> q = doubles.computeIfAbsent(b.capacity(), c -> new ArrayDeque<>());
        if (q.size() < MAX_PER_SIZE) {
            q.addFirst(b);
        }
    }

    synchronized void release(LongBuffer b) {
        ArrayDeque<LongBuffer> q = longs.computeIfAbsent(b.capacity(), c -> new ArrayDeque<>());
        if (q.size() < MAX_PER_SIZE) {
            q.addFirst(b);
        }
    }

    /** @return direct buffers allocated so far (the rest of the requests were served from the pool) */
    synchronized long allocations() {
        return allocations;
    }
}
