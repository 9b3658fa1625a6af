package io.bluefog.collectives.engine;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The memory that the ranks of one machine share for {@link SharedMemoryAllreduce}: a file under
 * {@code /dev/shm} that every rank maps, holding chunk-sized slots and the counters that hand them
 * over. Made collectively by {@link #open} when every rank of the communicator runs on one machine.
 *
 * <p>Layout (native byte order, every counter a long on its own 64-byte line so that no two ranks
 * write one cache line): line 0 a nonce (every rank checks it, so a stale or foreign file is never
 * used); then four counter arrays, each counting chunks since the segment was made:
 * <ul>
 *   <li>{@code written(r, q)}: chunks of block q that rank r has put into its slots for rank q;</li>
 *   <li>{@code taken(r, q)}: of those, how many rank q has summed (their slots are free again);</li>
 *   <li>{@code published(r)}: finished chunks of block r that rank r has put into its result slots;</li>
 *   <li>{@code copied(r, q)}: of those, how many rank q has copied out.</li>
 * </ul>
 * Then the data, {@link #SLOTS} slots of {@link #chunkBytes} per ordered pair (r, q) and per rank's
 * results. Chunk k of a counter's sequence lives in slot {@code k mod SLOTS}. A writer stores a
 * chunk, then publishes the counter with release semantics; a reader reads the counter with
 * acquire semantics, then the chunk ({@link VarHandle} views of the mapping): the usual
 * single-producer single-consumer ring, across processes.
 *
 * <p>Lifecycle as for the windows' shared slots: rank 0 creates the file, the others map it, rank 0
 * unlinks it once every rank has mapped it (the mappings stay valid until they are garbage
 * collected), so no file is left under {@code /dev/shm}, even after a crash.
 */
final class ReduceSegment {
    private static final Logger LOG = LoggerFactory.getLogger(ReduceSegment.class);
    /** File name prefix: {@code bluefog-allreduce-<pid of rank 0>-<nonce in hex>}. */
    static final String PREFIX = "bluefog-allreduce-";
    /**
     * Slots per ring: the next chunks can be written while one is summed or copied, and a rank
     * delayed by a few chunks does not stall the others.
     */
    static final int SLOTS = 4;
    /** Most ranks that share a segment (its slots grow as the square of the rank count). */
    static final int MAX_RANKS = 16;
    /**
     * Most bytes of slots a segment holds; more ranks get smaller chunks (n = 2: the whole 1 MiB
     * pipeline chunk, 24 MiB of slots). Half of Docker's default 64 MiB {@code /dev/shm}.
     */
    static final long MAX_DATA_BYTES = 32L << 20;
    private static final long LINE = 64;
    private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

    final int size;
    final long chunkBytes;
    private final MappedByteBuffer map;
    private final long dataOffset;
    /** Native address of the mapping's first byte (the mapping lives as long as this object). */
    private final long address;
    /** Slot views, each positioned at its slot's start: pair[r][q][s] and result[r][s]. */
    private final ByteBuffer[][][] pair;
    private final ByteBuffer[][] result;

    private ReduceSegment(int size, long chunkBytes, MappedByteBuffer map) {
        this.size = size;
        this.chunkBytes = chunkBytes;
        this.map = map;
        this.dataOffset = dataOffset(size);
        this.address = new org.bytedeco.javacpp.BytePointer(map.duplicate().position(0)).address();
        pair = new ByteBuffer[size][size][SLOTS];
        result = new ByteBuffer[size][SLOTS];
        for (int r = 0; r < size; r++) {
            for (int s = 0; s < SLOTS; s++) {
                result[r][s] = view(resultSlotOffset(r, s));
                for (int q = 0; q < size; q++) {
                    pair[r][q][s] = q == r ? null : view(pairSlotOffset(r, q, s));
                }
            }
        }
    }

    private ByteBuffer view(long offset) {
        return map.duplicate().order(ByteOrder.nativeOrder()).position(Math.toIntExact(offset));
    }

    /** @return the byte offset in the file of slot {@code k mod SLOTS} from rank r to rank q */
    private long pairSlotOffset(int r, int q, long k) {
        return dataOffset + (((long) r * size + q) * SLOTS + k % SLOTS) * chunkBytes;
    }

    /** @return the byte offset in the file of rank r's result slot {@code k mod SLOTS} */
    private long resultSlotOffset(int r, long k) {
        return dataOffset + (((long) size * size + r) * SLOTS + k % SLOTS) * chunkBytes;
    }

    /**
     * The chunk size of a segment for {@code size} ranks: the pipeline chunk, or less so that the
     * slots fit {@link #MAX_DATA_BYTES}; a multiple of 64 bytes (whole cache lines, any element width).
     */
    static long chunkBytes(int size, long pipelineChunkBytes) {
        long cap = MAX_DATA_BYTES / ((long) size * size + size) / SLOTS;
        return Math.max(LINE, Math.min(pipelineChunkBytes, cap) / LINE * LINE);
    }

    private static long dataOffset(int size) {
        long lines = 1 + 3L * size * size + size;
        return (lines * LINE + 4095) / 4096 * 4096;
    }

    static long fileBytes(int size, long chunkBytes) {
        return dataOffset(size) + ((long) size * size + size) * SLOTS * chunkBytes;
    }

    // ---- counters ----------------------------------------------------------------------------

    private long line(long index) {
        return (1 + index) * LINE;
    }

    private long writtenAt(int r, int q) {
        return line((long) r * size + q);
    }

    private long takenAt(int r, int q) {
        return line((long) size * size + (long) r * size + q);
    }

    private long copiedAt(int r, int q) {
        return line(2L * size * size + (long) r * size + q);
    }

    private long publishedAt(int r) {
        return line(3L * size * size + r);
    }

    private long get(long at) {
        return (long) LONGS.getAcquire(map, Math.toIntExact(at));
    }

    private void set(long at, long value) {
        LONGS.setRelease(map, Math.toIntExact(at), value);
    }

    long written(int r, int q) {
        return get(writtenAt(r, q));
    }

    void setWritten(int r, int q, long chunks) {
        set(writtenAt(r, q), chunks);
    }

    long taken(int r, int q) {
        return get(takenAt(r, q));
    }

    void setTaken(int r, int q, long chunks) {
        set(takenAt(r, q), chunks);
    }

    long published(int r) {
        return get(publishedAt(r));
    }

    void setPublished(int r, long chunks) {
        set(publishedAt(r), chunks);
    }

    long copied(int r, int q) {
        return get(copiedAt(r, q));
    }

    void setCopied(int r, int q, long chunks) {
        set(copiedAt(r, q), chunks);
    }

    /** @return the slot of chunk number {@code k} (since the segment was made) from rank r to rank q, positioned at its start */
    ByteBuffer pairSlot(int r, int q, long k) {
        return pair[r][q][(int) (k % SLOTS)];
    }

    /** @return the result slot of rank r's finished chunk number {@code k}, positioned at its start */
    ByteBuffer resultSlot(int r, long k) {
        return result[r][(int) (k % SLOTS)];
    }

    /** @return the native address of {@link #pairSlot}{@code (r, q, k)}'s first byte */
    long pairSlotAddress(int r, int q, long k) {
        return address + pairSlotOffset(r, q, k);
    }

    /** @return the native address of {@link #resultSlot}{@code (r, k)}'s first byte */
    long resultSlotAddress(int r, long k) {
        return address + resultSlotOffset(r, k);
    }

    // ---- making one --------------------------------------------------------------------------

    /**
     * Makes the segment of {@code ctx}'s ranks, or finds that it cannot be made. Collective over
     * every rank of {@code ctx}, which must all run on one machine: rank 0 creates the file and
     * broadcasts its name, the others map it and check its nonce, all agree (allreduce) whether
     * every rank succeeded, and rank 0 unlinks the file.
     *
     * @return the segment, or null on every rank if any rank could not create or map it, e.g. when
     *         {@code /dev/shm} lacks the space (logged once; the caller then uses messages)
     */
    static ReduceSegment open(ExecutionContext ctx, long chunkBytes) {
        int size = ctx.size;
        long bytes = fileBytes(size, chunkBytes);
        DoubleBuffer name = Coordinator.direct(2); // pid, nonce (below 2^52, exact as doubles); pid -1: failed
        ReduceSegment segment = null;
        Path path = null;
        String problem = null;
        if (ctx.rank == 0) {
            long pid = ProcessHandle.current().pid();
            long nonce = SharedFiles.nonce();
            path = SharedFiles.path(PREFIX, pid, nonce);
            try {
                // Every page allocated now: a full /dev/shm fails here, not in the middle of an allreduce.
                // The counters start at 0: the file is new, so zero-filled.
                segment = new ReduceSegment(size, chunkBytes, SharedFiles.create(path, bytes, nonce,
                        "shared allreduce segment"));
            } catch (IOException | RuntimeException e) {
                problem = e.toString();
                pid = -1;
            }
            name.put(0, pid).put(1, nonce);
        }
        ctx.comm.broadcast(name, 0);
        long pid = (long) name.get(0);
        long nonce = (long) name.get(1);
        if (ctx.rank != 0 && pid >= 0) {
            try {
                segment = new ReduceSegment(size, chunkBytes, SharedFiles.open(SharedFiles.path(PREFIX, pid, nonce),
                        bytes, nonce));
            } catch (IOException | RuntimeException e) {
                problem = e.toString();
            }
        }
        DoubleBuffer ok = Coordinator.direct(1);
        ok.put(0, segment != null ? 1 : 0);
        ctx.comm.allreduce(ok, io.bluefog.comm.ReduceOp.MIN);
        if (path != null) {
            SharedFiles.unlink(path);
        }
        if (ok.get(0) != 1) {
            if (problem != null) {
                LOG.warn("rank {}: no shared memory for allreduce ({}); large allreduces go as messages", ctx.rank,
                        problem);
            }
            return null;
        }
        return segment;
    }
}
