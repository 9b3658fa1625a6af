package io.bluefog.collectives.engine;

import io.bluefog.comm.ReduceOp;
import io.bluefog.comm.Request;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Small cached calls whose data travels with the cache round instead of after it, so that a
 * repeated small call costs one exchange between the ranks, not two. A rank whose only pending
 * call is in its {@link ResponseCache} and {@link #eligible} sends that call's data to the ranks
 * that need it (tag {@link #TAG_SPEC}) right after its cache announcement, and says in the
 * announcement to each rank how many elements of which dtype it sent there
 * ({@link Coordinator#cachedRound}). When every rank announced the same slot and sent early, the
 * call is completed from those messages ({@link #execute}); in every other case each rank first
 * receives and discards what was sent to it ({@link #drain}, sizes from the announcements, so no
 * receive can mismatch a message), and the call is decided as without early data. Early data is
 * exactly what the negotiated path would send, and it is combined with the same kernel in the
 * same order, so results are bit-identical to it.
 *
 * <p>Eligible, on the message transports, for 2 .. {@value #MAX_RANKS} ranks and at most
 * {@value #MAX_BYTES} bytes: neighborAllreduce over a topology (whose sources and destinations every
 * rank derives from the same agreed topology); broadcast; allgather; and on
 * 2 ranks allreduce SUM and AVG of float32 and float64 (where the rank-order sum of the two
 * tensors is the transport's sum, bit for bit). Used by the thread that holds the engine's
 * execution lock.
 */
final class SmallCalls {
    /** The early data's tag; the engine's other tags are 1..8. */
    static final int TAG_SPEC = 9;
    /** Largest call sent early: the data goes to every peer at once, unpipelined. */
    static final long MAX_BYTES = 64 * 1024;
    /** Most ranks: an allgather or broadcast sends to every other rank. */
    static final int MAX_RANKS = 8;

    private final ExecutionContext ctx;
    /** Elements this rank sent early to each rank in this round (-1: nothing), and their dtype code. */
    final long[] sentTo;
    int sentDtype;
    private final List<Request> sent = new ArrayList<>();
    private final List<Request> drains = new ArrayList<>();
    /** Views of pooled receive arrays, by identity; at most {@link #MAX_VIEWS}. */
    private final Map<INDArray, Buffer> views = new IdentityHashMap<>();
    private static final int MAX_VIEWS = 64;
    /** The last input sent early, its address and length, and the view of it ({@link #inputView}). */
    private INDArray lastInput;
    private long lastInputAddress;
    private long lastInputLength;
    private Buffer lastInputView;

    SmallCalls(ExecutionContext ctx) {
        this.ctx = ctx;
        this.sentTo = new long[ctx.size];
        Arrays.fill(sentTo, -1);
    }

    /** @return true if {@code op} may send its data with the cache round (see the class comment) */
    boolean eligible(Op op) {
        if (ctx.size < 2 || ctx.size > MAX_RANKS || op.input == null
                || op.length() * op.dataType().width() > MAX_BYTES) {
            return false;
        }
        return switch (op.kind) {
            case NEIGHBOR_ALLREDUCE -> op.plan.mode == NeighborPlan.Mode.TOPOLOGY && op.plan.destinationWeights == null;
            case BROADCAST -> true;
            case ALLGATHER -> op.shape().length >= 1;
            case ALLREDUCE -> ctx.size == 2 && (op.reduceOp == ReduceOp.SUM || op.reduceOp == ReduceOp.AVG)
                    && (op.dataType() == DataType.FLOAT || op.dataType() == DataType.DOUBLE);
            default -> false;
        };
    }

    /** Sends {@code op}'s data to the ranks that need it and records what went where ({@link #sentTo}). */
    void send(Op op) {
        Arrays.fill(sentTo, -1);
        sent.clear();
        sentDtype = op.dtypeCode();
        Buffer data = inputView(op.input);
        int[] to = switch (op.kind) {
            case NEIGHBOR_ALLREDUCE -> op.plan.destinations;
            case BROADCAST -> op.root == ctx.rank ? ctx.everyRank : new int[0];
            default -> ctx.everyRank;
        };
        for (int r : to) {
            if (r != ctx.rank) {
                sent.add(ctx.comm.isend(data, r, TAG_SPEC));
                sentTo[r] = op.length();
            }
        }
    }

    /**
     * @return a typed buffer over all of {@code input}: the last call's when {@code input} is the same
     *         array at the same address and length (a training loop passes the same tensor every
     *         iteration, and making a view costs about as much as a small message); one entry, so at
     *         most one caller array of at most {@value #MAX_BYTES} bytes stays referenced
     */
    private Buffer inputView(INDArray input) {
        long address = Tensors.address(input);
        long length = input.length();
        if (input != lastInput || address != lastInputAddress || length != lastInputLength) {
            lastInputView = Tensors.nio(input);
            lastInput = input;
            lastInputAddress = address;
            lastInputLength = length;
        }
        return lastInputView.clear();
    }

    /**
     * @return a typed buffer over all of {@code pooled} (a {@link BufferPool} array, which later calls
     *         get again): made once per array, since making one costs about as much as a small message
     */
    private Buffer view(INDArray pooled) {
        Buffer b = views.get(pooled);
        if (b == null) {
            if (views.size() >= MAX_VIEWS) {
                views.clear();
            }
            b = Tensors.nio(pooled);
            views.put(pooled, b);
        }
        return b.clear();
    }

    /** Forgets the views (the pool is being cleared). */
    void clear() {
        views.clear();
        lastInput = null;
        lastInputView = null;
    }

    /** @return true if this rank sent early data in the current round */
    boolean sentAny() {
        return !sent.isEmpty();
    }

    /** Clears the record of the last round (a round in which this rank sends nothing). */
    void none() {
        Arrays.fill(sentTo, -1);
        sent.clear();
    }

    /**
     * Receives and discards the early data other ranks sent to this rank (the announcements say
     * how much), and waits until this rank's own early sends are delivered.
     *
     * @param elements elements rank r sent to this rank ({@code -1}: none), with dtype code {@code dtypes[r]}
     */
    void drain(long[] elements, int[] dtypes, long deadline) {
        drains.clear();
        List<Integer> from = new ArrayList<>();
        for (int r = 0; r < ctx.size; r++) {
            if (r != ctx.rank && elements[r] >= 0) {
                int width = Tensors.width(dtypes[r]);
                ByteBuffer scratch = ByteBuffer.allocateDirect((int) (elements[r] * width)).order(ByteOrder.nativeOrder());
                drains.add(ctx.comm.irecv(Tensors.typed(scratch, Tensors.dataType(dtypes[r])), r, TAG_SPEC));
                from.add(r);
            }
        }
        ctx.waitAll(drains, deadline, k -> "early data from rank " + from.get(k) + " at rank " + ctx.rank);
        waitSent(deadline);
    }

    private void waitSent(long deadline) {
        ctx.waitAll(sent, deadline, k -> "a rank to receive early data from rank " + ctx.rank);
        sent.clear();
    }

    /**
     * Completes {@code op}, whose data every rank sent early (every rank agreed it from the cache).
     *
     * @param firstDims every rank's first dimension (for allgather)
     */
    void execute(Op op, long[] firstDims) {
        try {
            List<Op> batch = List.of(op);
            long deadline = ctx.deadline();
            int rank = ctx.rank;
            long n = op.length();
            DataType dtype = op.dataType();
            ctx.recvs.clear();
            switch (op.kind) {
                case NEIGHBOR_ALLREDUCE -> {
                    NeighborPlan plan = op.plan;
                    int[] from = plan.sources;
                    INDArray[] received = new INDArray[from.length];
                    for (int k = 0; k < from.length; k++) {
                        received[k] = ctx.borrow(dtype, n);
                        ctx.recvs.add(ctx.comm.irecv(view(received[k]), from[k], TAG_SPEC));
                    }
                    INDArray in = Tensors.flat(op.input);
                    INDArray out = ctx.resultSpace(batch, true);
                    ctx.waitAll(ctx.recvs, deadline, k -> "neighborAllreduce data from rank " + from[k] + " at rank " + rank);
                    waitSent(deadline); // in place, the input is overwritten below
                    ctx.combiner(plan.selfWeight, plan.sourceWeights, in, out, received).combineAll(n);
                    ctx.unpack(batch, out);
                }
                case ALLREDUCE -> {
                    int peer = 1 - rank;
                    INDArray other = ctx.borrow(dtype, n);
                    ctx.recvs.add(ctx.comm.irecv(view(other), peer, TAG_SPEC));
                    INDArray in = Tensors.flat(op.input);
                    INDArray out = ctx.resultSpace(batch, true);
                    ctx.waitAll(ctx.recvs, deadline, k -> "allreduce data from rank " + peer + " at rank " + rank);
                    waitSent(deadline);
                    // x0 + x1: one rounding of the exact sum, which is the transport's SUM on two ranks.
                    ctx.combiner(1.0, new double[] {1.0}, in, out, new INDArray[] {other}).combineAll(n);
                    if (op.reduceOp == ReduceOp.AVG) {
                        ctx.divide(out, 2); // then one correctly rounded division, as AllreduceOperation
                    }
                    ctx.unpack(batch, out);
                }
                case BROADCAST -> {
                    INDArray out;
                    if (op.root == rank) {
                        out = ctx.workingCopy(batch); // reads the input only, while it is being sent
                        waitSent(deadline);
                    } else {
                        // Straight into the result (the caller's array, or a new one): on the shared-memory
                        // BTL a message above the eager limit is copied when its receive is posted, so a
                        // pooled staging array would only add a second copy.
                        out = ctx.resultSpace(batch, true);
                        ctx.recvs.add(ctx.comm.irecv(Tensors.nio(out), op.root, TAG_SPEC));
                        ctx.waitAll(ctx.recvs, deadline, k -> "broadcast data from root " + op.root + " at rank " + rank);
                    }
                    ctx.unpack(batch, out);
                }
                case ALLGATHER -> {
                    long[] shape = op.shape();
                    long row = n / shape[0];
                    long[] outShape = shape.clone();
                    outShape[0] = Arrays.stream(firstDims).sum();
                    // Straight into the new result, each rank's rows at their place (see BROADCAST).
                    INDArray out = ctx.newResult(dtype, outShape);
                    ByteBuffer base = Tensors.base(out);
                    long at = 0;
                    long own = 0;
                    for (int r = 0; r < ctx.size; r++) {
                        long count = firstDims[r] * row;
                        if (r != rank) {
                            ctx.recvs.add(ctx.comm.irecv(Tensors.nio(base, dtype, at, count), r, TAG_SPEC));
                        } else {
                            own = at;
                        }
                        at += count;
                    }
                    Tensors.copy(op.input, 0, out, own, n);
                    ctx.waitAll(ctx.recvs, deadline, k -> "allgather data at rank " + rank);
                    waitSent(deadline);
                    op.future.complete(out);
                }
                default -> throw new IllegalStateException(op.kind + " is not sent early");
            }
        } finally {
            ctx.finish();
        }
    }
}
