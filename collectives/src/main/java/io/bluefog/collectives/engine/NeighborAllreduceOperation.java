package io.bluefog.collectives.engine;

import static io.bluefog.collectives.engine.ExecutionContext.TAG_DATA;
import static io.bluefog.collectives.engine.ExecutionContext.TAG_PEER_HEADER;

import io.bluefog.CollectiveMismatchException;
import io.bluefog.CommunicationException;
import io.bluefog.comm.Request;
import io.bluefog.comm.SharedMemoryExchange;
import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Weighted neighbor average (BlueFog {@code neighbor_allreduce}): every rank sends its tensor
 * (scaled by the destination weight, if any) to its destinations and computes
 * {@code self * x + sum_k w_k x_{source k}}, the sources in ascending rank order, pipelined in
 * chunks; fused batches travel packed. Also the exchange step of the hierarchical variant
 * ({@link #exchangeAndCombine}) and the variant checked between neighbors when negotiation is
 * skipped ({@link #executePeerChecked}).
 *
 * <p>On a transport whose ranks share memory ({@link SharedMemoryExchange}, the in-JVM
 * LocalCluster), an agreed call reads the sources' payloads in place instead of receiving copies
 * ({@link #shareAndCombine}): the same kernel, weights and summation order, so bit-identical results.
 */
final class NeighborAllreduceOperation implements Operation {
    private final DoubleBuffer ownHeader = Coordinator.direct(Headers.LENGTH);
    private DoubleBuffer peerHeaders;

    /** A batch every rank agreed on (negotiated): every rank of the job executes it. */
    @Override
    public void execute(List<Op> batch, ExecutionContext ctx) {
        execute(batch, ctx, true);
    }

    /**
     * @param everyRank true if every rank of the job executes this batch now (after negotiation),
     *                  which a job-wide {@link SharedMemoryExchange} round needs; false when only
     *                  neighbors agreed (negotiation skipped)
     */
    private void execute(List<Op> batch, ExecutionContext ctx, boolean everyRank) {
        NeighborPlan plan = batch.get(0).plan;
        if (plan.needsSetExchange()) {
            ctx.exchangeSets(plan, ctx.rank, ctx.everyRank, "rank", "neighborAllreduce");
        }
        INDArray in = ctx.pack(batch);
        INDArray out = ctx.resultSpace(batch, true);
        if (everyRank && ctx.comm instanceof SharedMemoryExchange shm) {
            Op single = batch.size() == 1 ? batch.get(0) : null;
            boolean tell = single != null && single.tellsBlocksWhileWriting() && Tensors.sameMemory(out, single.input);
            shareAndCombine(ctx, shm, plan, in, out, "neighborAllreduce", tell ? single : null);
        } else {
            exchangeAndCombine(ctx, plan, ctx.everyRank, in, out, "neighborAllreduce");
        }
        ctx.unpack(batch, out);
    }

    /**
     * What a rank publishes in a {@link SharedMemoryExchange} round: its peers, per-destination
     * payloads, input and output, and how to build its combine; {@link #unmatched} is set by the
     * round's action (visible to the rank once the round releases it).
     */
    private static final class Published {
        final int rank;
        final int[] sources;
        final int[] destinations;
        final INDArray[] payloads;
        final INDArray in;
        final INDArray out;
        /** Builds this rank's {@link Combiner} from (where to write, the sources' payloads). */
        final java.util.function.BiFunction<INDArray, INDArray[], Combiner> combiner;
        String unmatched;
        /** What this rank's part of the round threw (its plan, its combine), or null. */
        RuntimeException error;
        /** The round's work, which notes the first rank whose part failed. */
        EveryRank round;
        /**
         * The operation whose {@link Op#resultBlocks} the round tells of each block of {@link #out}
         * (which is its caller's array) once written, or null.
         */
        final Op tell;

        Published(int rank, NeighborPlan plan, INDArray[] payloads, INDArray in, INDArray out,
                java.util.function.BiFunction<INDArray, INDArray[], Combiner> combiner, Op tell) {
            this.tell = tell;
            this.rank = rank;
            this.sources = plan.sources;
            this.destinations = plan.destinations;
            this.payloads = payloads;
            this.in = in;
            this.out = out;
            this.combiner = combiner;
        }
    }

    /**
     * {@link #exchangeAndCombine} for a rank-level plan on a shared-memory transport, every rank of
     * the job taking part, in one phase barrier: each rank publishes its payload for each
     * destination (the input itself, or the input scaled by the destination weight and rounded to
     * the dtype, as the message path sends), and the last rank to arrive combines
     * {@code self * in + sum_k w_k payload_k} for every rank ({@link EveryRank}, on every core) before any
     * rank is released: the same {@link Combiner} per rank, sources ascending, so each rank's
     * result is bit for bit the one it would compute itself.
     *
     * @param tell the operation whose {@link Op#resultBlocks} is told of {@code out}'s blocks as they
     *             are written ({@code out} must be its caller's array), or null
     *
     * @throws CommunicationException if a source does not list this rank as a destination or a
     *         destination does not list it as a source (possible only with unchecked dynamic
     *         neighbors; the message path would wait for data that never comes), or if the
     *         combine failed (on every rank)
     */
    static void shareAndCombine(ExecutionContext ctx, SharedMemoryExchange shm, NeighborPlan plan, INDArray in,
            INDArray out, String opName, Op tell) {
        Published mine = published(ctx, plan, in, out, tell);
        SharedMemoryExchange.Shared round = shm.share(mine, opName, ctx.timeoutMillis(), ctx.failures::check,
                absent -> "ranks " + absent + " did not take part in the " + opName + " every rank agreed on",
                new EveryRank(opName));
        round.leave(); // every rank's result is written: nobody reads the published payloads any more
        checkOutcome(ctx, mine);
    }

    /**
     * @return what a single in-place neighborAllreduce publishes when its data goes with the cache
     *         round on a shared-memory transport ({@link Coordinator}: one phase barrier for a repeated
     *         call instead of two), or null if {@code op} is not such a call: another kind, not in
     *         place, neighbors that need the set exchange, or destination weights (whose scaled
     *         payloads would be borrowed before the call is agreed)
     */
    static Object foldable(Op op, ExecutionContext ctx) {
        NeighborPlan plan = op.plan;
        if (op.kind != OpKind.NEIGHBOR_ALLREDUCE || !op.inPlace() || plan.needsSetExchange()
                || plan.destinationWeights != null) {
            return null;
        }
        INDArray in = Tensors.flat(op.input); // what pack and resultSpace give a single in-place call
        // payloads: the input itself for every destination, nothing borrowed
        return published(ctx, plan, in, in, op.tellsBlocksWhileWriting() ? op : null);
    }

    /**
     * What this rank publishes in a shared round: its payload per destination and its combine of
     * {@code in} into {@code out}; {@code tell}: see {@link Published#tell}.
     */
    private static Published published(ExecutionContext ctx, NeighborPlan plan, INDArray in, INDArray out, Op tell) {
        return new Published(ctx.rank, plan, payloads(ctx, plan, in), in, out,
                (target, received) -> ctx.combiner(plan.selfWeight, plan.sourceWeights, in, target, received), tell);
    }

    /** @return the work of a round whose objects are every rank's {@link #foldable} (the same as {@link #shareAndCombine}'s) */
    static SharedMemoryExchange.RoundWork foldedWork() {
        return new EveryRank("neighborAllreduce");
    }

    /**
     * Completes {@code op} after the round that published {@code folded} (its {@link #foldable}) ran
     * the work: the same checks and completion as {@link #execute} after {@link #shareAndCombine}.
     */
    static void finishFolded(Op op, Object folded, ExecutionContext ctx) {
        Published mine = (Published) folded;
        checkOutcome(ctx, mine);
        ctx.unpack(List.of(op), mine.out);
    }

    /** Raises what the round's work noted for {@code mine}'s rank: its own failure, another rank's, or disagreeing neighbor sets. */
    private static void checkOutcome(ExecutionContext ctx, Published mine) {
        if (mine.error != null) {
            throw mine.error; // this rank's own failure (the engine announces it to the other ranks)
        }
        Published failed = mine.round != null ? mine.round.firstFailed : null;
        if (failed != null) { // as the message path: every rank's operation ends with the failed rank's cause
            throw PeerFailures.failureOf(ctx.rank, failed.rank, failed.error);
        }
        if (mine.unmatched != null) {
            throw new CommunicationException(mine.unmatched + "; the neighbor sets disagree (dynamic neighbors with"
                    + " checkConsistency(false) are not checked)");
        }
    }

    /** Groups of ranks whose result blocks workers tell of at once ({@link EveryRank}; more groups than cores, for balance). */
    static final int TELL_GROUPS = 8;

    /** Bytes of a worker's block buffer in {@link EveryRank}: every rank's block of results (fits in L2/L3). */
    static final int BLOCK_BUFFER_BYTES = 2 << 20;
    /** {@link #BLOCK_BUFFER_BYTES}, smaller only in tests (many blocks from small tensors). */
    static volatile int blockBufferBytes = BLOCK_BUFFER_BYTES;
    /** Block buffers of {@link EveryRank}, per dtype, reused (one per worker of a round running at a time). */
    private static final java.util.Map<DataType, java.util.concurrent.ConcurrentLinkedQueue<INDArray>> BLOCK_BUFFERS =
            new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * The work of a shared neighborAllreduce round, done while every rank waits ({@link
     * SharedMemoryExchange.RoundWork}): {@link #prepare} resolves each rank's sources' payloads (or
     * notes why its neighbor sets disagree) and builds each rank's own {@link Combiner}; then the
     * workers (one per core) combine every rank's result block by block, all ranks per block, in
     * rank order (rank r reads the same elements of its sources, which the ranks before it in the
     * block brought into cache: each input is read from memory about once). A rank working in place
     * gets its block of results through the worker's block buffer, copied into its input as soon as
     * the last rank that reads that input (itself or a rank it sends to, found by comparing memory
     * ranges) has combined the block: on a ring right after the next rank, while both blocks are
     * still in the core's cache, instead of after every rank from a buffer the cache no longer
     * holds. So no rank needs scratch as large as the tensor nor a copy-back pass. Per element, each
     * rank's result does not depend on the blocks or the worker (same operations in the same order).
     */
    private static final class EveryRank implements SharedMemoryExchange.RoundWork {
        private final String opName;
        /** The first rank whose part failed, or null; read by every rank after the round. */
        volatile Published firstFailed;
        private Published[] p;
        private INDArray[][] received;
        private boolean[] aliased;
        private boolean anyAliased;
        /**
         * For each position q of the rank order, the aliased ranks whose block of results goes into
         * their input right after rank q's combine of that block ({@link #releaseOrder}[{@link
         * #releaseFrom}[q] .. {@link #releaseFrom}[q + 1]): q is the last rank that reads their input.
         */
        private int[] releaseFrom;
        private int[] releaseOrder;
        private DataType dtype;
        private long length;
        private long block;
        private int parts;
        /**
         * Per part, 1 once every rank's block of it is written; null when no rank's operation is told
         * of its blocks ({@link Published#tell}).
         */
        private java.util.concurrent.atomic.AtomicIntegerArray written;
        /**
         * The listening ranks in {@link #TELL_GROUPS} groups of consecutive ranks, each told of the
         * parts in ascending order by one worker at a time, so the workers tell different groups at once.
         */
        private TellGroup[] groups;

        EveryRank(String opName) {
            this.opName = opName;
        }

        @Override
        public int prepare(Object[] all) {
            int n = all.length;
            p = new Published[n];
            for (int r = 0; r < n; r++) {
                p[r] = (Published) all[r];
            }
            dtype = p[0].in.dataType();
            length = p[0].in.length();
            for (int r = 1; r < n; r++) {
                if (p[r].in.dataType() != dtype || p[r].in.length() != length) {
                    throw new IllegalStateException(opName + ": rank " + r + " shares " + p[r].in.dataType() + " x "
                            + p[r].in.length() + " but rank 0 " + dtype + " x " + length + " in one agreed round");
                }
            }
            received = new INDArray[n][];
            aliased = new boolean[n];
            for (int r = 0; r < n; r++) {
                p[r].round = this;
            }
            for (int r = 0; r < n; r++) {
                try {
                    received[r] = received(p, r, opName);
                } catch (RuntimeException e) { // rank r's own plan (e.g. a source outside the world): its failure
                    fail(p[r], e);
                    received[r] = null;
                }
                aliased[r] = received[r] != null && Tensors.sameMemory(p[r].out, p[r].in);
                anyAliased |= aliased[r];
            }
            if (anyAliased) {
                releaseAfterLastReader(n);
            }
            block = Math.max(1, Math.min(length, blockBufferBytes / ((long) n * dtype.width())));
            parts = (int) Math.min(Integer.MAX_VALUE, (length + block - 1) / block);
            boolean anyTold = false;
            for (int r = 0; r < n; r++) {
                anyTold |= p[r].tell != null && received[r] != null;
            }
            written = anyTold ? new java.util.concurrent.atomic.AtomicIntegerArray(parts) : null;
            if (anyTold) {
                int g = Math.min(n, TELL_GROUPS);
                groups = new TellGroup[g];
                for (int i = 0; i < g; i++) {
                    groups[i] = new TellGroup((int) ((long) n * i / g), (int) ((long) n * (i + 1) / g));
                }
            }
            return parts;
        }

        /**
         * Fills {@link #releaseFrom} and {@link #releaseOrder}: an aliased rank r's results may
         * overwrite its input once every rank whose combine reads memory overlapping that input (r
         * itself, for its self term, and every rank with a received payload overlapping it) has
         * combined the block, that is right after the last such rank in the order the workers
         * combine (ascending). When aliased inputs overlap one another, every write waits for the
         * last rank of the order, as if every rank read every input.
         */
        private void releaseAfterLastReader(int n) {
            int width = dtype.width();
            int m = 0;
            for (int r = 0; r < n; r++) {
                m += aliased[r] ? 1 : 0;
            }
            Integer[] byStart = new Integer[m];
            long[] start = new long[n];
            long[] end = new long[n];
            for (int r = 0, i = 0; r < n; r++) {
                if (aliased[r]) {
                    byStart[i++] = r;
                    start[r] = Tensors.address(p[r].in);
                    end[r] = start[r] + length * width;
                }
            }
            Arrays.sort(byStart, (a, b) -> Long.compare(start[a], start[b]));
            long[] starts = new long[m];
            boolean disjoint = true;
            for (int i = 0; i < m; i++) {
                starts[i] = start[byStart[i]];
                disjoint &= i == 0 || starts[i] >= end[byStart[i - 1]];
            }
            int[] lastReader = new int[n];
            for (int r = 0; r < n; r++) {
                lastReader[r] = disjoint ? r : n - 1;
            }
            for (int q = 0; q < n && disjoint; q++) {
                INDArray[] reads = received[q];
                for (int k = 0; reads != null && k < reads.length; k++) {
                    long s = Tensors.address(reads[k]);
                    long e = s + reads[k].length() * width;
                    int lo = 0; // then: the number of aliased inputs starting before e
                    int hi = m;
                    while (lo < hi) {
                        int mid = (lo + hi) >>> 1;
                        if (starts[mid] < e) {
                            lo = mid + 1;
                        } else {
                            hi = mid;
                        }
                    }
                    for (int i = lo - 1; i >= 0 && end[byStart[i]] > s; i--) { // disjoint: the overlapping ones are adjacent
                        int r = byStart[i];
                        lastReader[r] = Math.max(lastReader[r], q);
                    }
                }
            }
            releaseFrom = new int[n + 1];
            for (int r = 0; r < n; r++) {
                if (aliased[r]) {
                    releaseFrom[lastReader[r] + 1]++;
                }
            }
            for (int q = 0; q < n; q++) {
                releaseFrom[q + 1] += releaseFrom[q];
            }
            releaseOrder = new int[releaseFrom[n]];
            int[] fill = Arrays.copyOf(releaseFrom, n);
            for (int r = 0; r < n; r++) {
                if (aliased[r]) {
                    releaseOrder[fill[lastReader[r]]++] = r;
                }
            }
        }

        /** Ranks [from, to) and the next part to tell them of, advanced by whichever worker holds the lock. */
        private static final class TellGroup {
            final int from;
            final int to;
            volatile int nextTold;
            final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();

            TellGroup(int from, int to) {
                this.from = from;
                this.to = to;
            }
        }

        /** Tells every group of the written parts not yet told of, starting with group {@code first} (workers start apart). */
        private void tellWritten(int first) {
            for (int i = 0; i < groups.length; i++) {
                tellWritten(groups[(first + i) % groups.length]);
            }
        }

        /**
         * Tells {@code g}'s ranks of every written part not yet told of, in part order, unless
         * another worker is doing so: that worker, after letting go of the group's lock, looks again
         * before it finishes its own part, so a part written meanwhile is told of before the round
         * ends (the last part is marked done only after its worker's call here returns).
         */
        private void tellWritten(TellGroup g) {
            while (g.nextTold < parts && written.get(g.nextTold) == 1 && g.lock.tryLock()) {
                try {
                    for (int part = g.nextTold; part < parts && written.get(part) == 1; part = ++g.nextTold) {
                        tell(part, g.from, g.to);
                    }
                } finally {
                    g.lock.unlock();
                }
            }
        }

        /** Tells listening ranks [from, to) that their elements of {@code part} are final (ranks whose part failed are skipped). */
        private void tell(int part, int from, int to) {
            long at = part * block;
            int count = (int) Math.min(block, length - at);
            for (int r = from; r < to; r++) {
                Op op = p[r].tell;
                if (op != null && received[r] != null && p[r].error == null && op.resultBlocksError == null) {
                    try {
                        op.resultBlocks.ready(at, count);
                        op.resultBlocksTold = at + count;
                    } catch (RuntimeException e) { // that rank's own listener: its call rethrows it (Op.finishResultBlocks)
                        op.resultBlocksError = e;
                    }
                }
            }
        }

        /** Notes that rank q's part threw e (its first error; the round's first failed rank). */
        private synchronized void fail(Published q, RuntimeException e) {
            if (q.error == null) {
                q.error = e;
            }
            if (firstFailed == null) {
                firstFailed = q;
            }
        }

        @Override
        public void work(java.util.function.IntSupplier next) {
            int n = p.length;
            int width = dtype.width();
            INDArray buffer = anyAliased ? takeBlockBuffer(dtype, n * block) : null;
            try {
                // This worker's own combiners (they hold per-call state): in place into its block buffer.
                Combiner[] combiner = new Combiner[n];
                java.nio.ByteBuffer[] inBytes = new java.nio.ByteBuffer[n];
                for (int r = 0; r < n; r++) {
                    if (received[r] != null) {
                        try {
                            combiner[r] = p[r].combiner.apply(aliased[r] ? buffer : p[r].out, received[r]);
                            inBytes[r] = aliased[r] ? Tensors.base(p[r].in) : null;
                        } catch (RuntimeException e) {
                            fail(p[r], e);
                        }
                    }
                }
                java.nio.ByteBuffer bufferBytes = anyAliased ? Tensors.base(buffer) : null;
                for (int part = next.getAsInt(); part >= 0; part = next.getAsInt()) {
                    long at = part * block;
                    int count = (int) Math.min(block, length - at);
                    for (int q = 0; q < n; q++) {
                        if (combiner[q] != null) {
                            try {
                                combiner[q].combineTo(at, count, aliased[q] ? q * block : at);
                            } catch (RuntimeException e) {
                                fail(p[q], e);
                                combiner[q] = null;
                                inBytes[q] = null;
                            }
                        }
                        if (anyAliased) {
                            for (int i = releaseFrom[q]; i < releaseFrom[q + 1]; i++) {
                                int r = releaseOrder[i];
                                if (inBytes[r] != null) { // every reader of r's input has read this block
                                    inBytes[r].put(Math.toIntExact(inBytes[r].position() + at * width), bufferBytes,
                                            Math.toIntExact(bufferBytes.position() + r * block * width),
                                            count * width);
                                }
                            }
                        }
                    }
                    if (written != null) {
                        written.set(part, 1);
                        tellWritten(part);
                    }
                }
            } finally {
                if (buffer != null) {
                    giveBlockBuffer(buffer);
                }
            }
        }
    }

    /** @return rank r's sources' payloads for it, in source order, or null (and p[r].unmatched set) if the neighbor sets disagree */
    private static INDArray[] received(Published[] p, int rank, String opName) {
        Published q = p[rank];
        INDArray[] received = new INDArray[q.sources.length];
        for (int k = 0; k < q.sources.length; k++) {
            int s = q.sources[k];
            int i = indexOf(p[s].destinations, rank);
            if (i < 0) {
                q.unmatched = "rank " + rank + ": " + opName + " expects data from rank " + s + ", but rank " + s
                        + " does not send to rank " + rank + " (its destinations: " + Arrays.toString(p[s].destinations)
                        + ")";
                return null;
            }
            received[k] = p[s].payloads[i];
        }
        for (int d : q.destinations) {
            if (indexOf(p[d].sources, rank) < 0) {
                q.unmatched = "rank " + rank + ": " + opName + " sends to rank " + d + ", but rank " + d
                        + " does not receive from rank " + rank + " (its sources: " + Arrays.toString(p[d].sources) + ")";
                return null;
            }
        }
        return received;
    }

    /** @return a buffer of at least {@code elements} of {@code dtype}: a pooled one of {@link #blockBufferBytes} if that is enough */
    private static INDArray takeBlockBuffer(DataType dtype, long elements) {
        long standard = blockBufferBytes / dtype.width();
        if (elements <= standard) {
            INDArray a = BLOCK_BUFFERS.computeIfAbsent(dtype, d -> new java.util.concurrent.ConcurrentLinkedQueue<>())
                    .poll();
            return a != null && a.length() >= elements ? a : Tensors.newArray(dtype, new long[] {standard});
        }
        return Tensors.newArray(dtype, new long[] {elements}); // more ranks than fit one element each: not pooled
    }

    private static void giveBlockBuffer(INDArray a) {
        if (a.length() * a.dataType().width() == blockBufferBytes) {
            BLOCK_BUFFERS.get(a.dataType()).add(a);
        }
    }

    /**
     * out = self * in + sum over sources of w * (their in), flat arrays of one dtype; out may be in.
     *
     * @param rankOf the rank that speaks for each node of {@code plan} (the identity for a rank-level
     *               plan, the machines' leaders for a machine-level plan)
     */
    static void exchangeAndCombine(ExecutionContext ctx, NeighborPlan plan, int[] rankOf, INDArray in, INDArray out,
            String opName) {
        boolean aliased = Tensors.sameMemory(out, in);
        long n = in.length();
        DataType dtype = in.dataType();
        long deadline = ctx.deadline();
        int ns = plan.sources.length;
        int nd = plan.destinations.length;
        long chunk = ctx.chunkElements(dtype);
        int chunks = (int) Math.max(1, (n + chunk - 1) / chunk);
        int rank = ctx.rank;
        int[] from = new int[ns];
        for (int k = 0; k < ns; k++) {
            from[k] = rankOf[plan.sources[k]];
        }
        int[] to = new int[nd];
        for (int k = 0; k < nd; k++) {
            to[k] = rankOf[plan.destinations[k]];
        }

        INDArray[] received = new INDArray[ns];
        for (int k = 0; k < ns; k++) {
            received[k] = ctx.borrow(dtype, n);
        }
        INDArray[] payload = payloads(ctx, plan, in);
        // Every chunk's receives first, then its sends (chunk-major: the non-overtaking rule matches
        // chunk c of a source with receive c), then combine each chunk as soon as it is complete.
        List<Request> recvs = ctx.recvs;
        List<Request> sends = ctx.sends;
        recvs.clear();
        sends.clear();
        ByteBuffer[] recvBase = new ByteBuffer[ns];
        for (int k = 0; k < ns; k++) {
            recvBase[k] = Tensors.base(received[k]);
        }
        ByteBuffer[] sendBase = new ByteBuffer[nd];
        for (int k = 0; k < nd; k++) {
            sendBase[k] = k > 0 && payload[k] == payload[k - 1] ? sendBase[k - 1] : Tensors.base(payload[k]);
        }
        for (int c = 0; c < chunks; c++) {
            long at = c * chunk;
            long count = Math.min(chunk, n - at);
            for (int k = 0; k < ns; k++) {
                recvs.add(ctx.comm.irecv(Tensors.nio(recvBase[k], dtype, at, count), from[k], TAG_DATA));
            }
        }
        for (int c = 0; c < chunks; c++) {
            long at = c * chunk;
            long count = Math.min(chunk, n - at);
            for (int k = 0; k < nd; k++) {
                sends.add(ctx.comm.isend(Tensors.nio(sendBase[k], dtype, at, count), to[k], TAG_DATA));
            }
        }
        Combiner combiner = ctx.combiner(plan.selfWeight, plan.sourceWeights, in, out, received);
        for (int c = 0; c < chunks; c++) {
            long at = c * chunk;
            int count = (int) Math.min(chunk, n - at);
            ctx.waitRange(recvs, c * ns, ns, deadline, k -> opName + " data from rank " + from[k] + " at rank " + rank
                    + " (does rank " + from[k] + " send to " + rank + "?)");
            if (aliased) {
                // In place: chunk c of the input may be overwritten once every destination has it.
                ctx.waitRange(sends, c * nd, nd, deadline, k -> "rank " + to[k] + " to receive " + opName
                        + " data from rank " + rank);
            }
            combiner.combine(at, count);
        }
        ctx.waitSends(deadline, to);
    }

    /** @return the first index of {@code value} in {@code a} (not necessarily sorted), or -1 */
    private static int indexOf(int[] a, int value) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == value) {
                return i;
            }
        }
        return -1;
    }

    /**
     * @return per destination, what it receives: {@code in} itself, or for a destination weight other
     *         than 1 a scratch copy scaled by it (rounded to the dtype by the sender, as BlueFog's
     *         {@code dst_weights} do)
     */
    private static INDArray[] payloads(ExecutionContext ctx, NeighborPlan plan, INDArray in) {
        INDArray[] payload = new INDArray[plan.destinations.length];
        for (int k = 0; k < payload.length; k++) {
            double w = plan.destinationWeight(k);
            payload[k] = in;
            if (w != 1.0) {
                payload[k] = ctx.borrow(in.dataType(), in.length());
                ctx.scaled(in, w, payload[k]);
            }
        }
        return payload;
    }

    /** @return true if {@code op} can run checked by its neighbors alone (its peers are known locally) */
    static boolean peerCheckable(Op op) {
        return op.kind == OpKind.NEIGHBOR_ALLREDUCE && !op.plan.needsSetExchange();
    }

    /**
     * Runs a {@link #peerCheckable} neighborAllreduce agreed with its neighbors only: every rank sends
     * its header to each peer (sources and destinations) and compares the headers it receives with
     * its own. An edge whose two ends agree carries data as usual, so neighbors of a disagreeing rank
     * never wait for data that will not come; a rank with a disagreeing peer moves its data on the
     * other edges, then fails with {@link CollectiveMismatchException} naming the peers and what
     * each called. Both ends of an edge compare the same two headers, so they decide alike.
     */
    void executePeerChecked(Op op, ExecutionContext ctx) {
        int rank = ctx.rank;
        if (peerHeaders == null) {
            peerHeaders = Coordinator.direct(Headers.LENGTH * Math.max(1, ctx.size));
        }
        int[] peers = op.plan.peers();
        double[] own = new double[Headers.LENGTH];
        Headers.encode(op, own, 0);
        ownHeader.clear().put(0, own, 0, Headers.LENGTH);
        long deadline = ctx.deadline();
        ctx.recvs.clear();
        ctx.sends.clear();
        for (int k = 0; k < peers.length; k++) {
            ctx.recvs.add(ctx.comm.irecv(peerHeaders.duplicate().position(k * Headers.LENGTH)
                    .limit((k + 1) * Headers.LENGTH).slice(), peers[k], TAG_PEER_HEADER));
            ctx.sends.add(ctx.comm.isend(ownHeader, peers[k], TAG_PEER_HEADER));
        }
        ctx.waitAll(ctx.recvs, deadline, k -> "rank " + peers[k] + " to make the same neighborAllreduce call as rank "
                + rank + " (negotiation is skipped: a neighbor that called another collective, or none, ends here)");
        ctx.waitAll(ctx.sends, deadline, k -> "rank " + peers[k] + " to receive rank " + rank
                + "'s neighborAllreduce header");
        double[] theirs = new double[Headers.LENGTH * peers.length];
        peerHeaders.get(0, theirs, 0, theirs.length);
        Set<Integer> disagree = new TreeSet<>();
        for (int k = 0; k < peers.length; k++) {
            if (!Headers.sameCall(own, 0, theirs, k * Headers.LENGTH)) {
                disagree.add(peers[k]);
            }
        }
        if (disagree.isEmpty()) {
            execute(List.of(op), ctx, false);
            return;
        }
        // Move data on the agreeing edges (their other ends expect it), into scratch space.
        NeighborPlan agreeing = op.plan.restrictedTo(p -> !disagree.contains(p));
        INDArray in = Tensors.flat(op.input);
        exchangeAndCombine(ctx, agreeing, ctx.everyRank, in, ctx.borrow(op.dataType(), op.length()),
                "neighborAllreduce");
        StringBuilder sb = new StringBuilder("rank " + rank + " called " + Headers.describeCall(own, 0));
        for (int k = 0; k < peers.length; k++) {
            if (disagree.contains(peers[k])) {
                sb.append("; its neighbor rank ").append(peers[k]).append(" called ")
                        .append(Headers.describeCall(theirs, k * Headers.LENGTH));
            }
        }
        throw new CollectiveMismatchException(sb.append(" (checked between neighbors: negotiation is skipped)")
                .toString());
    }
}
