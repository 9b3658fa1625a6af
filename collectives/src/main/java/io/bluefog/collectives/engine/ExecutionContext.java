package io.bluefog.collectives.engine;

import io.bluefog.CollectiveMismatchException;
import io.bluefog.comm.Communicator;
import io.bluefog.comm.Request;
import java.nio.DoubleBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What every {@link Operation} shares on one rank: the transport, the pool of receive and scratch
 * buffers, the lists of pending sends and receives, deadlines and waits (which also watch for
 * failure notices from other ranks, {@link PeerFailures}), the packing of fused batches, the
 * combine kernel ({@link Combiner}), the exchange of neighbor sets and the machine layout.
 * Used only by the thread that holds the engine's execution lock.
 */
final class ExecutionContext {
    static final int TAG_DATA = 4;
    static final int TAG_META = 5;
    static final int TAG_PEER_HEADER = 6;
    static final int TAG_FAILURE = 7;
    /** The allgather half of {@link DirectAllreduce}: finished chunks (its reduce-scatter half uses {@link #TAG_DATA}). */
    static final int TAG_RESULT = 9;

    final Communicator comm;
    final int rank;
    final int size;
    final PeerFailures failures;
    /** 0 .. size - 1: every rank speaks for itself in {@link #exchangeSets} of a rank-level plan. */
    final int[] everyRank;
    /** Requests of the current operation; operations clear them before use. */
    final List<Request> sends = new ArrayList<>();
    final List<Request> recvs = new ArrayList<>();
    /** A direct buffer of one double, e.g. for a first dimension. */
    final DoubleBuffer oneDouble = Coordinator.direct(1);
    /** Room for one small allgather: {@code (2 * size + 2) * size} doubles. */
    final DoubleBuffer gathered;
    private final DoubleBuffer setsSend;
    private final long timeoutNanos;
    final long pipelineChunkBytes;
    /** Combine with the native kernel (else Combiner's Java loops), decided once per engine. */
    final boolean useNativeKernel = NativeKernels.enabled();
    private final BufferPool pool = new BufferPool();
    /** Memory of the arrays handed to callers of the result-returning forms, reused once they release it. */
    private final ResultPool results = new ResultPool();
    private final List<INDArray> borrowed = new ArrayList<>();
    /**
     * Every rank's first dimension of the single call being executed, when the cache round that
     * agreed it carried them ({@link Executor#execute(List, long[])}); else null. Valid only during
     * that call.
     */
    long[] agreedFirstDims;
    private INDArray newResult; // the array resultSpace created for a single op, until unpack hands it out
    /** The result array {@link #prepareResult} took for {@link #preparedFor}, until resultSpace uses it or finish gives it back. */
    private INDArray prepared;
    /** Results taken ahead by {@link #prepareResult} that their op used, and those given back unused (tests). */
    long preparedUsed;
    long preparedDropped;
    private Op preparedFor;
    private long[] preparedShape;
    private Machines machines;
    /**
     * Allreduces of float tensors of at least this many bytes run as {@link DirectAllreduce}: on the
     * MPI transport from {@link DirectAllreduce#DEFAULT_MIN_BYTES}; never on others by default (the
     * in-JVM transport's allreduce reads the other ranks' buffers directly).
     */
    long directAllreduceMinBytes;
    /**
     * Whether {@link DirectAllreduce} goes through memory shared by the ranks ({@link SharedMemoryAllreduce}):
     * on the MPI transport when every rank runs on this machine (2 to {@link ReduceSegment#MAX_RANKS}
     * ranks) unless {@code BLUEFOG_ALLREDUCE_SHM=false}; never on others by default.
     */
    boolean sharedMemoryAllreduce;
    /** Allreduces that went through shared memory (tests). */
    long sharedMemoryAllreduces;
    /**
     * Single-op broadcasts of at least this many bytes run as {@link BroadcastOperation#chain}: on
     * the MPI transport from {@link BroadcastOperation#DEFAULT_CHAIN_MIN_BYTES}; never on others by
     * default.
     */
    long chainBroadcastMinBytes;

    ExecutionContext(Communicator comm, long timeoutMillis, long pipelineChunkBytes) {
        if (pipelineChunkBytes < 8) {
            throw new IllegalArgumentException("pipeline chunk must be at least 8 bytes, got " + pipelineChunkBytes);
        }
        this.comm = comm;
        this.rank = comm.rank();
        this.size = comm.size();
        this.timeoutNanos = timeoutMillis * 1_000_000L;
        this.pipelineChunkBytes = pipelineChunkBytes;
        this.directAllreduceMinBytes = "mpi".equals(comm.transportName()) ? DirectAllreduce.DEFAULT_MIN_BYTES
                : Long.MAX_VALUE;
        this.sharedMemoryAllreduce = "mpi".equals(comm.transportName()) && size > 1 && size <= ReduceSegment.MAX_RANKS
                && comm.localSize() == size && io.bluefog.config.BlueFogConfig.fromEnvironment().allreduceShm();
        this.chainBroadcastMinBytes = "mpi".equals(comm.transportName()) ? BroadcastOperation.DEFAULT_CHAIN_MIN_BYTES
                : Long.MAX_VALUE;
        this.failures = PeerFailures.of(comm);
        this.everyRank = java.util.stream.IntStream.range(0, size).toArray();
        int setLength = 2 * size + 2;
        this.setsSend = Coordinator.direct(setLength);
        this.gathered = Coordinator.direct(setLength * size);
    }

    // ---- buffers -----------------------------------------------------------------------------

    /** @return a pooled flat array of {@code length} elements, given back when the operation ends */
    INDArray borrow(DataType dtype, long length) {
        INDArray a = pool.take(dtype, length);
        borrowed.add(a);
        return a;
    }

    /** Ends an operation: returns its borrowed arrays, and a prepared result it did not use, to the pools. */
    void finish() {
        newResult = null;
        dropPrepared();
        for (INDArray a : borrowed) {
            pool.give(a);
        }
        borrowed.clear();
    }

    /** Frees the pooled buffers (the engine's thread is ending). */
    void clear() {
        dropPrepared();
        pool.clear();
        results.clear();
    }

    /**
     * Takes the result array of {@code op}, a single result-returning call, ahead of its execution:
     * the cache round calls this once its messages are out and before it waits for the peers', so
     * that taking the array overlaps the wait instead of following the arrival of the data.
     * {@link #resultSpace} of that op uses it; if the op does not execute (a mismatch, a timeout)
     * the next {@link #finish} or {@link #clear} gives it back. Nothing is done for an in-place op.
     */
    void prepareResult(Op op) {
        if (!op.inPlace()) {
            prepareResult(op, op.shape());
        }
    }

    /** {@link #prepareResult(Op)} of a result of {@code shape} (an allgather's, predicted), of {@code op}'s dtype. */
    void prepareResult(Op op, long[] shape) {
        dropPrepared();
        prepared = newResult(op.dataType(), shape);
        preparedFor = op;
        preparedShape = shape;
    }

    /**
     * @return the array {@link #prepareResult} took for {@code op} if it has {@code shape}, else a new
     *         one ({@link #newResult}); the caller owns it from here on
     */
    INDArray resultFor(Op op, long[] shape) {
        if (op == preparedFor && Arrays.equals(preparedShape, shape)) {
            INDArray a = prepared;
            prepared = null;
            preparedFor = null;
            preparedShape = null;
            preparedUsed++;
            return a;
        }
        return newResult(op.dataType(), shape);
    }

    /** Gives an unused {@link #prepareResult} array back to the result pool (closing it releases its memory there). */
    private void dropPrepared() {
        if (prepared != null) {
            preparedDropped++;
            prepared.close();
            prepared = null;
            preparedFor = null;
            preparedShape = null;
        }
    }

    /** @return a new C-order array for a caller to own, on reused memory ({@link ResultPool}) */
    INDArray newResult(DataType dtype, long[] shape) {
        return results.take(dtype, shape);
    }

    // ---- time --------------------------------------------------------------------------------

    long deadline() {
        return System.nanoTime() + timeoutNanos;
    }

    /** @return the engine's timeout for one wait, in milliseconds */
    long timeoutMillis() {
        return timeoutNanos / 1_000_000L;
    }

    /** Elements per pipeline chunk of {@code dtype}. */
    long chunkElements(DataType dtype) {
        return Math.max(1, pipelineChunkBytes / dtype.width());
    }

    /** {@link Waits#all}, failing at once when another rank announces a failure. */
    void waitAll(List<Request> requests, long deadline, IntFunction<String> what) {
        Waits.range(requests, 0, requests.size(), deadline, what, failures);
    }

    /** {@link Waits#range}, failing at once when another rank announces a failure. */
    void waitRange(List<Request> requests, int from, int count, long deadline, IntFunction<String> what) {
        Waits.range(requests, from, count, deadline, what, failures);
    }

    /** Waits for {@link #sends}, request k going to {@code destinations[k]}. */
    void waitSends(long deadline, int[] destinations) {
        waitAll(sends, deadline, k -> "rank " + destinations[k] + " to receive data from rank " + rank);
    }

    // ---- combine -----------------------------------------------------------------------------

    /** @return the kernel for out = self * in + sum_k weights[k] * received[k] (see {@link Combiner#weighted}) */
    Combiner combiner(double self, double[] weights, INDArray in, INDArray out, INDArray[] received) {
        return Combiner.weighted(useNativeKernel, self, weights, in, out, received);
    }

    /** x = x / divisor in place, correctly rounded (see {@link Combiner#divide}). */
    void divide(INDArray x, int divisor) {
        Combiner.divide(useNativeKernel, x, divisor);
    }

    /** dst = w * src, flat arrays of one dtype and length (see {@link Combiner#weighted}). */
    void scaled(INDArray src, double w, INDArray dst) {
        Combiner.weighted(useNativeKernel, w, new double[0], src, dst, new INDArray[0]).combineAll(src.length());
    }

    // ---- fused batches -----------------------------------------------------------------------

    static long total(List<Op> batch) {
        long n = 0;
        for (Op op : batch) {
            n += op.length();
        }
        return n;
    }

    /** @return the single op's input, or a pooled flat array holding every op's input back to back */
    INDArray pack(List<Op> batch) {
        if (batch.size() == 1) {
            return Tensors.flat(batch.get(0).input);
        }
        INDArray packed = borrow(batch.get(0).dataType(), total(batch));
        copyInputs(batch, packed);
        return packed;
    }

    private static void copyInputs(List<Op> batch, INDArray to) {
        long at = 0;
        for (Op op : batch) {
            Tensors.copy(op.input, 0, to, at, op.length());
            at += op.length();
        }
    }

    /**
     * @return where to write the result, flat: the input itself (in place, single op, when
     *         {@code mayAliasInput}), a new array (single op; the caller gets that array itself, see
     *         {@link #unpack}), or pooled
     */
    INDArray resultSpace(List<Op> batch, boolean mayAliasInput) {
        Op first = batch.get(0);
        if (batch.size() == 1) {
            if (first.inPlace() && mayAliasInput) {
                return Tensors.flat(first.input);
            }
            newResult = resultFor(first, first.shape());
            return Tensors.flat(newResult);
        }
        return borrow(first.dataType(), total(batch));
    }

    /**
     * @return a flat array holding the batch's inputs back to back that may be overwritten with the
     *         result: a single in-place op's own input, else {@link #resultSpace} with the inputs copied in
     */
    INDArray workingCopy(List<Op> batch) {
        Op first = batch.get(0);
        if (batch.size() == 1 && first.inPlace()) {
            return Tensors.flat(first.input);
        }
        INDArray work = resultSpace(batch, false);
        copyInputs(batch, work);
        return work;
    }

    /** Completes every op of the batch from {@code result} (flat, ops back to back). */
    void unpack(List<Op> batch, INDArray result) {
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
            INDArray out = op.inPlace() ? op.input : newResult(op.dataType(), op.shape());
            Tensors.copy(result, at, out, 0, op.length());
            at += op.length();
            op.future.complete(op.inPlace() ? op.finishInPlace() : out);
        }
    }

    // ---- machines ----------------------------------------------------------------------------

    /** Which rank runs on which machine, and each machine's leader (its lowest rank). */
    record Machines(int[] machineOf, int[] leader, int[][] members) {
        int count() {
            return leader.length;
        }

        /** @return the ranks of machine {@code m} other than its leader, ascending */
        int[] membersOf(int m) {
            return members[m];
        }
    }

    /** @return the machine layout, learnt with one allgather on the first call (a collective step) */
    Machines machines() {
        if (machines == null) {
            int[] machineOf = new int[size];
            if (size > 1) {
                oneDouble.clear().put(0, comm.machineRank());
                DoubleBuffer all = gathered.clear().limit(size);
                comm.allgather(oneDouble, all);
                for (int r = 0; r < size; r++) {
                    machineOf[r] = (int) all.get(r);
                }
            }
            int count = Arrays.stream(machineOf).max().orElse(0) + 1;
            int[] leader = new int[count];
            Arrays.fill(leader, -1);
            List<List<Integer>> members = new ArrayList<>();
            for (int m = 0; m < count; m++) {
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
            int[][] mem = members.stream().map(l -> l.stream().mapToInt(Integer::intValue).toArray())
                    .toArray(int[][]::new);
            machines = new Machines(machineOf, leader, mem);
        }
        return machines;
    }

    /** Clears the request lists for a step between a machine's ranks; @return this rank's machine leader */
    private int startMachineStep() {
        recvs.clear();
        sends.clear();
        Machines ms = machines();
        return ms.leader()[ms.machineOf()[rank]];
    }

    /**
     * Sum (or average) of {@code work} over the ranks of this rank's machine, at its leader: the
     * members send their {@code work} to the leader, which adds them to its own in ascending rank
     * order (itself first, it is the lowest), into {@code work}. Members' {@code work} is unchanged.
     *
     * @return true on the leader (whose {@code work} now holds the result)
     */
    boolean reduceAtLeader(INDArray work, boolean average, String what) {
        long deadline = deadline();
        int leader = startMachineStep();
        if (leader != rank) {
            sends.add(comm.isend(Tensors.nio(work), leader, TAG_DATA));
            waitAll(sends, deadline, k -> "machine leader " + leader + " to receive " + what + " data from rank " + rank);
            return false;
        }
        int[] mine = machines.membersOf(machines.machineOf()[rank]);
        INDArray[] local = new INDArray[mine.length];
        for (int k = 0; k < local.length; k++) {
            local[k] = borrow(work.dataType(), work.length());
            recvs.add(comm.irecv(Tensors.nio(local[k]), mine[k], TAG_DATA));
        }
        waitAll(recvs, deadline, k -> what + " data from rank " + mine[k] + " at its machine leader " + rank);
        if (average) {
            Combiner.average(useNativeKernel, work, work, local).combineAll(work.length());
        } else if (mine.length > 0) {
            double[] ones = new double[mine.length];
            Arrays.fill(ones, 1.0);
            combiner(1.0, ones, work, work, local).combineAll(work.length());
        }
        return true;
    }

    /**
     * The second half of a machine-level exchange: the leader sends {@code result} to the other
     * ranks of its machine, which receive it into {@code result}.
     */
    void shareFromLeader(INDArray result, String what) {
        long deadline = deadline();
        int leader = startMachineStep();
        if (leader != rank) {
            recvs.add(comm.irecv(Tensors.nio(result), leader, TAG_DATA));
            waitAll(recvs, deadline, k -> what + " result from machine leader " + leader + " at rank " + rank);
            return;
        }
        int[] mine = machines.membersOf(machines.machineOf()[rank]);
        for (int r : mine) {
            sends.add(comm.isend(Tensors.nio(result), r, TAG_DATA));
        }
        waitSends(deadline, mine);
    }

    // ---- neighbor sets -----------------------------------------------------------------------

    /**
     * Allgather of every rank's (sources, destinations) lists: learns the destinations of an
     * explicit-weights plan, and checks that sends and receives match when the plan asks for it.
     * {@code nodeOf[r]} says which node's lists rank r gives ({@code r} itself for rank plans, its
     * machine for machine plans, of which the leader's lists count); {@code leaderOf[node]} says
     * which rank speaks for a node.
     *
     * @param noun "rank" or "machine", for messages
     * @throws CollectiveMismatchException naming every unmatched send and receive (all ranks see the
     *         same lists, so all fail alike)
     */
    void exchangeSets(NeighborPlan plan, int self, int[] leaderOf, String noun, String opName) {
        int len = 2 * size + 2;
        int nodes = leaderOf.length;
        int[][] src = new int[nodes][];
        int[][] dst = new int[nodes][];
        int[] myDst = plan.destinations == null ? new int[0] : plan.destinations;
        if (size == 1) {
            src[0] = plan.sources;
            dst[0] = myDst;
        } else {
            setsSend.clear();
            setsSend.put(0, plan.sources.length).put(1, myDst.length);
            for (int k = 0; k < plan.sources.length; k++) {
                setsSend.put(2 + k, plan.sources[k]);
            }
            for (int k = 0; k < myDst.length; k++) {
                setsSend.put(2 + plan.sources.length + k, myDst[k]);
            }
            DoubleBuffer all = gathered.clear().limit(len * size);
            comm.allgather(setsSend, all);
            for (int node = 0; node < nodes; node++) {
                int o = leaderOf[node] * len;
                int ns = (int) all.get(o);
                int nd = (int) all.get(o + 1);
                src[node] = new int[ns];
                dst[node] = new int[nd];
                for (int k = 0; k < ns; k++) {
                    src[node][k] = (int) all.get(o + 2 + k);
                }
                for (int k = 0; k < nd; k++) {
                    dst[node][k] = (int) all.get(o + 2 + ns + k);
                }
            }
        }
        if (plan.mode == NeighborPlan.Mode.WEIGHTS) {
            List<Integer> to = new ArrayList<>();
            for (int node = 0; node < nodes; node++) {
                if (Arrays.binarySearch(src[node], self) >= 0) {
                    to.add(node);
                }
            }
            plan.destinations = to.stream().mapToInt(Integer::intValue).toArray();
            return;
        }
        List<String> errors = new ArrayList<>();
        for (int r = 0; r < nodes; r++) {
            for (int d : dst[r]) {
                if (!contains(src[d], r)) {
                    errors.add(noun + " " + r + " sends to " + noun + " " + d + " but " + noun + " " + d
                            + " does not receive from " + r + " (its sources: " + Arrays.toString(src[d]) + ")");
                }
            }
            for (int s : src[r]) {
                if (!contains(dst[s], r)) {
                    errors.add(noun + " " + r + " receives from " + noun + " " + s + " but " + noun + " " + s
                            + " does not send to " + r + " (its destinations: " + Arrays.toString(dst[s]) + ")");
                }
            }
        }
        if (!errors.isEmpty()) {
            throw new CollectiveMismatchException(opName + " send/receive sets do not match: "
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
}
