package io.bluefog.collectives.window;

import io.bluefog.collectives.engine.SharedFiles;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.indexer.DoubleIndexer;
import org.bytedeco.javacpp.indexer.FloatIndexer;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One rank's send slots of one window in a memory-mapped file under {@code /dev/shm}, shared with
 * the ranks on the same host that map it: the shared-memory payload path of {@link Windows}.
 *
 * <p>Layout (native byte order): a long nonce at byte 0 (checked by every rank that maps the file, so
 * that a stale or foreign file of the same name is never used), then per out-neighbor of the owner
 * (ascending) a long count of the slot writes it has applied ({@link #applied}), then one int
 * reference count per slot, then the slots, each {@code count} elements of the window's dtype,
 * 64-byte aligned. The owner writes w&middot;tensor into a slot whose count is 0 and sets the count to the number
 * of destinations that will adopt it ({@link #take}); each destination decrements it when it lets
 * the slot go ({@link #release}). Counts are atomic across processes (a {@link VarHandle} view of the
 * mapping: volatile and compare-and-set accesses on aligned ints of a direct buffer).
 *
 * <p>Lifecycle: the owner creates the file at {@code winCreate} ({@link #create}), its out-neighbors
 * map it ({@link #map}), and the owner unlinks it ({@link #unlink}) once every rank has mapped it,
 * still inside {@code winCreate}; the mappings stay valid until they are garbage collected, and no
 * file is left under {@code /dev/shm}, even after a crash later in the job.
 */
final class SharedSlots {
    /** File name prefix; a file is {@code bluefog-win-<pid>-<nonce in hex>}. */
    static final String PREFIX = "bluefog-win-";

    private static final VarHandle INTS = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());
    private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());
    private static final long ALIGN = 64;

    final Path path;
    final long nonce;
    final int slots;
    /** The owner's out-degree: how many applied counters the file has. */
    final int outDegree;
    final DataType dtype;
    final long count;
    private final MappedByteBuffer map;
    /** Per slot an array of the window's shape over the slot's memory (C order). */
    private final INDArray[] arrays;
    private int next;

    private SharedSlots(Path path, long nonce, int outDegree, DataType dtype, long[] shape, MappedByteBuffer map) {
        this.path = path;
        this.nonce = nonce;
        this.outDegree = outDegree;
        this.slots = Windows.slotCount(outDegree);
        this.dtype = dtype;
        this.count = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        this.map = map;
        this.arrays = new INDArray[slots];
        long slotBytes = slotBytes(dtype, count);
        long first = dataOffset(outDegree);
        for (int s = 0; s < slots; s++) {
            ByteBuffer slice = map.slice(Math.toIntExact(first + s * slotBytes), Math.toIntExact(count * dtype.width()))
                    .order(ByteOrder.nativeOrder());
            Pointer p;
            DataBuffer buffer;
            if (dtype == DataType.FLOAT) {
                FloatPointer fp = new FloatPointer(slice.asFloatBuffer());
                p = fp;
                buffer = Nd4j.createBuffer(p, dtype, count, FloatIndexer.create(fp));
            } else {
                DoublePointer dp = new DoublePointer(slice.asDoubleBuffer());
                p = dp;
                buffer = Nd4j.createBuffer(p, dtype, count, DoubleIndexer.create(dp));
            }
            arrays[s] = Nd4j.create(buffer, shape, Nd4j.getStrides(shape, 'c'), 0, 'c');
        }
    }

    private static long slotBytes(DataType dtype, long count) {
        return (count * dtype.width() + ALIGN - 1) / ALIGN * ALIGN;
    }

    private static long countsOffset(int outDegree) {
        return 8 + 8L * outDegree;
    }

    private static long dataOffset(int outDegree) {
        return (countsOffset(outDegree) + 4L * Windows.slotCount(outDegree) + ALIGN - 1) / ALIGN * ALIGN;
    }

    private static long fileBytes(int outDegree, DataType dtype, long count) {
        return dataOffset(outDegree) + Windows.slotCount(outDegree) * slotBytes(dtype, count);
    }

    /** @return the file of the rank with process id {@code pid} and nonce {@code nonce} */
    static Path pathOf(long pid, long nonce) {
        return SharedFiles.path(PREFIX, pid, nonce);
    }

    /**
     * Creates and maps a new file of {@link Windows#slotCount}{@code (outDegree)} free slots for arrays
     * of {@code dtype} and {@code shape}.
     *
     * @param nonce a random number below 2^52 (it travels as a double), written at the file's start
     * @throws IOException if {@code /dev/shm} is missing, not writable or lacks the space (checked, and
     *                     every page allocated, before the file is used)
     */
    static SharedSlots create(long pid, long nonce, int outDegree, DataType dtype, long[] shape) throws IOException {
        long count = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        Path path = pathOf(pid, nonce);
        // The counts start at 0: the file is new, so zero-filled.
        MappedByteBuffer map = SharedFiles.create(path, fileBytes(outDegree, dtype, count), nonce, "window slots");
        return new SharedSlots(path, nonce, outDegree, dtype, shape, map);
    }

    /**
     * Maps a peer's file made by {@link #create} with the same arguments.
     *
     * @throws IOException if it does not exist (e.g. the peer is on another host), has another size,
     *                     or does not start with {@code nonce}
     */
    static SharedSlots map(long pid, long nonce, int outDegree, DataType dtype, long[] shape) throws IOException {
        long count = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        Path path = pathOf(pid, nonce);
        return new SharedSlots(path, nonce, outDegree, dtype, shape,
                SharedFiles.open(path, fileBytes(outDegree, dtype, count), nonce));
    }

    /** Removes the file (the mappings stay valid); idempotent. */
    void unlink() {
        SharedFiles.unlink(path);
    }

    /** @return the array over slot {@code s} */
    INDArray array(int s) {
        return arrays[s];
    }

    /**
     * Owner side: claims a free slot for {@code uses} destinations.
     *
     * @return the slot's index, or -1 if every slot is still held (the caller then sends the payload
     *         as a message)
     */
    synchronized int take(int uses) {
        for (int i = 0; i < slots; i++) {
            int s = (next + i) % slots;
            if ((int) INTS.getVolatile(map, countOffset(s)) == 0 && INTS.compareAndSet(map, countOffset(s), 0, uses)) {
                next = (s + 1) % slots;
                return s;
            }
        }
        return -1;
    }

    /** Owner side: gives back {@code uses} claims of a slot taken by {@link #take} that will not be sent. */
    void untake(int s, int uses) {
        INTS.getAndAdd(map, countOffset(s), -uses);
    }

    /** Destination side: lets slot {@code s} go (the owner may reuse it once every destination has). */
    void release(int s) {
        INTS.getAndAdd(map, countOffset(s), -1);
    }

    /** @return slot {@code s}'s reference count as seen now */
    int references(int s) {
        return (int) INTS.getVolatile(map, countOffset(s));
    }

    /**
     * Destination side: counts one more slot write applied by the owner's out-neighbor number
     * {@code j} (its index among the owner's out-neighbors, ascending); the owner's write completes
     * when this count reaches it ({@link #applied}), with no confirmation message.
     */
    void markApplied(int j) {
        LONGS.getAndAdd(map, 8 + 8 * j, 1L);
    }

    /** Owner side: @return how many slot writes out-neighbor number {@code j} has applied */
    long applied(int j) {
        return (long) LONGS.getVolatile(map, 8 + 8 * j);
    }

    private int countOffset(int s) {
        return Math.toIntExact(countsOffset(outDegree) + 4L * s);
    }
}
