package io.bluefog.collectives.engine;

import static io.bluefog.collectives.engine.ExecutionContext.TAG_DATA;

import java.nio.ByteBuffer;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Broadcast from one root (BlueFog {@code broadcast}), fused batches packed into one message.
 *
 * <p>A single large tensor (at least {@link ExecutionContext#chainBroadcastMinBytes} bytes: on the
 * MPI transport from {@link #DEFAULT_CHAIN_MIN_BYTES}) moves as a pipelined chain instead (the
 * "chain"/"pipeline" broadcast of Open MPI's {@code coll/base}, {@code coll_base_bcast.c}): the
 * ranks form the chain root, root + 1, ..., root + n - 1 (mod n); the tensor is cut into chunks,
 * and every rank forwards each chunk to the next rank as soon as it has it, so each rank receives
 * and sends the tensor once. For the result-returning form the root's copy into the new array
 * runs while the receivers take the data (with a blocking transport broadcast the copy came before
 * or after it: 1.4 to 1.6 times the in-place time at 25 to 100 MB): below
 * {@link #COPY_FIRST_MIN_CHUNKS} chunks the root sends from the caller's tensor and copies meanwhile, from
 * it each chunk is copied first and sent from the copy. Every wait has the engine's deadline and
 * failure watch. The result is the root's tensor bit for bit either way.
 */
final class BroadcastOperation implements Operation {
    /** Smallest tensor (bytes) that the MPI transport broadcasts as a chain; smaller ones use the transport's broadcast. */
    static final long DEFAULT_CHAIN_MIN_BYTES = 1L << 20;
    /**
     * From this many chunks the root of a new-array chain broadcast sends each chunk from its copy
     * in the new array, below it straight from the input while copying (with the default 1 MiB
     * pipeline chunk: from 8 MiB). On the 2-core test VM (np 2, new array / in place): sending from
     * the input 1.08 to 1.3 at 25 MB and 1.03 to 1.06 at 100 MB, where the root's copy and the next
     * rank both read the input from memory at once; sending from the copy 0.95 to 1.05 at 25 MB and
     * 0.73 to 0.78 at 100 MB, but 1.14 at 1 MB and 1.3 at 4 MB, where the input is in cache anyway
     * and the next rank waits for each chunk's copy.
     */
    static final int COPY_FIRST_MIN_CHUNKS = 8;

    @Override
    public void execute(List<Op> batch, ExecutionContext ctx) {
        Op first = batch.get(0);
        if (batch.size() == 1 && ctx.size > 1
                && first.length() * first.dataType().width() >= ctx.chainBroadcastMinBytes) {
            // Decided from what every rank agreed on (one op, its dtype and length), never from
            // whether this rank asked for a new array, so all ranks take the same path.
            INDArray out = ctx.resultSpace(batch, true);
            chain(ctx, Tensors.flat(first.input), out, first.root);
            ctx.unpack(batch, out);
            return;
        }
        // A single op's receivers need no copy of their input: the root's data overwrites it.
        INDArray work = batch.size() == 1 && first.root != ctx.rank ? ctx.resultSpace(batch, true)
                : ctx.workingCopy(batch);
        ctx.comm.broadcast(Tensors.nio(work), first.root);
        ctx.unpack(batch, work);
    }

    /**
     * Elements per chunk of the chain: the engine's pipeline chunk, but at most a 1/size share of
     * the tensor (at least 1), so that a tensor of one or two chunks still pipelines over several ranks.
     */
    static long chunkElements(long length, int size, long pipelineChunkElements) {
        return Math.max(1, Math.min(pipelineChunkElements, (length + size - 1) / size));
    }

    /**
     * The chain broadcast: the root's {@code in} ends up in {@code out} on every rank ({@code out}
     * may be {@code in}; at the root, in is only read). Collective over every rank of {@code ctx}.
     */
    static void chain(ExecutionContext ctx, INDArray in, INDArray out, int root) {
        int size = ctx.size;
        int rank = ctx.rank;
        int position = Math.floorMod(rank - root, size);
        int prev = Math.floorMod(rank - 1, size);
        int next = (rank + 1) % size;
        boolean forwards = position < size - 1;
        DataType dtype = out.dataType();
        long n = out.length();
        long chunk = chunkElements(n, size, ctx.chunkElements(dtype));
        int chunks = (int) ((n + chunk - 1) / chunk);
        long deadline = ctx.deadline();
        List<io.bluefog.comm.Request> sends = ctx.sends;
        List<io.bluefog.comm.Request> recvs = ctx.recvs;
        sends.clear();
        recvs.clear();
        ByteBuffer base = Tensors.base(out);
        if (position == 0) {
            boolean copy = !Tensors.sameMemory(in, out);
            if (copy && chunks >= COPY_FIRST_MIN_CHUNKS) {
                // A large new array: each chunk is copied and then sent from the copy, so the input
                // is read from memory once, by the copy; the next rank reads the chunk from the
                // cache shortly after (the copy stays ahead: it is faster than the transfer).
                for (int c = 0; c < chunks; c++) {
                    long at = c * chunk;
                    long count = Math.min(chunk, n - at);
                    Tensors.copy(in, at, out, at, count);
                    sends.add(ctx.comm.isend(Tensors.nio(base, dtype, at, count), next, TAG_DATA));
                }
            } else {
                ByteBuffer source = Tensors.base(in);
                for (int c = 0; c < chunks; c++) {
                    long at = c * chunk;
                    sends.add(ctx.comm.isend(Tensors.nio(source, dtype, at, Math.min(chunk, n - at)), next, TAG_DATA));
                }
                if (copy) {
                    // A smaller new array's copy, while the next rank takes the chunks; a test per
                    // chunk lets the transport progress the sends meanwhile.
                    for (int c = 0; c < chunks; c++) {
                        long at = c * chunk;
                        Tensors.copy(in, at, out, at, Math.min(chunk, n - at));
                        sends.get(c).test();
                    }
                }
            }
            ctx.waitAll(sends, deadline, k -> "rank " + next + " to receive broadcast chunk " + k + " of "
                    + chunks + " from root " + rank);
            return;
        }
        for (int c = 0; c < chunks; c++) {
            long at = c * chunk;
            recvs.add(ctx.comm.irecv(Tensors.nio(base, dtype, at, Math.min(chunk, n - at)), prev, TAG_DATA));
        }
        for (int c = 0; c < chunks; c++) {
            int k = c;
            ctx.waitRange(recvs, c, 1, deadline, i -> "broadcast chunk " + k + " of " + chunks + " from rank " + prev
                    + " at rank " + rank + " (root " + root + ")");
            if (forwards) {
                long at = c * chunk;
                sends.add(ctx.comm.isend(Tensors.nio(base, dtype, at, Math.min(chunk, n - at)), next, TAG_DATA));
            }
        }
        ctx.waitAll(sends, deadline, k -> "rank " + next + " to receive broadcast chunk " + k + " of " + chunks
                + " from rank " + rank + " (root " + root + ")");
    }
}
