package io.bluefog.collectives.engine;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.ref.Cleaner;
import java.lang.ref.WeakReference;
import java.lang.reflect.Constructor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The arrays that the result-returning forms ({@code allreduce(x)}, {@code neighborAllreduce(x)},
 * {@code broadcast}, {@code allgather}, ...) hand to their callers, over memory that is reused
 * once the caller is done with it, so that a steady-state call touches no fresh off-heap memory
 * (first-touch page faults cost more than the exchange itself at 25 to 100 MB).
 *
 * <p>Ownership does not change: a result is an ordinary, closeable C-order array that stays valid,
 * and is never written by bluefog-jvm, for as long as the caller holds it (or any view of it) and
 * has not closed it. Its memory belongs to a pooled <em>owner</em> array; the result wraps that
 * memory without owning it. The memory returns to the pool when the result's buffer was closed
 * ({@code result.close()}, the prompt way) or has become unreachable (found at a later call of the
 * same size); views share the result's buffer and keep it reachable. Until then a later call of the
 * same dtype and length gets other memory: at most {@link #MAX_LEASED_PER_KEY} results per (dtype,
 * length) come from the pool, further ones are plain new arrays, as before the pool.
 *
 * <p>The owner of a result outlives the pool if needed: when the pool is cleared while a result
 * is held, a {@link Cleaner} action is registered on the result's buffer then; it holds the owner
 * (and the template buffer of the result's buffer) and closes the owner once the result is unreachable. (Registered at clear, not at every call: a
 * registration per call was one more object and reference for the garbage collector per result,
 * and a Cleaner-thread action per result, for a case that only a cleared pool has.) Used only by the thread that holds the engine's execution lock (not thread-safe), except
 * for that action, which synchronizes on its lease.
 *
 * <p>Each result is a new array object over a new buffer object over the pooled memory; the
 * buffer object is what a caller's {@code close()} marks closed and what becomes unreachable when
 * the result is dropped, so no two results ever share one (closing an earlier result, or any handle
 * of it, again is a no-op on the closed object and never reaches a later result). ND4J's buffer
 * constructor sets up a native record and a deallocator registration per buffer (about 1 to 1.5
 * microseconds); on the CPU backend each result's buffer is instead a copy of a template buffer
 * that the pool keeps per pooled memory and never hands out ({@link BufferCopies}), reopened when
 * a closed result's memory is taken back. Elsewhere each result's buffer is built by ND4J's
 * constructor.
 *
 * <p>ND4J's general array constructor
 * ({@code Nd4j.create(buffer, shape, strides, offset, order)}) builds a new native shape-information
 * buffer for every array, about 8 to 10 microseconds, more than a whole 4 KB exchange; so the
 * shape information of the last (dtype, shape) of each pool key is built once that way and shared
 * by later results of that shape (ND4J never writes an array's shape information in place; its
 * own shape cache shares them the same way), through the backend's array constructor that takes
 * a data buffer and a ready shape information ({@link #FAST_CONSTRUCTOR}; about 1 microsecond).
 * If the backend has no such constructor, or the one found does not reproduce the general
 * constructor's array, every result is built the general way.
 */
final class ResultPool {
    /** Results per (dtype, length) on pooled memory at one time; more callers holding results get new arrays. */
    static final int MAX_LEASED_PER_KEY = 4;
    private static final Cleaner CLEANER = Cleaner.create();

    /** Distinct (dtype, length) keys whose shape information is kept; more clear the cache. */
    static final int MAX_SHAPES = 256;
    /**
     * The backend's public constructor {@code (DataBuffer data, <shape-information buffer class>
     * shapeInfo, long[] javaShapeInfo)} (the CPU backend's {@code NDArray} has it), as
     * {@code (DataBuffer, DataBuffer, long[]) -> INDArray}; null if absent or not equivalent to the
     * general constructor (then results are built the general way).
     */
    static final MethodHandle FAST_CONSTRUCTOR = findFastConstructor();

    private final Map<Long, ArrayDeque<Slot>> free = new HashMap<>();
    /**
     * The last pool key looked up, with its free queue and its shape information (null until built):
     * a training loop asks for the same (dtype, length) on every call, and the two map lookups with
     * a boxed key were about 7% of a 4 KB allgather's samples in a loop of them (JFR, 2 ranks).
     */
    private long lastKey = -1;
    private ArrayDeque<Slot> lastFree;
    private ShapeInfo lastShape;
    private final List<Lease> leased = new ArrayList<>();
    /** Per pool key: the shape information of the last shape built for it. */
    private final Map<Long, ShapeInfo> shapes = new HashMap<>();
    /** Results built with {@link #FAST_CONSTRUCTOR}, for tests. */
    long fastBuilt;
    /** Result buffers made by {@link BufferCopies#copy}, for tests. */
    long buffersCopied;
    /** Owners of this pool's results closed by the Cleaner after the pool was cleared, for tests. */
    final AtomicLong orphansClosed = new AtomicLong();

    /** Shape information of one C-order (dtype, shape), taken from an array built the general way. */
    private record ShapeInfo(long[] shape, DataBuffer buffer, long[] java) {
    }

    /**
     * Pooled memory of one (dtype, length): the owner array, and a buffer over its memory that is
     * never handed out or closed, the template of the results' buffers ({@link BufferCopies}).
     */
    private record Slot(INDArray owner, DataBuffer template) {
        static Slot of(DataType dtype, long length) {
            INDArray owner = Tensors.newArray(dtype, new long[] {length});
            return new Slot(owner, Nd4j.createBuffer(owner.data().pointer(), dtype, length, owner.data().indexer()));
        }
    }

    /** One result on pooled memory. */
    private static final class Lease {
        final Slot slot;
        final long key;
        final WeakReference<DataBuffer> result;
        /** The pool's {@link #orphansClosed}. */
        final AtomicLong closedCount;
        /** Guarded by this: the owner went back to the pool, or was closed. */
        boolean settled;
        /** Guarded by this: the pool was cleared while the result was held. */
        boolean orphaned;

        Lease(Slot slot, long key, DataBuffer result, AtomicLong closedCount) {
            this.slot = slot;
            this.closedCount = closedCount;
            this.key = key;
            this.result = new WeakReference<>(result);
        }

        /** The Cleaner's action: the result is unreachable. */
        synchronized void collected() {
            if (orphaned && !settled) {
                settled = true;
                slot.owner.close();
                closedCount.incrementAndGet();
            }
        }
    }

    private static long key(DataType dtype, long length) {
        return length * 8 + Tensors.code(dtype);
    }

    /** @return a C-order array of {@code shape} for a caller to own (see the class comment); contents undefined */
    INDArray take(DataType dtype, long[] shape) {
        reclaim();
        long length = 1;
        for (long d : shape) {
            length *= d;
        }
        if (length == 0) {
            return Tensors.newArray(dtype, shape);
        }
        long key = key(dtype, length);
        Slot slot = freeQueue(key).pollFirst();
        if (slot == null) {
            int held = 0;
            for (Lease l : leased) {
                held += l.key == key ? 1 : 0;
            }
            if (held >= MAX_LEASED_PER_KEY) {
                return Tensors.newArray(dtype, shape);
            }
            slot = Slot.of(dtype, length);
        }
        DataBuffer buffer;
        if (BufferCopies.AVAILABLE) {
            buffer = BufferCopies.copy(slot.template);
            buffersCopied++;
        } else {
            buffer = Nd4j.createBuffer(slot.owner.data().pointer(), dtype, length, slot.owner.data().indexer());
        }
        INDArray result = wrap(buffer, key, shape);
        leased.add(new Lease(slot, key, buffer, orphansClosed));
        return result;
    }

    /** @return the queue of free memory of pool key {@code key} (made when first needed) */
    private ArrayDeque<Slot> freeQueue(long key) {
        if (key != lastKey) {
            lastFree = free.computeIfAbsent(key, k -> new ArrayDeque<>());
            lastShape = shapes.get(key);
            lastKey = key;
        }
        return lastFree;
    }

    /** @return a C-order array of {@code shape} over {@code buffer} (see the class comment) */
    private INDArray wrap(DataBuffer buffer, long key, long[] shape) {
        ShapeInfo info = key == lastKey ? lastShape : shapes.get(key);
        if (FAST_CONSTRUCTOR != null && info != null && Arrays.equals(info.shape, shape)) {
            try {
                INDArray a = (INDArray) FAST_CONSTRUCTOR.invokeExact(buffer, info.buffer, info.java);
                fastBuilt++;
                return a;
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException("building a result array failed", t);
            }
        }
        INDArray a = Nd4j.create(buffer, shape, Nd4j.getStrides(shape, 'c'), 0, 'c');
        if (FAST_CONSTRUCTOR != null) {
            if (shapes.size() >= MAX_SHAPES) {
                shapes.clear();
                lastShape = null;
            }
            ShapeInfo built = new ShapeInfo(shape.clone(), a.shapeInfoDataBuffer(), a.shapeInfoJava());
            shapes.put(key, built);
            if (key == lastKey) {
                lastShape = built;
            }
        }
        return a;
    }

    private static MethodHandle findFastConstructor() {
        long[] shape = {2, 3};
        INDArray probe = Tensors.newArray(DataType.FLOAT, new long[] {6});
        try {
            DataBuffer data = probe.data();
            INDArray general = Nd4j.create(data, shape, Nd4j.getStrides(shape, 'c'), 0, 'c');
            DataBuffer info = general.shapeInfoDataBuffer();
            for (Constructor<?> c : general.getClass().getConstructors()) {
                Class<?>[] p = c.getParameterTypes();
                if (p.length == 3 && p[0] == DataBuffer.class && DataBuffer.class.isAssignableFrom(p[1])
                        && p[1].isInstance(info) && p[2] == long[].class) {
                    MethodHandle h = MethodHandles.publicLookup().unreflectConstructor(c).asType(
                            MethodType.methodType(INDArray.class, DataBuffer.class, DataBuffer.class, long[].class));
                    INDArray fast = (INDArray) h.invokeExact(data, info, general.shapeInfoJava());
                    boolean same = Arrays.equals(fast.shapeInfoJava(), general.shapeInfoJava()) && !fast.isView()
                            && fast.data() == data && fast.dataType() == DataType.FLOAT && fast.ordering() == 'c'
                            && Arrays.equals(fast.shape(), shape);
                    return same ? h : null;
                }
            }
            return null;
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {
            return null; // the general constructor then builds every result
        } finally {
            probe.close();
        }
    }

    /** Takes back the memory of every result its caller closed or dropped. */
    private void reclaim() {
        for (Iterator<Lease> it = leased.iterator(); it.hasNext(); ) {
            Lease l = it.next();
            DataBuffer b = l.result.get();
            if (b == null || b.wasClosed()) {
                synchronized (l) {
                    l.settled = true;
                }
                it.remove();
                if (b != null && BufferCopies.AVAILABLE) { // the result was a copy of the template
                    BufferCopies.reopen(l.slot.template); // the copy's close closed the shared native record
                }
                ArrayDeque<Slot> q = l.key == lastKey ? lastFree : free.computeIfAbsent(l.key, k -> new ArrayDeque<>());
                if (q.size() < MAX_LEASED_PER_KEY) {
                    q.addFirst(l.slot);
                } else {
                    l.slot.owner.close();
                }
            }
        }
    }

    /** Frees the pooled memory; results still held keep theirs until they are unreachable. */
    void clear() {
        reclaim();
        for (ArrayDeque<Slot> q : free.values()) {
            for (Slot a : q) {
                a.owner.close();
            }
        }
        free.clear();
        shapes.clear();
        lastKey = -1;
        lastFree = null;
        lastShape = null;
        for (Lease l : leased) {
            DataBuffer held = l.result.get(); // strong while registering, so the action cannot run before
            if (held == null || held.wasClosed()) {
                l.slot.owner.close(); // released since reclaim() above
            } else {
                synchronized (l) {
                    l.orphaned = true;
                }
                CLEANER.register(held, l::collected);
            }
        }
        leased.clear();
    }
}
