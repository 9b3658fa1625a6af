package io.bluefog.collectives.engine;

import io.bluefog.BlueFogTimeoutException;
import io.bluefog.comm.ReduceOp;
import java.nio.ByteBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link DirectAllreduce}'s schedule (a direct reduce-scatter and a direct allgather, block b of
 * the tensor summed at rank b in ascending rank order) through memory the ranks of one machine share
 * ({@link ReduceSegment}) instead of messages. Same blocks, same chunks of each block's sum, same
 * summation ({@link RankOrderSum}): the same bits as the message path and as the in-JVM transport.
 *
 * <p>Why: Open MPI's shared-memory transport moves a large message with one copy by the receiver
 * out of the sender's memory ({@code process_vm_readv}, "CMA"), which pins the sender's pages one
 * by one: on the 2-core test VM two ranks exchanging 12.5 MB both ways took 2.6 to 3.0 ms that
 * way, against 1.0 to 1.6 ms for both doing a plain {@code memcpy} of it (measured side by side in
 * one C program). Here a rank copies its terms of another rank's block into that rank's slots with
 * a plain copy, the owner sums straight out of the slots (no second copy: the slots are the
 * receive buffers), writes the finished chunk into its result slots, and every other rank copies
 * it from there into its result: per rank two plain copies of (n - 1)/n of the tensor and the sum
 * of 1/n, against two page-pinning copies before. Nothing of the caller's memory is shared; a rank
 * returns as soon as its own result is complete. On 2 ranks at 25 MB ({@code bfrun -np 2
 * allreduce-bench}) this took 0.5 to 0.6 times Open MPI's {@code MPI_Allreduce} in place, where the
 * messages took 0.9 to 1.3 times, measured in the same session.
 *
 * <p>Each rank runs one loop, doing whatever has become possible: put the next chunk for each other
 * rank into a free slot, sum the next chunk of its block once every rank's term of it is in and a
 * result slot is free, copy out any other rank's finished chunk. It never blocks holding anything,
 * so no order of arrival can deadlock; when nothing is possible it spins, yields or parks as the
 * engine's other waits do ({@link Waits#pause}), with the engine's deadline and failure watch.
 * Chunks are counted since the segment was made, so the counters need no reset between calls.
 * After a failure (a timeout, a peer's announced failure) they may disagree between ranks; the
 * engine then fails every later operation anyway ({@link Engine}), and the segment is dropped.
 */
final class SharedMemoryAllreduce {
    /**
     * Smallest tensor whose chunks go into the shared slots with streaming (non-temporal) stores,
     * and whose result, if a new array, is written so too. The reader of a slot then takes it from
     * memory instead of line by line out of the writer's cache: on the 2-core test VM, 25 MB
     * allreduces (allreduce-bench, in place / new array) read 0.73-0.77 of {@code MPI_Allreduce} with
     * streaming slots and 1.32-1.78 with cached ones, alternating runs in one session, the cached
     * ones having read 0.50-0.65 earlier in the day: fast when the two cores hand lines over quickly,
     * twice as slow when they do not. A new array's lines need not be read before they are
     * overwritten. Below this size the data stays in cache and cached stores are faster (1 MB: 0.07
     * against 0.12 ms).
     */
    static final long STREAMING_MIN_BYTES = 8L << 20;
    private final RankOrderSum summation = new RankOrderSum();
    private final long streamingMinBytes;
    /** Chunks of each rank's block handled by every call so far (the counters' values between calls). */
    private long[] blockChunksSoFar;

    SharedMemoryAllreduce() {
        this(STREAMING_MIN_BYTES);
    }

    /** @param streamingMinBytes smallest tensor written with streaming stores (tests: 0) */
    SharedMemoryAllreduce(long streamingMinBytes) {
        this.streamingMinBytes = streamingMinBytes;
    }

    /**
     * Reduces {@code in} into {@code out} as {@link DirectAllreduce#run} does (same arguments, same
     * result bits), through {@code segment}. Collective over every rank of {@code ctx}.
     *
     * @throws BlueFogTimeoutException naming the rank and chunk still awaited at the deadline
     * @throws io.bluefog.CommunicationException if the thread is interrupted while waiting
     */
    void run(ExecutionContext ctx, ReduceSegment segment, INDArray in, INDArray out, ReduceOp op) {
        int size = ctx.size;
        int rank = ctx.rank;
        if (blockChunksSoFar == null) {
            blockChunksSoFar = new long[size];
        }
        long[] before = blockChunksSoFar;
        long n = out.length();
        DataType dtype = out.dataType();
        int width = dtype.width();
        long chunk = segment.chunkBytes / width;
        long deadline = ctx.deadline();
        ByteBuffer base = Tensors.base(out);
        ByteBuffer input = Tensors.sameMemory(in, out) ? base : Tensors.base(in);
        long[] blockStart = new long[size + 1];
        int[] chunks = new int[size];
        for (int b = 0; b <= size; b++) {
            blockStart[b] = n * b / size;
        }
        for (int b = 0; b < size; b++) {
            chunks[b] = (int) ((blockStart[b + 1] - blockStart[b] + chunk - 1) / chunk);
        }
        int[] put = new int[size];      // my chunks of block q put into q's slots this call
        int[] copiedOut = new int[size]; // q's finished chunks copied into my result this call
        int summed = 0;
        int divisor = op == ReduceOp.AVG ? size : 1;
        ByteBuffer[] terms = new ByteBuffer[size];
        terms[rank] = input;
        long[] termAddress = ctx.useNativeKernel ? new long[size] : null;
        long outAddress = termAddress != null ? Tensors.address(out) : 0;
        long inAddress = termAddress != null ? Tensors.address(in) : 0;
        // From STREAMING_MIN_BYTES, the slots are written with streaming stores, and so is a new array.
        boolean streamingSlots = termAddress != null && n * width >= streamingMinBytes;
        boolean streaming = streamingSlots && input != base;
        long start = System.nanoTime();
        while (true) {
            boolean progress = false;
            boolean done = summed == chunks[rank];
            for (int q = 0; q < size; q++) {
                if (q == rank) {
                    continue;
                }
                // My term of q's block, next chunk, into q's slots once q has summed what was there.
                if (put[q] < chunks[q]) {
                    long k = before[q] + put[q];
                    if (k - segment.taken(rank, q) < ReduceSegment.SLOTS) {
                        long at = blockStart[q] + put[q] * chunk;
                        int bytes = (int) (Math.min(chunk, blockStart[q + 1] - at) * width);
                        if (streamingSlots) {
                            NativeKernels.streamCopy(segment.pairSlotAddress(rank, q, k), inAddress + at * width, bytes);
                        } else {
                            ByteBuffer slot = segment.pairSlot(rank, q, k);
                            slot.put(slot.position(), input, Math.toIntExact(input.position() + at * width), bytes);
                        }
                        put[q]++;
                        segment.setWritten(rank, q, k + 1);
                        progress = true;
                    }
                }
                // q's finished chunk into my result (in place: over my term of it, which q has summed).
                if (copiedOut[q] < chunks[q]) {
                    long k = before[q] + copiedOut[q];
                    if (segment.published(q) > k) {
                        long at = blockStart[q] + copiedOut[q] * chunk;
                        int bytes = (int) (Math.min(chunk, blockStart[q + 1] - at) * width);
                        if (streaming) {
                            NativeKernels.streamCopy(outAddress + at * width, segment.resultSlotAddress(q, k), bytes);
                        } else {
                            ByteBuffer slot = segment.resultSlot(q, k);
                            base.put(Math.toIntExact(base.position() + at * width), slot, slot.position(), bytes);
                        }
                        copiedOut[q]++;
                        segment.setCopied(q, rank, k + 1);
                        progress = true;
                    }
                }
                done &= put[q] == chunks[q] && copiedOut[q] == chunks[q];
            }
            if (summed < chunks[rank] && canSum(segment, rank, size, before[rank] + summed)) {
                long k = before[rank] + summed;
                long at = blockStart[rank] + summed * chunk;
                int count = (int) Math.min(chunk, blockStart[rank + 1] - at);
                for (int q = 0; q < size; q++) {
                    if (q != rank) {
                        terms[q] = segment.pairSlot(q, rank, k);
                    }
                }
                if (termAddress != null) {
                    // One pass: the sum into my result and into the result slot.
                    termAddress[rank] = inAddress + at * width;
                    for (int q = 0; q < size; q++) {
                        if (q != rank) {
                            termAddress[q] = segment.pairSlotAddress(q, rank, k);
                        }
                    }
                    NativeKernels.rankOrderSum(dtype == DataType.DOUBLE, outAddress + at * width,
                            segment.resultSlotAddress(rank, k), termAddress, size, count, divisor, streaming, streamingSlots);
                } else {
                    summation.sum(base, terms, rank, dtype, at, count, divisor);
                    ByteBuffer slot = segment.resultSlot(rank, k);
                    slot.put(slot.position(), base, Math.toIntExact(base.position() + at * width), count * width);
                }
                summed++;
                for (int q = 0; q < size; q++) {
                    if (q != rank) {
                        segment.setTaken(q, rank, k + 1);
                    }
                }
                segment.setPublished(rank, k + 1);
                progress = true;
            }
            if (done) {
                break;
            }
            if (progress) {
                start = System.nanoTime();
            } else {
                if (Thread.currentThread().isInterrupted()) {
                    throw new io.bluefog.CommunicationException("interrupted in allreduce over shared memory at rank "
                            + rank + " waiting for " + awaited(segment, rank, size, before, put, copiedOut, summed, chunks));
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new BlueFogTimeoutException("timed out in allreduce over shared memory at rank " + rank
                            + ": " + awaited(segment, rank, size, before, put, copiedOut, summed, chunks));
                }
                Waits.pause(start, ctx.failures);
            }
        }
        for (int b = 0; b < size; b++) {
            before[b] += chunks[b];
        }
    }

    /** @return true if every other rank's term of my chunk {@code k} is in and a result slot is free for it */
    private static boolean canSum(ReduceSegment segment, int rank, int size, long k) {
        for (int q = 0; q < size; q++) {
            if (q != rank && (segment.written(q, rank) <= k || k - segment.copied(rank, q) >= ReduceSegment.SLOTS)) {
                return false;
            }
        }
        return true;
    }

    /** @return what this rank waits for, naming the rank that has not done its part */
    private static String awaited(ReduceSegment segment, int rank, int size, long[] before, int[] put,
            int[] copiedOut, int summed, int[] chunks) {
        for (int q = 0; q < size; q++) {
            if (q == rank) {
                continue;
            }
            if (summed < chunks[rank] && segment.written(q, rank) <= before[rank] + summed) {
                return "rank " + q + "'s allreduce data for chunk " + summed + " of block " + rank;
            }
            if (summed < chunks[rank] && before[rank] + summed - segment.copied(rank, q) >= ReduceSegment.SLOTS) {
                return "rank " + q + " to copy out chunk " + (summed - ReduceSegment.SLOTS) + " of block " + rank;
            }
            if (put[q] < chunks[q]) {
                return "rank " + q + " to sum chunk " + (put[q] - ReduceSegment.SLOTS) + " of block " + q;
            }
            if (copiedOut[q] < chunks[q]) {
                return "rank " + q + "'s allreduce result, chunk " + copiedOut[q] + " of block " + q;
            }
        }
        return "the other ranks";
    }
}
