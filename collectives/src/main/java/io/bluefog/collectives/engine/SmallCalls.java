package io.bluefog.collectives.engine;

import io.bluefog.comm.EagerPieces;
import io.bluefog.comm.ReduceOp;
import io.bluefog.comm.Request;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Small cached calls whose data travels in the cache round's own message instead of after it, so
 * that a repeated small call costs one message per peer, as a plain exchange does. Every cache round
 * over messages sends each other rank exactly one message (tag {@link Coordinator#TAG_CACHE}; see
 * below for pieces): the announcement ({@link Coordinator#ROUND_LENGTH} doubles), followed, when
 * this rank's only pending call is in its {@link ResponseCache} and {@link #eligible}, and the
 * receiver needs this rank's data, by that call's data ({@link #stage}); each rank receives each
 * peer's message with {@link io.bluefog.comm.Communicator#irecvUpTo} into a buffer with room for
 * the longest, and learns from its length whether data came with it. A message a little longer than
 * the transport's eager limit travels as a few eager pieces instead ({@link #pieceWords}): on Open
 * MPI's shared-memory transport a 4 KB call's message (4096 bytes of data and the announcement)
 * would otherwise go rendezvous, with a copy system call that took 41% of the ranks' CPU in a loop
 * of such calls. When every rank announced the same slot and sent early, the call is completed from
 * those messages ({@link #execute}); in every other case the data that came is ignored and the call
 * is decided as without early data: no message is left unreceived whatever the ranks called, so a
 * mismatch cannot leave a receive to match a later call. Early data is exactly what the negotiated
 * path would send, and it is combined with the same kernel in the same order, so results are
 * bit-identical to it.
 *
 * <p>Eligible, on message transports that offer {@code irecvUpTo}, for 2 .. {@value #MAX_RANKS}
 * ranks and at most {@value #MAX_BYTES} bytes: neighborAllreduce over a topology (whose sources and
 * destinations every rank derives from the same agreed topology); broadcast; allgather; and on 2
 * ranks allreduce SUM and AVG of float32 and float64 (where the rank-order sum of the two tensors is
 * the transport's sum, bit for bit). Used by the thread that holds the engine's execution lock.
 */
final class SmallCalls {
    /** Largest call sent early: the data goes to every peer at once, unpipelined. */
    static final long MAX_BYTES = 64 * 1024;
    /** Most ranks: an allgather or broadcast sends to every other rank. */
    static final int MAX_RANKS = 8;
    /** The announcement's length in 8-byte words; data follows it. */
    static final int HEADER = Coordinator.ROUND_LENGTH;
    private static final int HEADER_BYTES = HEADER * Long.BYTES;
    /** Longest message in 8-byte words: the announcement and {@link #MAX_BYTES} of data. */
    static final int MAX_WORDS = HEADER + (int) (MAX_BYTES / Long.BYTES);

    private final ExecutionContext ctx;
    /** This rank's message: the announcement, then the staged data; its views as words and as doubles. */
    private final ByteBuffer out;
    private final LongBuffer outWords;
    private final LongBuffer outHeader;
    private final DoubleBuffer outDoubles;
    /** Where the staged data goes in {@link #out}. */
    private final ByteBuffer outData;
    /**
     * Each peer's message (null for this rank), received into an array of the dtype of the call
     * this rank staged (float32 when none), so that the data part is an array of that dtype to
     * combine from without a copy: per peer and dtype code, the array and its views as words and
     * as doubles (made when first needed).
     */
    private final INDArray[][] inbox;
    private final LongBuffer[][] inWords;
    private final DoubleBuffer[][] inDoubles;
    /** The dtype code of the array each peer's message of this round goes to. */
    private final int[] inCode;
    /** The last allgather executed here: its dtype, this rank's shape and the result's shape ({@link #prepareResult}). */
    private DataType lastGatherType;
    private long[] lastGatherIn;
    private long[] lastGatherOut;
    /** The call staged for this round, until {@link #prepareResult}; null when none. */
    private Op staged;
    /** The staged call's dtype code; {@link #FLOAT_CODE} when none is staged. */
    private int stagedCode;
    private static final int FLOAT_CODE = Tensors.code(DataType.FLOAT);
    /** Views of the data parts of {@link #inbox}, by (peer, dtype, length); at most {@link #MAX_VIEWS}. */
    private final Map<Long, INDArray> dataViews = new HashMap<>();
    /** Per peer: the key and view of {@link #dataViews} used last (-1: none). */
    private final long[] lastViewKey;
    private final INDArray[] lastView;
    /** Longest message in words for this world size: {@link #MAX_WORDS}, or the announcement alone when no call is eligible. */
    private final int maxWords;
    /** Whether this round's message to rank r carries the staged data. */
    private final boolean[] sendsData;
    /** Whether this round's message from rank r carried data. */
    private final boolean[] gotData;
    /** The staged call's data, in words (0: none staged). */
    private int stagedWords;
    private static final int MAX_VIEWS = 64;
    /** The last input staged, its address and length, and the byte view of it ({@link #inputView}). */
    private INDArray lastInput;
    private long lastInputAddress;
    private long lastInputLength;
    private ByteBuffer lastInputView;
    /**
     * Pieces of a message, in words ({@link EagerPieces}): a message of {@code pieceWords} to
     * {@link EagerPieces#MAX_PIECES} x {@code pieceWords} words goes as pieces, each within the
     * transport's eager limit ({@link io.bluefog.comm.Communicator#eagerMessageBytes}); any other
     * message goes whole. Greater than {@link #maxWords} when the transport has no such limit: every
     * message then goes whole.
     */
    private final int pieceWords;

    SmallCalls(ExecutionContext ctx) {
        this.ctx = ctx;
        int size = ctx.size;
        this.sendsData = new boolean[size];
        this.gotData = new boolean[size];
        int codes = Tensors.code(DataType.LONG) + 1;
        this.inbox = new INDArray[size][codes];
        this.inWords = new LongBuffer[size][codes];
        this.inDoubles = new DoubleBuffer[size][codes];
        this.inCode = new int[size];
        this.lastViewKey = new long[size];
        Arrays.fill(lastViewKey, -1);
        this.lastView = new INDArray[size];
        this.stagedCode = FLOAT_CODE;
        boolean used = size >= 2 && size <= MAX_RANKS;
        this.maxWords = used ? MAX_WORDS : HEADER;
        this.out = ByteBuffer.allocateDirect(used ? MAX_WORDS * Long.BYTES : HEADER_BYTES).order(ByteOrder.nativeOrder());
        this.outWords = out.asLongBuffer();
        this.outHeader = out.asLongBuffer().limit(HEADER);
        this.outDoubles = out.asDoubleBuffer();
        this.outData = used ? out.duplicate().position(HEADER_BYTES).slice().order(ByteOrder.nativeOrder()) : null;
        this.pieceWords = pieceWords(ctx.comm.eagerMessageBytes(), maxWords);
    }

    /**
     * @return the piece length in words for a transport whose eager limit is {@code eagerBytes}: the
     *         most whole words that fit, at least {@link #HEADER} + 1 (an announcement alone is always
     *         one piece); {@code maxWords} + 1 (one piece) when the longest message fits already
     */
    static int pieceWords(int eagerBytes, int maxWords) {
        if (eagerBytes / Long.BYTES > maxWords) {
            return maxWords + 1;
        }
        return EagerPieces.pieceElements(eagerBytes, Long.BYTES, HEADER + 1);
    }

    /** Makes rank {@code r}'s receive array of dtype {@code code} and its views, if not made yet. */
    private void inboxOf(int r, int code) {
        if (inbox[r][code] == null) {
            DataType dtype = Tensors.dataType(code);
            INDArray a = Tensors.newArray(dtype, new long[] {(long) maxWords * Long.BYTES / dtype.width()});
            ByteBuffer b = Tensors.bytes(a, 0, a.length());
            inbox[r][code] = a;
            inWords[r][code] = b.asLongBuffer();
            inDoubles[r][code] = b.asDoubleBuffer();
        }
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

    /**
     * Copies {@code op}'s data into this rank's next message and marks the ranks that need it
     * (its destinations; for a broadcast, every rank if this is the root). Call before
     * {@link #post} of the same round.
     */
    void stage(Op op) {
        staged = op;
        Arrays.fill(sendsData, false);
        stagedCode = op.dtypeCode();
        long bytes = op.length() * op.dataType().width();
        outData.clear().put(inputView(op.input));
        stagedWords = (int) ((bytes + Long.BYTES - 1) / Long.BYTES);
        int[] to = switch (op.kind) {
            case NEIGHBOR_ALLREDUCE -> op.plan.destinations;
            case BROADCAST -> op.root == ctx.rank ? ctx.everyRank : new int[0];
            default -> ctx.everyRank;
        };
        for (int r : to) {
            sendsData[r] = r != ctx.rank;
        }
    }

    /**
     * Takes the staged call's result array now ({@link ExecutionContext#prepareResult}); the cache
     * round calls this after sending and before waiting for the peers' messages. For an allgather
     * the result's first dimension is the sum of every rank's, which the round brings: it is
     * predicted from the last allgather of the same dtype and shape (a training loop gathers the
     * same shapes every step), and the array is not used when the prediction was wrong.
     */
    void prepareResult() {
        Op op = staged;
        staged = null; // once per round
        if (op == null) {
            return;
        }
        if (op.kind != OpKind.ALLGATHER) {
            ctx.prepareResult(op);
        } else if (op.dataType() == lastGatherType && Arrays.equals(op.shape(), lastGatherIn)) {
            ctx.prepareResult(op, lastGatherOut);
        }
    }

    /** Stages nothing for the next round: every message is the announcement alone. */
    void none() {
        staged = null;
        Arrays.fill(sendsData, false);
        stagedWords = 0;
        stagedCode = FLOAT_CODE;
    }

    /**
     * @return a byte buffer over all of {@code input}: the last call's when {@code input} is the same
     *         array at the same address and length (a training loop passes the same tensor every
     *         iteration, and making a view costs about as much as a small message); one entry, so at
     *         most one caller array of at most {@value #MAX_BYTES} bytes stays referenced
     */
    private ByteBuffer inputView(INDArray input) {
        long address = Tensors.address(input);
        long length = input.length();
        if (input != lastInput || address != lastInputAddress || length != lastInputLength) {
            lastInputView = Tensors.bytes(input, 0, length);
            lastInput = input;
            lastInputAddress = address;
            lastInputLength = length;
        }
        return lastInputView.duplicate();
    }

    /** Forgets the views (the pool is being cleared). */
    void clear() {
        staged = null;
        dataViews.clear();
        Arrays.fill(lastViewKey, -1);
        Arrays.fill(lastView, null);
        lastInput = null;
        lastInputView = null;
    }

    /**
     * Starts the receive of rank {@code r}'s message of this round, with room for the longest
     * (tag {@code tag}).
     */
    Request receive(int r, int tag) {
        gotData[r] = false;
        inCode[r] = stagedCode;
        inboxOf(r, stagedCode);
        LongBuffer whole = inWords[r][stagedCode];
        if (pieceWords > maxWords) {
            return ctx.comm.irecvUpTo(whole.clear(), r, tag);
        }
        // each piece's receive has room for the rest of the buffer; the pieces fill it from its
        // start, so the message lies there as if it had come whole
        return new EagerPieces.Receive(at -> ctx.comm.irecvUpTo(whole.duplicate().limit(whole.capacity()).position(at), r, tag),
                pieceWords);
    }

    /** Writes this round's {@code announcement} ({@link #HEADER} doubles) in front of the staged data. */
    void announce(double[] announcement) {
        outDoubles.put(0, announcement, 0, HEADER);
    }

    /**
     * Starts the send of this round's message to rank {@code r}, with the staged data if {@code r}
     * needs it, as one piece or several ({@link #pieceWords}); adds their requests to {@code sends}.
     */
    void send(int r, int tag, List<Request> sends) {
        LongBuffer message = sendsData[r] ? outWords : outHeader;
        EagerPieces.send(sendsData[r] ? HEADER + stagedWords : HEADER, pieceWords, (at, length) -> sends.add(
                ctx.comm.isend(message.duplicate().limit(at + length).position(at), r, tag)));
    }

    /**
     * Reads rank {@code r}'s announcement from its completed message {@code done} into
     * {@code announcement} and notes whether data came with it.
     */
    void arrived(int r, Request done, double[] announcement) {
        inDoubles[r][inCode[r]].get(0, announcement, 0, HEADER);
        gotData[r] = done.receivedElements() > HEADER;
    }

    /**
     * @return rank {@code r}'s early data of {@code elements} elements of {@code dtype}: a flat view
     *         of the array its message was received into (made once per peer, dtype and length)
     * @throws IllegalStateException if its message carried none, or went to an array of another
     *                               dtype (not expected once every rank announced the same cached
     *                               call and sent early)
     */
    private INDArray dataOf(int r, DataType dtype, long elements) {
        int code = Tensors.code(dtype);
        long start = HEADER_BYTES / dtype.width();
        if (!gotData[r] || inCode[r] != code || start + elements > inbox[r][code].length()) {
            throw new IllegalStateException("rank " + ctx.rank + ": no early data of " + elements + " x " + dtype
                    + " from rank " + r + " although every rank announced sending it");
        }
        long key = (elements * 8 + code) * MAX_RANKS + r;
        if (lastViewKey[r] == key) {
            return lastView[r]; // a training loop's calls: no map lookup with a boxed key
        }
        INDArray v = dataViews.get(key);
        if (v == null) {
            if (dataViews.size() >= MAX_VIEWS) {
                dataViews.clear();
            }
            v = inbox[r][code].get(NDArrayIndex.interval(start, start + elements));
            dataViews.put(key, v);
        }
        lastViewKey[r] = key;
        lastView[r] = v;
        return v;
    }

    /**
     * Completes {@code op}, whose data every rank sent early (every rank agreed it from the cache):
     * the data is in this round's messages already, so nothing waits.
     *
     * @param firstDims every rank's first dimension (for allgather)
     */
    void execute(Op op, long[] firstDims) {
        try {
            List<Op> batch = List.of(op);
            int rank = ctx.rank;
            long n = op.length();
            DataType dtype = op.dataType();
            switch (op.kind) {
                case NEIGHBOR_ALLREDUCE -> {
                    NeighborPlan plan = op.plan;
                    int[] from = plan.sources;
                    INDArray[] received = new INDArray[from.length];
                    for (int k = 0; k < from.length; k++) {
                        received[k] = dataOf(from[k], dtype, n);
                    }
                    INDArray in = Tensors.flat(op.input);
                    INDArray out = ctx.resultSpace(batch, true);
                    ctx.combiner(plan.selfWeight, plan.sourceWeights, in, out, received).combineAll(n);
                    ctx.unpack(batch, out);
                }
                case ALLREDUCE -> {
                    int peer = 1 - rank;
                    INDArray other = dataOf(peer, dtype, n);
                    INDArray in = Tensors.flat(op.input);
                    INDArray out = ctx.resultSpace(batch, true);
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
                        out = ctx.workingCopy(batch);
                    } else {
                        out = ctx.resultSpace(batch, true);
                        Tensors.copy(dataOf(op.root, dtype, n), 0, out, 0, n);
                    }
                    ctx.unpack(batch, out);
                }
                case ALLGATHER -> {
                    long[] shape = op.shape();
                    long row = n / shape[0];
                    long[] outShape = shape.clone();
                    long rows = 0;
                    for (long d : firstDims) {
                        rows += d;
                    }
                    outShape[0] = rows;
                    INDArray out = ctx.resultFor(op, outShape);
                    lastGatherType = dtype;
                    lastGatherIn = shape;
                    lastGatherOut = outShape;
                    long at = 0;
                    for (int r = 0; r < ctx.size; r++) {
                        long count = firstDims[r] * row;
                        if (r != rank) {
                            Tensors.copy(dataOf(r, dtype, count), 0, out, at, count);
                        } else {
                            Tensors.copy(op.input, 0, out, at, n);
                        }
                        at += count;
                    }
                    op.future.complete(out);
                }
                default -> throw new IllegalStateException(op.kind + " is not sent early");
            }
        } finally {
            ctx.finish();
        }
    }
}
