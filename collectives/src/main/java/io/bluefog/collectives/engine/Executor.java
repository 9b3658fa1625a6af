package io.bluefog.collectives.engine;

import io.bluefog.CollectiveMismatchException;
import io.bluefog.comm.Communicator;
import io.bluefog.comm.ReduceOp;
import io.bluefog.comm.Request;
import io.bluefog.topology.Topology;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Moves the data of an agreed batch and computes the results, on the communication thread.
 * Sends read the caller's off-heap buffer directly; receives land in pooled arrays; weighted sums
 * and averages run in {@link Combiner} (float64 accumulation, self term first and then the sources
 * in ascending rank order, one rounding), so results are bitwise reproducible from run to run.
 */
final class Executor {
    static final int TAG_DATA = 4;
    static final int TAG_META = 5;
    static final int TAG_PEER_HEADER = 6;

    private final Communicator comm;
    private final int rank;
    private final int size;
    private final long timeoutNanos;
    private final long pipelineChunkBytes;
    /** Combine with the native kernel (else Combiner's Java loops), decided once per engine. */
    private final boolean useNativeKernel = NativeKernels.enabled();
    private final BufferPool pool = new BufferPool();
    private final List<Request> sends = new ArrayList<>();
    private final List<Request> recvs = new ArrayList<>();
    private final List<INDArray> borrowed = new ArrayList<>();
    private INDArray newResult; // the array resultSpace created for a single op, until unpack hands it out
    private final DoubleBuffer setsSend;
    private final DoubleBuffer setsRecv;
    private final DoubleBuffer oneDouble = Coordinator.direct(1);
    private final DoubleBuffer ownHeader = Coordinator.direct(Headers.LENGTH);
    private final DoubleBuffer peerHeaders;
    private int[] machineOf; // rank -> machine, learnt on the first hierarchical call

    Executor(Communicator comm, long timeoutMillis, long pipelineChunkBytes) {
        if (pipelineChunkBytes < 8) {
            throw new IllegalArgumentException("pipeline chunk must be at least 8 bytes, got " + pipelineChunkBytes);
        }
        this.pipelineChunkBytes = pipelineChunkBytes;
        this.comm = comm;
        this.rank = comm.rank();
        this.size = comm.size();
        this.timeoutNanos = timeoutMillis * 1_000_000L;
        int setLength = 2 * size + 2;
        this.setsSend = Coordinator.direct(setLength);
        this.setsRecv = Coordinator.direct(setLength * size);
        this.peerHeaders = Coordinator.direct(Headers.LENGTH * Math.max(1, size));
    }

    /** Executes {@code batch} (one op, or several fusable ops) and completes their futures. */
    void execute(List<Op> batch) {
        Op first = batch.get(0);
        try {
            switch (first.kind) {
                case BARRIER -> first.future.complete(null); // the coordinator round was the barrier
                case ALLREDUCE, BROADCAST -> globalReduce(batch);
                case ALLGATHER -> first.future.complete(allgather(first));
                case NEIGHBOR_ALLREDUCE -> neighborAllreduce(batch);
                case NEIGHBOR_ALLGATHER -> first.future.complete(neighborAllgather(first));
                case HIERARCHICAL_NEIGHBOR_ALLREDUCE -> first.future.complete(hierarchical(first));
                case PAIR_GOSSIP -> first.future.complete(pairGossip(first));
            }
        } finally {
            newResult = null;
            releaseBorrowed();
        }
    }

    /** Returns this call's borrowed arrays to the pool. */
    private void releaseBorrowed() {
        for (INDArray a : borrowed) {
            pool.give(a);
        }
        borrowed.clear();
    }

    private INDArray borrow(DataType dtype, long length) {
        INDArray a = pool.take(dtype, length);
        borrowed.add(a);
        return a;
    }

    private long deadline() {
        return System.nanoTime() + timeoutNanos;
    }

    // ---- fusion helpers ----------------------------------------------------------------------

    private static long total(List<Op> batch) {
        long n = 0;
        for (Op op : batch) {
            n += op.length();
        }
        return n;
    }

    /** @return the single op's input, or a pooled flat array holding every op's input back to back */
    private INDArray pack(List<Op> batch) {
        if (batch.size() == 1) {
            return Tensors.flat(batch.get(0).input);
        }
        INDArray packed = borrow(batch.get(0).dataType(), total(batch));
        long at = 0;
        for (Op op : batch) {
            Tensors.copy(op.input, 0, packed, at, op.length());
            at += op.length();
        }
        return packed;
    }

    /**
     * @return where to write the result, flat: the input itself (in place, single op), a new array
     *         (single op; the caller gets that array itself, see {@link #unpack}), or pooled
     */
    private INDArray resultSpace(List<Op> batch, boolean mayAliasInput) {
        Op first = batch.get(0);
        if (batch.size() == 1) {
            if (first.inPlace() && mayAliasInput) {
                return Tensors.flat(first.input);
            }
            newResult = Tensors.newArray(first.dataType(), first.shape());
            return Tensors.flat(newResult);
        }
        return borrow(first.dataType(), total(batch));
    }

    /** Completes every op of the batch from {@code result} (flat, ops back to back). */
    private void unpack(List<Op> batch, INDArray result) {
        if (batch.size() == 1) {
            Op op = batch.get(0);
            if (op.inPlace()) {
                if (!Tensors.sameMemory(result, op.input)) {
                    Tensors.copy(result, 0, op.input, 0, op.length());
                }
                op.future.complete(op.finishInPlace());
            } else {
                // The array itself, not a reshaped view of it: only an array that owns its memory
                // frees it on close(); a view would leave it to the garbage collector.
                INDArray owner = newResult != null && Tensors.sameMemory(newResult, result) ? newResult
                        : result.reshape('c', op.shape());
                newResult = null;
                op.future.complete(owner);
            }
            return;
        }
        long at = 0;
        for (Op op : batch) {
            INDArray out = op.inPlace() ? op.input : Tensors.newArray(op.dataType(), op.shape());
            Tensors.copy(result, at, out, 0, op.length());
            at += op.length();
            op.future.complete(op.inPlace() ? op.finishInPlace() : out);
        }
    }

    // ---- global collectives ------------------------------------------------------------------

    private void globalReduce(List<Op> batch) {
        Op first = batch.get(0);
        INDArray work;
        if (batch.size() == 1 && first.inPlace()) {
            work = Tensors.flat(first.input);
        } else {
            work = resultSpace(batch, false);
            long at = 0;
            for (Op op : batch) {
                Tensors.copy(op.input, 0, work, at, op.length());
                at += op.length();
            }
        }
        if (first.kind == OpKind.ALLREDUCE && first.reduceOp == ReduceOp.AVG && first.dataType() != DataType.HALF) {
            // BlueFog's average: the sum, then one correctly rounded division by n. (float16: the
            // transport's AVG, which divides the wider sum before its one rounding to float16.)
            comm.allreduce(Tensors.nio(work), ReduceOp.SUM);
            Combiner.divide(useNativeKernel, work, size);
        } else if (first.kind == OpKind.ALLREDUCE) {
            comm.allreduce(Tensors.nio(work), first.reduceOp);
        } else {
            comm.broadcast(Tensors.nio(work), first.root);
        }
        unpack(batch, work);
    }

    private INDArray allgather(Op op) {
        long[] shape = op.shape();
        long row = op.length() / shape[0];
        long[] firstDims = new long[size];
        if (size == 1) {
            firstDims[0] = shape[0];
        } else {
            oneDouble.clear().put(0, shape[0]);
            DoubleBuffer all = setsRecv.clear().limit(size);
            comm.allgather(oneDouble, all);
            for (int r = 0; r < size; r++) {
                firstDims[r] = (long) all.get(r);
            }
        }
        long[] outShape = shape.clone();
        outShape[0] = Arrays.stream(firstDims).sum();
        INDArray out = Tensors.newArray(op.dataType(), outShape);
        if (size == 1) {
            Tensors.copy(op.input, 0, out, 0, op.length());
            return out;
        }
        int[] counts = new int[size];
        for (int r = 0; r < size; r++) {
            counts[r] = Math.toIntExact(firstDims[r] * row);
        }
        comm.allgatherv(Tensors.nio(op.input), Tensors.nio(out), counts);
        return out;
    }

    // ---- neighbor allreduce ------------------------------------------------------------------

    private void neighborAllreduce(List<Op> batch) {
        NeighborPlan plan = batch.get(0).plan;
        if (plan.needsSetExchange()) {
            exchangeSets(plan);
        }
        INDArray in = pack(batch);
        INDArray out = resultSpace(batch, true);
        exchangeAndCombine(plan, in, out);
        unpack(batch, out);
    }

    /** out = self * in + sum over sources of w * (their in), flat arrays of one dtype; out may be in. */
    private void exchangeAndCombine(NeighborPlan plan, INDArray in, INDArray out) {
        boolean aliased = Tensors.sameMemory(out, in);
        long n = in.length();
        DataType dtype = in.dataType();
        long deadline = deadline();
        int ns = plan.sources.length;
        int nd = plan.destinations.length;
        long chunk = chunkElements(dtype);
        int chunks = (int) Math.max(1, (n + chunk - 1) / chunk);

        INDArray[] received = new INDArray[ns];
        for (int k = 0; k < ns; k++) {
            received[k] = borrow(dtype, n);
        }
        INDArray[] payload = new INDArray[nd];
        for (int k = 0; k < nd; k++) {
            double w = plan.destinationWeight(k);
            payload[k] = in;
            if (w != 1.0) {
                payload[k] = borrow(dtype, n);
                Combiner.weighted(useNativeKernel, w, new double[0], in, payload[k], new INDArray[0]).combineAll(n);
            }
        }
        // Every chunk's receives first, then its sends (chunk-major: the non-overtaking rule matches
        // chunk c of a source with receive c), then combine each chunk as soon as it is complete.
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
            long from = c * chunk;
            long count = Math.min(chunk, n - from);
            for (int k = 0; k < ns; k++) {
                recvs.add(comm.irecv(Tensors.nio(recvBase[k], dtype, from, count), plan.sources[k], TAG_DATA));
            }
        }
        for (int c = 0; c < chunks; c++) {
            long from = c * chunk;
            long count = Math.min(chunk, n - from);
            for (int k = 0; k < nd; k++) {
                sends.add(comm.isend(Tensors.nio(sendBase[k], dtype, from, count), plan.destinations[k], TAG_DATA));
            }
        }
        Combiner combiner = Combiner.weighted(useNativeKernel, plan.selfWeight, plan.sourceWeights, in, out, received);
        for (int c = 0; c < chunks; c++) {
            long from = c * chunk;
            int count = (int) Math.min(chunk, n - from);
            Waits.range(recvs, c * ns, ns, deadline, k -> "neighborAllreduce data from rank " + plan.sources[k]
                    + " at rank " + rank + " (does rank " + plan.sources[k] + " send to " + rank + "?)");
            if (aliased) {
                // In place: chunk c of the input may be overwritten once every destination has it.
                Waits.range(sends, c * nd, nd, deadline, k -> "rank " + plan.destinations[k]
                        + " to receive neighbor data from rank " + rank);
            }
            combiner.combine(from, count);
        }
        waitSends(deadline, plan.destinations);
    }

    // ---- neighborAllreduce without the coordinator (skip negotiation) -------------------------

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
    void executePeerChecked(Op op) {
        try {
            int[] peers = op.plan.peers();
            double[] own = new double[Headers.LENGTH];
            Headers.encode(op, own, 0);
            ownHeader.clear().put(0, own, 0, Headers.LENGTH);
            long deadline = deadline();
            recvs.clear();
            sends.clear();
            for (int k = 0; k < peers.length; k++) {
                recvs.add(comm.irecv(peerHeaders.duplicate().position(k * Headers.LENGTH).limit((k + 1) * Headers.LENGTH)
                        .slice(), peers[k], TAG_PEER_HEADER));
                sends.add(comm.isend(ownHeader, peers[k], TAG_PEER_HEADER));
            }
            Waits.all(recvs, deadline, k -> "rank " + peers[k] + " to make the same neighborAllreduce call as rank "
                    + rank + " (negotiation is skipped: a neighbor that called another collective, or none, ends here)");
            Waits.all(sends, deadline, k -> "rank " + peers[k] + " to receive rank " + rank + "'s neighborAllreduce header");
            double[] theirs = new double[Headers.LENGTH * peers.length];
            peerHeaders.get(0, theirs, 0, theirs.length);
            Set<Integer> disagree = new TreeSet<>();
            for (int k = 0; k < peers.length; k++) {
                if (!Headers.sameCall(own, 0, theirs, k * Headers.LENGTH)) {
                    disagree.add(peers[k]);
                }
            }
            if (disagree.isEmpty()) {
                execute(List.of(op));
                return;
            }
            // Move data on the agreeing edges (their other ends expect it), into scratch space.
            NeighborPlan agreeing = op.plan.restrictedTo(p -> !disagree.contains(p));
            INDArray in = Tensors.flat(op.input);
            exchangeAndCombine(agreeing, in, borrow(op.dataType(), op.length()));
            StringBuilder sb = new StringBuilder("rank " + rank + " called " + Headers.describe(own, 0));
            for (int k = 0; k < peers.length; k++) {
                if (disagree.contains(peers[k])) {
                    sb.append("; its neighbor rank ").append(peers[k]).append(" called ")
                            .append(Headers.describe(theirs, k * Headers.LENGTH));
                }
            }
            throw new CollectiveMismatchException(sb.append(" (checked between neighbors: negotiation is skipped)")
                    .toString());
        } finally {
            releaseBorrowed();
        }
    }

    /** Elements per pipeline chunk of {@code dtype}. */
    private long chunkElements(DataType dtype) {
        return Math.max(1, pipelineChunkBytes / dtype.width());
    }

    private void waitSends(long deadline, int[] destinations) {
        Waits.all(sends, deadline, k -> "rank " + destinations[k] + " to receive neighbor data from rank " + rank);
    }

    /**
     * Allgather of every rank's (sources, destinations) lists: learns the destinations of an
     * explicit-weights call, and checks that sends and receives match when asked to.
     */
    private void exchangeSets(NeighborPlan plan) {
        int len = 2 * size + 2;
        int[][] src = new int[size][];
        int[][] dst = new int[size][];
        if (size == 1) {
            src[0] = plan.sources;
            dst[0] = plan.destinations == null ? new int[0] : plan.destinations;
        } else {
            setsSend.clear();
            int[] myDst = plan.destinations == null ? new int[0] : plan.destinations;
            setsSend.put(0, plan.sources.length).put(1, myDst.length);
            for (int k = 0; k < plan.sources.length; k++) {
                setsSend.put(2 + k, plan.sources[k]);
            }
            for (int k = 0; k < myDst.length; k++) {
                setsSend.put(2 + plan.sources.length + k, myDst[k]);
            }
            DoubleBuffer all = setsRecv.clear().limit(len * size);
            comm.allgather(setsSend, all);
            for (int r = 0; r < size; r++) {
                int o = r * len;
                int ns = (int) all.get(o);
                int nd = (int) all.get(o + 1);
                src[r] = new int[ns];
                dst[r] = new int[nd];
                for (int k = 0; k < ns; k++) {
                    src[r][k] = (int) all.get(o + 2 + k);
                }
                for (int k = 0; k < nd; k++) {
                    dst[r][k] = (int) all.get(o + 2 + ns + k);
                }
            }
        }
        if (plan.mode == NeighborPlan.Mode.WEIGHTS) {
            List<Integer> to = new ArrayList<>();
            for (int r = 0; r < size; r++) {
                if (Arrays.binarySearch(src[r], rank) >= 0) {
                    to.add(r);
                }
            }
            plan.destinations = to.stream().mapToInt(Integer::intValue).toArray();
            return;
        }
        List<String> errors = new ArrayList<>();
        for (int r = 0; r < size; r++) {
            for (int d : dst[r]) {
                if (!contains(src[d], r)) {
                    errors.add("rank " + r + " sends to rank " + d + " but rank " + d + " does not receive from "
                            + r + " (its sources: " + Arrays.toString(src[d]) + ")");
                }
            }
            for (int s : src[r]) {
                if (!contains(dst[s], r)) {
                    errors.add("rank " + r + " receives from rank " + s + " but rank " + s + " does not send to "
                            + r + " (its destinations: " + Arrays.toString(dst[s]) + ")");
                }
            }
        }
        if (!errors.isEmpty()) {
            throw new CollectiveMismatchException("neighborAllreduce send/receive sets do not match: "
                    + String.join("; ", errors));
        }
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }

    // ---- neighbor allgather ------------------------------------------------------------------

    private INDArray neighborAllgather(Op op) {
        NeighborPlan plan = op.plan;
        if (plan.needsSetExchange()) {
            exchangeSets(plan);
        }
        long[] shape = op.shape();
        long row = op.length() / shape[0];
        int ns = plan.gatherOrder.length;
        long deadline = deadline();
        // First the first dimensions (they may differ), then the data straight into the result.
        DoubleBuffer dims = Coordinator.direct(Math.max(1, ns));
        DoubleBuffer mine = Coordinator.direct(1).put(0, shape[0]);
        recvs.clear();
        sends.clear();
        for (int k = 0; k < ns; k++) {
            recvs.add(comm.irecv(dims.duplicate().position(k).limit(k + 1), plan.gatherOrder[k], TAG_META));
        }
        for (int d : plan.destinations) {
            sends.add(comm.isend(mine, d, TAG_META));
        }
        Waits.all(recvs, deadline, k -> "neighborAllgather shape from rank " + plan.gatherOrder[k]);
        long[] outShape = shape.clone();
        outShape[0] = 0;
        for (int k = 0; k < ns; k++) {
            outShape[0] += (long) dims.get(k);
        }
        INDArray out = Tensors.newArray(op.dataType(), outShape);
        recvs.clear();
        long at = 0;
        for (int k = 0; k < ns; k++) {
            long count = (long) dims.get(k) * row;
            recvs.add(comm.irecv(Tensors.nio(out, at, count), plan.gatherOrder[k], TAG_DATA));
            at += count;
        }
        for (int d : plan.destinations) {
            sends.add(comm.isend(Tensors.nio(op.input), d, TAG_DATA));
        }
        Waits.all(recvs, deadline, k -> "neighborAllgather data from rank " + plan.gatherOrder[k]);
        waitSends(deadline, plan.destinations);
        return out;
    }

    // ---- pair gossip -------------------------------------------------------------------------

    private INDArray pairGossip(Op op) {
        INDArray out = Tensors.newArray(op.dataType(), op.shape());
        INDArray flatOut = Tensors.flat(out);
        INDArray in = Tensors.flat(op.input);
        if (op.peer == rank) {
            Tensors.copy(in, 0, flatOut, 0, op.length());
            return out;
        }
        long deadline = deadline();
        INDArray other = borrow(op.dataType(), op.length());
        recvs.clear();
        sends.clear();
        recvs.add(comm.irecv(Tensors.nio(other), op.peer, TAG_DATA));
        sends.add(comm.isend(Tensors.nio(in), op.peer, TAG_DATA));
        Waits.all(recvs, deadline, k -> "pairGossip data from rank " + op.peer);
        // (x_low + x_high) / 2 in the same order on both ranks: bitwise equal results.
        INDArray low = rank < op.peer ? in : other;
        INDArray high = rank < op.peer ? other : in;
        Combiner.average(useNativeKernel, low, flatOut, new INDArray[] {high}).combineAll(op.length());
        waitSends(deadline, new int[] {op.peer});
        return out;
    }

    // ---- hierarchical neighbor allreduce -----------------------------------------------------

    private int[] machines() {
        if (machineOf == null) {
            machineOf = new int[size];
            if (size > 1) {
                oneDouble.clear().put(0, comm.machineRank());
                DoubleBuffer all = setsRecv.clear().limit(size);
                comm.allgather(oneDouble, all);
                for (int r = 0; r < size; r++) {
                    machineOf[r] = (int) all.get(r);
                }
            }
        }
        return machineOf;
    }

    private INDArray hierarchical(Op op) {
        int[] machineOf = machines();
        int machines = Arrays.stream(machineOf).max().orElse(0) + 1;
        Topology mt = op.machineTopology;
        if (mt.size() != machines) {
            throw new IllegalArgumentException("machine topology has " + mt.size() + " ranks but the job runs on "
                    + machines + " machines");
        }
        int[] leader = new int[machines];
        Arrays.fill(leader, -1);
        List<List<Integer>> members = new ArrayList<>();
        for (int m = 0; m < machines; m++) {
            members.add(new ArrayList<>());
        }
        for (int r = 0; r < size; r++) {
            int m = machineOf[r];
            if (leader[m] < 0) {
                leader[m] = r;
            } else {
                members.get(m).add(r);
            }
        }
        int me = machineOf[rank];
        long n = op.length();
        DataType dtype = op.dataType();
        INDArray in = Tensors.flat(op.input);
        INDArray out = Tensors.newArray(dtype, op.shape());
        INDArray flatOut = Tensors.flat(out);
        long deadline = deadline();
        recvs.clear();
        sends.clear();
        if (leader[me] != rank) {
            recvs.add(comm.irecv(Tensors.nio(flatOut), leader[me], TAG_DATA));
            sends.add(comm.isend(Tensors.nio(in), leader[me], TAG_DATA));
            Waits.all(recvs, deadline, k -> "hierarchicalNeighborAllreduce result from machine leader " + leader[me]);
            waitSends(deadline, new int[] {leader[me]});
            return out;
        }
        // 1. machine average: self first, then members in ascending rank order.
        List<Integer> mine = members.get(me);
        INDArray[] local = new INDArray[mine.size()];
        for (int k = 0; k < local.length; k++) {
            local[k] = borrow(dtype, n);
            recvs.add(comm.irecv(Tensors.nio(local[k]), mine.get(k), TAG_DATA));
        }
        Waits.all(recvs, deadline, k -> "hierarchicalNeighborAllreduce data from rank " + mine.get(k));
        INDArray avg = borrow(dtype, n);
        Combiner.average(useNativeKernel, in, avg, local).combineAll(n);
        // 2. leaders mix with the machine topology.
        int[] inMachines = mt.inNeighbors(me);
        int[] outMachines = mt.outNeighbors(me);
        INDArray[] fromLeaders = new INDArray[inMachines.length];
        recvs.clear();
        for (int k = 0; k < inMachines.length; k++) {
            fromLeaders[k] = borrow(dtype, n);
            recvs.add(comm.irecv(Tensors.nio(fromLeaders[k]), leader[inMachines[k]], TAG_DATA));
        }
        for (int m : outMachines) {
            sends.add(comm.isend(Tensors.nio(avg), leader[m], TAG_DATA));
        }
        Waits.all(recvs, deadline, k -> "hierarchicalNeighborAllreduce data from leader " + leader[inMachines[k]]);
        Combiner.weighted(useNativeKernel, mt.selfWeight(me), mt.recvWeights(me), avg, flatOut, fromLeaders).combineAll(n);
        // 3. back to the machine's members.
        for (int r : mine) {
            sends.add(comm.isend(Tensors.nio(flatOut), r, TAG_DATA));
        }
        Waits.all(sends, deadline, k -> "a member or leader to receive hierarchicalNeighborAllreduce data");
        return out;
    }

    void clear() {
        pool.clear();
    }

    static ByteBuffer directBytes(int n) {
        return ByteBuffer.allocateDirect(n).order(ByteOrder.nativeOrder());
    }
}
