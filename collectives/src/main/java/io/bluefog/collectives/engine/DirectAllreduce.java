package io.bluefog.collectives.engine;

import static io.bluefog.collectives.engine.ExecutionContext.TAG_DATA;
import static io.bluefog.collectives.engine.ExecutionContext.TAG_RESULT;

import io.bluefog.comm.ReduceOp;
import io.bluefog.comm.Request;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Allreduce (SUM or AVG of float32 or float64) over point-to-point messages, for large tensors:
 * a direct reduce-scatter followed by a direct allgather (the two halves of Rabenseifner's
 * allreduce, R. Rabenseifner, "Optimization of Collective Reduction Operations", ICCS 2004, with
 * every block exchanged directly instead of by recursive halving).
 *
 * <p>The n elements are cut into {@code size} contiguous blocks, block b being elements
 * {@code [n b / size, n (b + 1) / size)}. Rank b owns block b: every other rank sends it its block
 * b, in pipeline chunks; as each chunk has arrived from every rank, the owner sums it in ascending
 * rank order in the element type, {@code ((x_0 + x_1) + x_2) + ...} (AVG: then one correctly
 * rounded division by size), and sends the finished chunk to every other rank. Each block is summed
 * at exactly one rank, so every rank holds bitwise the same result, the same as the in-JVM
 * transport's allreduce computes ({@code io.bluefog.local.Reductions}: rank order, element type)
 * and, on 2 ranks, as any correctly rounded sum of two terms.
 *
 * <p>Why: the MPI transport's allreduce is {@code MPI_Iallreduce} (nonblocking, so that it can time
 * out), whose schedule (Open MPI's libnbc) advances only while polled and allocates its temporary
 * buffers on every call; on 2 ranks at 25 to 100 MB it took 2.5 to 4 times {@code MPI_Allreduce}.
 * Point-to-point messages of the same size move at the blocking collective's speed, and every wait
 * here has the engine's deadline and failure watch.
 *
 * <p>The schedule, chunk by chunk ({@link #run}). Open MPI's shared-memory transport copies a large
 * message on the receiving rank, inside the call that posts or polls the receive, so each rank's
 * work is its own copies and sums, done one after the other on its thread. Two things decide how
 * fast that is, both measured on 2 ranks at 25 MB (timing marks per phase on the 2-core test VM):
 * <ul>
 *   <li>Where the copies land. Other ranks' terms are received into {@link #SLOTS} chunk-sized slots
 *       per rank, reused round robin: a chunk is summed right after it was copied, while it is in
 *       cache, and no block-sized receive buffer is touched.</li>
 *   <li>That both ranks do the same work at the same time. After summing chunk c, a rank waits for
 *       chunk c - 1 of every other rank's finished block (lock step). Before, a rank that got ahead
 *       summed all its chunks first and then waited, in place, for its sends to be taken before
 *       receiving any finished chunk, while the other rank did its sums and all of its allgather
 *       copies in one stretch: the two ranks' copies no longer overlapped, and such calls took
 *       up to twice as long as the others.</li>
 * </ul>
 * The allgather half has its own tag ({@link ExecutionContext#TAG_RESULT}), so its receives can be
 * posted at any time without matching a reduce-scatter message of the same rank.
 *
 * <p>When every rank runs on one machine ({@link ExecutionContext#sharedMemoryAllreduce}) the same
 * schedule runs through memory the ranks share instead ({@link SharedMemoryAllreduce}, which says
 * why): the segment is made at the first call, and {@link #runOverMessages} is the fallback where
 * it cannot be.
 */
final class DirectAllreduce {
    /** Smallest tensor (bytes) that the MPI transport reduces this way; smaller ones use the transport's allreduce. */
    static final long DEFAULT_MIN_BYTES = 1L << 20;

    private final RankOrderSum summation = new RankOrderSum();
    private final SharedMemoryAllreduce shared = new SharedMemoryAllreduce();
    /** The machine's shared memory ({@link ExecutionContext#sharedMemoryAllreduce}), made at the first call; null: messages. */
    private ReduceSegment segment;
    private boolean segmentTried;
    // The pending receives of one call: reduce-scatter (chunk by chunk, rank by rank) and allgather ({@link Gather}).
    private final List<Request> scatterRecvs = new ArrayList<>();
    private final List<Request> gatherRecvs = new ArrayList<>();

    /**
     * Receive slots per other rank: chunk c of my block arrives in slot c mod SLOTS. Two, so that
     * the next chunk can arrive while one is summed; more only hold copies longer before their sum.
     */
    static final int SLOTS = 2;

    /** @return true if {@code op} (an agreed allreduce batch's first op) can run here */
    static boolean applies(ReduceOp op, DataType dtype, long elements, int size, long minBytes) {
        return size > 1 && (op == ReduceOp.SUM || op == ReduceOp.AVG)
                && (dtype == DataType.FLOAT || dtype == DataType.DOUBLE)
                && elements >= size && elements * dtype.width() >= minBytes;
    }

    private static long blockStart(long n, int size, int b) {
        return n * b / size;
    }

    /**
     * Reduces {@code in} (flat, contiguous, the same length, dtype and op on every rank) over all
     * ranks into {@code out} (flat, contiguous, in's length and dtype; may be {@code in}, else in is
     * not written). Collective over every rank of {@code ctx}.
     *
     * <p>Each rank sends every other rank that rank's block of its input at once, and receives the
     * other ranks' copies of its own block into slots, {@link #SLOTS} chunks ahead. Per chunk c of
     * its block: wait for that chunk from every rank, sum it into {@code out}, send it to every
     * other rank, receive chunk c + SLOTS into the freed slots, and wait for chunk c - 1 of every
     * other rank's finished block (received directly into {@code out}; in place only once the
     * send of this rank's copy of that chunk has completed, so nothing is received into memory a
     * pending send still reads).
     */
    void run(ExecutionContext ctx, INDArray in, INDArray out, ReduceOp op) {
        if (ctx.sharedMemoryAllreduce && !segmentTried) {
            segmentTried = true; // every rank decides alike: the flag and the call sequence are the same
            segment = ReduceSegment.open(ctx, ReduceSegment.chunkBytes(ctx.size, ctx.pipelineChunkBytes));
        }
        if (ctx.sharedMemoryAllreduce && segment != null) {
            try {
                shared.run(ctx, segment, in, out, op);
                ctx.sharedMemoryAllreduces++;
            } catch (RuntimeException e) {
                segment = null; // its counters may now disagree between ranks
                throw e;
            }
            return;
        }
        runOverMessages(ctx, in, out, op);
    }

    /** {@link #run} over point-to-point messages. */
    private void runOverMessages(ExecutionContext ctx, INDArray in, INDArray out, ReduceOp op) {
        int size = ctx.size;
        int rank = ctx.rank;
        long n = out.length();
        DataType dtype = out.dataType();
        long deadline = ctx.deadline();
        long chunk = ctx.chunkElements(dtype);
        long mine0 = blockStart(n, size, rank);
        long mineLen = blockStart(n, size, rank + 1) - mine0;
        int myChunks = chunks(mineLen, chunk);
        ByteBuffer base = Tensors.base(out);
        boolean inPlace = Tensors.sameMemory(in, out);
        ByteBuffer input = inPlace ? base : Tensors.base(in);
        List<Request> scatter = scatterRecvs;
        List<Request> sends = ctx.sends;
        scatter.clear();
        gatherRecvs.clear();
        sends.clear();

        int others = size - 1;
        int[] from = new int[others];
        for (int q = 0, k = 0; q < size; q++) {
            if (q != rank) {
                from[k++] = q;
            }
        }
        // Slot s of rank from[k] is chunk (k * slots + s) of a pooled scratch array.
        int slots = Math.min(SLOTS, myChunks);
        ByteBuffer scratch = Tensors.base(ctx.borrow(dtype, others * slots * chunk));
        ByteBuffer[][] slot = new ByteBuffer[others][slots];
        for (int k = 0; k < others; k++) {
            for (int s = 0; s < slots; s++) {
                slot[k][s] = scratch.duplicate().order(scratch.order())
                        .position(Math.toIntExact(scratch.position() + (k * slots + s) * chunk * dtype.width()));
            }
        }
        // Reduce-scatter sends: rank from[k] gets its block of my input; its chunk j is send firstSend[k] + j.
        Gather g = new Gather(ctx, base, dtype, n, chunk, from, inPlace);
        for (int k = 0; k < others; k++) {
            int q = from[k];
            long b0 = blockStart(n, size, q);
            long len = blockStart(n, size, q + 1) - b0;
            g.firstSend[k] = sends.size();
            for (int c = 0; c < g.blockChunks[k]; c++) {
                long at = c * chunk;
                sends.add(ctx.comm.isend(Tensors.nio(input, dtype, b0 + at, Math.min(chunk, len - at)), q, TAG_DATA));
            }
        }
        int scatterSends = sends.size();
        for (int c = 0; c < slots; c++) {
            postScatterRecvs(ctx, slot, from, dtype, c, Math.min(chunk, mineLen - c * chunk));
        }
        if (!inPlace) {
            g.postAll(); // into a new array the finished blocks may arrive at any time
        }
        ByteBuffer[] terms = new ByteBuffer[size];
        terms[rank] = input; // my own terms, at my block's offsets
        for (int c = 0; c < myChunks; c++) {
            long at = c * chunk;
            int count = (int) Math.min(chunk, mineLen - at);
            ctx.waitRange(scatter, c * others, others, deadline, k -> "allreduce data from rank " + from[k]
                    + " at rank " + rank);
            for (int k = 0; k < others; k++) {
                terms[from[k]] = slot[k][c % slots];
            }
            summation.sum(base, terms, rank, dtype, mine0 + at, count, op == ReduceOp.AVG ? size : 1);
            // Allgather, pipelined: the finished chunk goes to every other rank at once.
            for (int q : from) {
                sends.add(ctx.comm.isend(Tensors.nio(base, dtype, mine0 + at, count), q, TAG_RESULT));
            }
            int next = c + slots;
            if (next < myChunks) {
                postScatterRecvs(ctx, slot, from, dtype, next, Math.min(chunk, mineLen - next * chunk));
            }
            if (c > 0) {
                g.await(c - 1, deadline); // lock step with the other ranks
            }
        }
        for (int j = Math.max(0, myChunks - 1); j < g.maxBlockChunks; j++) {
            g.await(j, deadline);
        }
        // My copies of the other blocks are no longer read (in place, the waits above included them).
        ctx.waitRange(sends, 0, scatterSends, deadline, k -> "rank " + sendTarget(from, n, size, chunk, k)
                + " to receive allreduce data from rank " + rank);
        ctx.waitRange(sends, scatterSends, sends.size() - scatterSends, deadline,
                k -> "rank " + from[k % others] + " to receive rank " + rank + "'s allreduce result block");
    }

    /** Posts the reduce-scatter receives of chunk {@code c} ({@code count} elements) of my block, rank by rank, into their slots. */
    private void postScatterRecvs(ExecutionContext ctx, ByteBuffer[][] slot, int[] from, DataType dtype, int c, long count) {
        int slots = slot[0].length;
        for (int k = 0; k < from.length; k++) {
            scatterRecvs.add(ctx.comm.irecv(Tensors.nio(slot[k][c % slots], dtype, 0, count), from[k], TAG_DATA));
        }
    }

    /**
     * The allgather half's receives of one call: chunk j of rank {@code from[k]}'s finished block
     * goes straight into its place in the result, as receive {@code at[firstSend[k] + j]} of
     * {@link #gatherRecvs}, posted in chunk order per rank.
     */
    private final class Gather {
        final ExecutionContext ctx;
        final ByteBuffer base;
        final DataType dtype;
        final long n;
        final long chunk;
        final int[] from;
        final boolean inPlace;
        final int[] blockChunks;
        final int[] firstSend;
        final int[] posted;
        final int[] at;
        final int maxBlockChunks;

        Gather(ExecutionContext ctx, ByteBuffer base, DataType dtype, long n, long chunk, int[] from, boolean inPlace) {
            this.ctx = ctx;
            this.base = base;
            this.dtype = dtype;
            this.n = n;
            this.chunk = chunk;
            this.from = from;
            this.inPlace = inPlace;
            int others = from.length;
            blockChunks = new int[others];
            firstSend = new int[others];
            posted = new int[others];
            int total = 0;
            int max = 0;
            for (int k = 0; k < others; k++) {
                blockChunks[k] = chunks(blockStart(n, ctx.size, from[k] + 1) - blockStart(n, ctx.size, from[k]), chunk);
                total += blockChunks[k];
                max = Math.max(max, blockChunks[k]);
            }
            at = new int[total];
            maxBlockChunks = max;
        }

        /** Posts the receive of rank from[k]'s next finished chunk. */
        private void postNext(int k) {
            int q = from[k];
            long b0 = blockStart(n, ctx.size, q);
            long len = blockStart(n, ctx.size, q + 1) - b0;
            long off = posted[k] * chunk;
            at[firstSend[k] + posted[k]] = gatherRecvs.size();
            gatherRecvs.add(ctx.comm.irecv(Tensors.nio(base, dtype, b0 + off, Math.min(chunk, len - off)), q, TAG_RESULT));
            posted[k]++;
        }

        /** Posts every receive (into a new array, where no send reads the result's memory). */
        void postAll() {
            for (int k = 0; k < from.length; k++) {
                while (posted[k] < blockChunks[k]) {
                    postNext(k);
                }
            }
        }

        /**
         * Waits until chunk {@code j} of every other rank's finished block (of those that have one)
         * has arrived, first posting its receive if needed: in place only after the send of my copy
         * of that chunk to its owner has completed.
         */
        void await(int j, long deadline) {
            int rank = ctx.rank;
            for (int k = 0; k < from.length; k++) {
                if (j >= blockChunks[k]) {
                    continue;
                }
                int q = from[k];
                while (posted[k] <= j) {
                    if (inPlace) {
                        ctx.waitRange(ctx.sends, firstSend[k] + posted[k], 1, deadline,
                                i -> "rank " + q + " to receive allreduce data from rank " + rank);
                    }
                    postNext(k);
                }
                ctx.waitRange(gatherRecvs, at[firstSend[k] + j], 1, deadline,
                        i -> "allreduce result block of rank " + q + " at rank " + rank);
            }
        }
    }

    private static int chunks(long len, long chunk) {
        return (int) ((len + chunk - 1) / chunk);
    }

    /** @return the peer of request {@code k} of a list made rank by rank ({@code from}), each rank's block chunk by chunk */
    private static int sendTarget(int[] from, long n, int size, long chunk, int k) {
        for (int q : from) {
            int cs = chunks(blockStart(n, size, q + 1) - blockStart(n, size, q), chunk);
            if (k < cs) {
                return q;
            }
            k -= cs;
        }
        return -1;
    }
}
