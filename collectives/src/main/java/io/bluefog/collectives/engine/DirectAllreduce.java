package io.bluefog.collectives.engine;

import static io.bluefog.collectives.engine.ExecutionContext.TAG_DATA;

import io.bluefog.comm.ReduceOp;
import io.bluefog.comm.Request;
import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
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
 */
final class DirectAllreduce {
    /** Smallest tensor (bytes) that the MPI transport reduces this way; smaller ones use the transport's allreduce. */
    static final long DEFAULT_MIN_BYTES = 1L << 20;

    // Scratch of the summation of three or more terms, reused across calls (one engine thread uses an instance).
    private final float[] floatAcc = new float[Combiner.BLOCK];
    private final float[] floatTerm = new float[Combiner.BLOCK];
    private final double[] doubleAcc = new double[Combiner.BLOCK];
    private final double[] doubleTerm = new double[Combiner.BLOCK];

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
     * <p>The receives of the other ranks' finished blocks (the allgather half) are posted early, so
     * that those blocks arrive while this rank still sums its own: into a new array at once, and in
     * place chunk by chunk as soon as the send of this rank's copy of that chunk (the reduce-scatter
     * half) has completed. Receives from one rank are posted in the order that rank sends (its
     * reduce-scatter chunks, then its finished block's chunks), so MPI's in-order matching pairs them.
     */
    void run(ExecutionContext ctx, INDArray in, INDArray out, ReduceOp op) {
        INDArray work = out;
        int size = ctx.size;
        int rank = ctx.rank;
        long n = work.length();
        DataType dtype = work.dataType();
        long deadline = ctx.deadline();
        long chunk = ctx.chunkElements(dtype);
        long mine0 = blockStart(n, size, rank);
        long mineLen = blockStart(n, size, rank + 1) - mine0;
        int myChunks = chunks(mineLen, chunk);
        ByteBuffer base = Tensors.base(work);
        boolean inPlace = Tensors.sameMemory(in, out);
        ByteBuffer input = inPlace ? base : Tensors.base(in);
        List<Request> recvs = ctx.recvs;
        List<Request> sends = ctx.sends;
        recvs.clear();
        sends.clear();

        // Reduce-scatter: receive every other rank's copy of my block; send each rank its block.
        int others = size - 1;
        int[] from = new int[others];
        ByteBuffer[] received = new ByteBuffer[size];
        for (int q = 0, k = 0; q < size; q++) {
            if (q != rank) {
                if (k == 0 && !inPlace) {
                    // Into a new array, the first other rank's terms land in this rank's block of the
                    // result itself, summed there in place: 1/size of the tensor less memory touched.
                    received[q] = base.duplicate().order(base.order())
                            .position(Math.toIntExact(base.position() + mine0 * dtype.width()));
                } else {
                    received[q] = Tensors.base(ctx.borrow(dtype, Math.max(1, mineLen)));
                }
                from[k++] = q;
            }
        }
        for (int c = 0; c < myChunks; c++) {
            long at = c * chunk;
            long count = Math.min(chunk, mineLen - at);
            for (int q : from) {
                recvs.add(ctx.comm.irecv(Tensors.nio(received[q], dtype, at, count), q, TAG_DATA));
            }
        }
        int scatterRecvs = recvs.size();
        // Per other rank k (index into from): its block's chunk count and where its sends start.
        int[] blockChunks = new int[others];
        int[] firstSend = new int[others];
        for (int k = 0; k < others; k++) {
            int q = from[k];
            long b0 = blockStart(n, size, q);
            long len = blockStart(n, size, q + 1) - b0;
            blockChunks[k] = chunks(len, chunk);
            firstSend[k] = sends.size();
            for (int c = 0; c < blockChunks[k]; c++) {
                long at = c * chunk;
                sends.add(ctx.comm.isend(Tensors.nio(input, dtype, b0 + at, Math.min(chunk, len - at)), q, TAG_DATA));
            }
        }
        int scatterSends = sends.size();
        // Allgather receives: gatherPeer[i] is the rank of the i-th one posted; posted[k] counts rank from[k]'s.
        int[] gatherPeer = new int[scatterSends];
        int[] posted = new int[others];
        postGatherRecvs(ctx, base, dtype, n, chunk, from, blockChunks, firstSend, posted, gatherPeer, scatterRecvs, !inPlace);
        received[rank] = input; // my own terms
        for (int c = 0; c < myChunks; c++) {
            long at = c * chunk;
            long count = Math.min(chunk, mineLen - at);
            ctx.waitRange(recvs, c * others, others, deadline, k -> "allreduce data from rank " + from[k]
                    + " at rank " + rank);
            sum(base, received, rank, dtype, mine0 + at, at, (int) count, op == ReduceOp.AVG ? size : 1);
            // Allgather, pipelined: the finished chunk goes to every other rank at once.
            for (int q : from) {
                sends.add(ctx.comm.isend(Tensors.nio(base, dtype, mine0 + at, count), q, TAG_DATA));
            }
            if (inPlace) {
                postGatherRecvs(ctx, base, dtype, n, chunk, from, blockChunks, firstSend, posted, gatherPeer, scatterRecvs, false);
            }
        }
        // My copies of the other blocks may be overwritten once their owners have them.
        ctx.waitRange(sends, 0, scatterSends, deadline, k -> "rank " + sendTarget(from, n, size, chunk, k)
                + " to receive allreduce data from rank " + rank);
        postGatherRecvs(ctx, base, dtype, n, chunk, from, blockChunks, firstSend, posted, gatherPeer, scatterRecvs, true);
        ctx.waitRange(recvs, scatterRecvs, recvs.size() - scatterRecvs, deadline,
                k -> "allreduce result block of rank " + gatherPeer[k] + " at rank " + rank);
        ctx.waitRange(sends, scatterSends, sends.size() - scatterSends, deadline,
                k -> "rank " + from[k % others] + " to receive rank " + rank + "'s allreduce result block");
    }

    /**
     * Posts, for each other rank {@code from[k]} in chunk order, the receives of its finished block
     * into {@code base}: all remaining ones if {@code all}, else only those whose chunk this rank has
     * finished sending (its reduce-scatter send tests complete), so nothing is received into memory
     * that a pending send still reads. Receive i of the allgather (list index {@code firstRecv + i})
     * comes from rank {@code gatherPeer[i]}.
     */
    private static void postGatherRecvs(ExecutionContext ctx, ByteBuffer base, DataType dtype, long n, long chunk,
            int[] from, int[] blockChunks, int[] firstSend, int[] posted, int[] gatherPeer, int firstRecv, boolean all) {
        int size = ctx.size;
        for (int k = 0; k < from.length; k++) {
            int q = from[k];
            long b0 = blockStart(n, size, q);
            long len = blockStart(n, size, q + 1) - b0;
            while (posted[k] < blockChunks[k] && (all || ctx.sends.get(firstSend[k] + posted[k]).test())) {
                long at = posted[k] * chunk;
                gatherPeer[ctx.recvs.size() - firstRecv] = q;
                ctx.recvs.add(ctx.comm.irecv(Tensors.nio(base, dtype, b0 + at, Math.min(chunk, len - at)), q, TAG_DATA));
                posted[k]++;
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

    /**
     * work[at .. at + count) = (sum over ranks r ascending of term_r) / divisor, in the element type,
     * where term_rank is received[rank][at .. at + count) (the input, possibly work itself) and term_q
     * (q != rank) is received[q][rel .. rel + count) (into a new array, one of them is work's own
     * elements [at .. at + count)).
     *
     * <p>Two terms: one element-wise pass over the direct buffers (measured about 1.5 times faster
     * than the blocks below on 12.5 MB, near memcpy speed). More: block by block through heap
     * scratch, every term of a block read before the block is written (a term may be work itself).
     */
    private void sum(ByteBuffer work, ByteBuffer[] received, int rank, DataType dtype, long at, long rel,
            int count, int divisor) {
        int size = received.length;
        if (size == 2) {
            sumTwo(work, received, rank, dtype, at, rel, count, divisor);
            return;
        }
        int block = Combiner.BLOCK;
        // Per-chunk views: a few small objects, nothing proportional to the tensor.
        if (dtype == DataType.FLOAT) {
            FloatBuffer w = (FloatBuffer) Tensors.nio(work, dtype, at, count);
            FloatBuffer[] r = new FloatBuffer[size];
            for (int q = 0; q < size; q++) {
                r[q] = (FloatBuffer) Tensors.nio(received[q], dtype, q == rank ? at : rel, count);
            }
            float[] acc = floatAcc;
            float[] t = floatTerm;
            float div = divisor;
            for (int s = 0; s < count; s += block) {
                int len = Math.min(block, count - s);
                r[0].get(s, acc, 0, len);
                for (int q = 1; q < size; q++) {
                    r[q].get(s, t, 0, len);
                    addInto(acc, t, len);
                }
                if (divisor != 1) {
                    divide(acc, len, div);
                }
                w.put(s, acc, 0, len);
            }
        } else {
            DoubleBuffer w = (DoubleBuffer) Tensors.nio(work, dtype, at, count);
            DoubleBuffer[] r = new DoubleBuffer[size];
            for (int q = 0; q < size; q++) {
                r[q] = (DoubleBuffer) Tensors.nio(received[q], dtype, q == rank ? at : rel, count);
            }
            double[] acc = doubleAcc;
            double[] t = doubleTerm;
            double div = divisor;
            for (int s = 0; s < count; s += block) {
                int len = Math.min(block, count - s);
                r[0].get(s, acc, 0, len);
                for (int q = 1; q < size; q++) {
                    r[q].get(s, t, 0, len);
                    addInto(acc, t, len);
                }
                if (divisor != 1) {
                    divide(acc, len, div);
                }
                w.put(s, acc, 0, len);
            }
        }
    }

    // The loops of the blocked sum, one method each, so that each is compiled on its own profile (see sumTwo).

    /** acc[i] += t[i] for i in [0, len), float32. */
    private static void addInto(float[] acc, float[] t, int len) {
        for (int i = 0; i < len; i++) {
            acc[i] += t[i];
        }
    }

    /** acc[i] /= div for i in [0, len), float32. */
    private static void divide(float[] acc, int len, float div) {
        for (int i = 0; i < len; i++) {
            acc[i] /= div;
        }
    }

    /** acc[i] += t[i] for i in [0, len), float64. */
    private static void addInto(double[] acc, double[] t, int len) {
        for (int i = 0; i < len; i++) {
            acc[i] += t[i];
        }
    }

    /** acc[i] /= div for i in [0, len), float64. */
    private static void divide(double[] acc, int len, double div) {
        for (int i = 0; i < len; i++) {
            acc[i] /= div;
        }
    }

    /**
     * {@link #sum} of two terms: work[i] = (term_0[i] + term_1[i]) / divisor, each operation rounded
     * to the element type as in the blocked loop (so the same bits). Element i of work is written
     * after both terms' element i were read, so a term may be work itself.
     *
     * <p>Each loop is its own method on purpose. With both loops in one method behind
     * {@code if (divisor == 1)}, the loop whose branch ran second stayed about 20 times slower
     * (12.5 MB of float32: 1.1 ms against 23 ms, measured either way round, HotSpot 17, one JVM):
     * in collectives-bench, where allreduce (average) runs before allreduce sum, that made SUM
     * 2.5 to 4 times slower than AVG. A method per loop is compiled on its own profile.
     *
     * <p>On two ranks the divisor is 1 or 2; dividing by 2 and multiplying by 0.5 round the same
     * real number, so the average is computed as a product (the same bits, no division).
     */
    private static void sumTwo(ByteBuffer work, ByteBuffer[] received, int rank, DataType dtype, long at, long rel,
            int count, int divisor) {
        if (divisor != 1 && divisor != 2) {
            throw new IllegalArgumentException("two-term sum divides by 1 or 2, got " + divisor);
        }
        if (dtype == DataType.FLOAT) {
            FloatBuffer w = (FloatBuffer) Tensors.nio(work, dtype, at, count);
            FloatBuffer a = (FloatBuffer) Tensors.nio(received[0], dtype, rank == 0 ? at : rel, count);
            FloatBuffer b = (FloatBuffer) Tensors.nio(received[1], dtype, rank == 1 ? at : rel, count);
            if (divisor == 1) {
                addFloats(w, a, b, count);
            } else {
                averageFloats(w, a, b, count);
            }
        } else {
            DoubleBuffer w = (DoubleBuffer) Tensors.nio(work, dtype, at, count);
            DoubleBuffer a = (DoubleBuffer) Tensors.nio(received[0], dtype, rank == 0 ? at : rel, count);
            DoubleBuffer b = (DoubleBuffer) Tensors.nio(received[1], dtype, rank == 1 ? at : rel, count);
            if (divisor == 1) {
                addDoubles(w, a, b, count);
            } else {
                averageDoubles(w, a, b, count);
            }
        }
    }

    /** w[i] = a[i] + b[i] for i in [0, count), float32. */
    private static void addFloats(FloatBuffer w, FloatBuffer a, FloatBuffer b, int count) {
        for (int i = 0; i < count; i++) {
            w.put(i, a.get(i) + b.get(i));
        }
    }

    /** w[i] = (a[i] + b[i]) * 0.5, bitwise (a[i] + b[i]) / 2, for i in [0, count), float32. */
    private static void averageFloats(FloatBuffer w, FloatBuffer a, FloatBuffer b, int count) {
        for (int i = 0; i < count; i++) {
            w.put(i, (a.get(i) + b.get(i)) * 0.5f);
        }
    }

    /** w[i] = a[i] + b[i] for i in [0, count), float64. */
    private static void addDoubles(DoubleBuffer w, DoubleBuffer a, DoubleBuffer b, int count) {
        for (int i = 0; i < count; i++) {
            w.put(i, a.get(i) + b.get(i));
        }
    }

    /** w[i] = (a[i] + b[i]) * 0.5, bitwise (a[i] + b[i]) / 2, for i in [0, count), float64. */
    private static void averageDoubles(DoubleBuffer w, DoubleBuffer a, DoubleBuffer b, int count) {
        for (int i = 0; i < count; i++) {
            w.put(i, (a.get(i) + b.get(i)) * 0.5);
        }
    }
}
