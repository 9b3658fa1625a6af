package io.bluefog.collectives.engine;

import io.bluefog.BlueFogTimeoutException;
import io.bluefog.comm.Communicator;
import io.bluefog.comm.SharedMemoryExchange;
import io.bluefog.comm.Request;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Agrees on the next batch before any data moves (as Horovod's and BlueFog's coordinator): every
 * rank sends the headers of its pending operations (up to {@link #MAX_BATCH}) to rank 0; rank 0
 * checks that the first operation is the same call on every rank, extends the batch with the
 * following operations that every rank has queued and that can be fused with it (same kind,
 * dtype and parameters, within the fusion threshold), and sends back either the batch length or
 * an error text that names the ranks and what each passed. The exchange doubles as a barrier:
 * rank 0 answers only once every rank has arrived. Messages are small and reuse preallocated
 * buffers, so a steady-state round allocates almost nothing. On a transport whose ranks share
 * memory ({@link SharedMemoryExchange}) every rank reads all headers in place and decides alike
 * ({@link #negotiateShared}): one phase barrier, no messages.
 *
 * <p><b>Response cache</b> (Horovod's, see {@link ResponseCache}): with a capacity above 0, every
 * round starts with a cheaper one ({@link #cachedRound}). Each rank sends every other rank the
 * cache slots of its leading pending calls that it has agreed before and could fuse
 * ({@link #ROUND_LENGTH} doubles, on the shared-memory transport one phase barrier); every rank
 * then takes the same pure decision ({@link #decideCached}) from the same messages: if every rank
 * names the same slot for its first call, the leading calls with equal slots on every rank run as
 * the batch, and rank 0 is not involved. Otherwise (a call not agreed before on some rank, a
 * different call, a slot forgotten) every rank goes on to the full round through rank 0, which
 * fails a mismatch with the same text as without the cache and names every rank. Every rank must
 * use the same capacity (0 or not): a rank without the cache round would wait for rank 0 while
 * the others wait for its cache message, and the ranks time out. On shared memory a single cached
 * in-place neighborAllreduce also publishes its data in the cache round, which then runs it when
 * the ranks agree ({@link #shareRound}): one phase barrier per repeated call.
 */
final class Coordinator {
    static final int TAG_HEADER = 1;
    static final int TAG_VERDICT = 2;
    static final int TAG_TEXT = 3;
    /** Messages of the cache round ({@link #cachedRound}); the engine's other tags are 4..7. */
    static final int TAG_CACHE = 8;
    /** Operations per header message: 16 keep the message (3 KiB) under Open MPI's 4 KiB shared-memory eager limit. */
    static final int MAX_BATCH = 16;
    static final int MESSAGE_LENGTH = 1 + MAX_BATCH * Headers.LENGTH;
    static final int OK = 0, MISMATCH = 1, TIMEOUT = 2;
    /**
     * A cache round's announcement: the number k of leading calls announced, their k cache slots
     * (room for {@link #MAX_BATCH}), then at {@link #EARLY} 1 if the sender sent its call's data
     * early ({@link SmallCalls}; the data follows the announcement in the messages to the ranks that
     * need it), and at {@link #FIRST_DIM} its first call's first dimension.
     */
    static final int EARLY = 1 + MAX_BATCH, FIRST_DIM = EARLY + 1;
    static final int ROUND_LENGTH = FIRST_DIM + 1;

    /**
     * Outcome of one round: the number of leading pending operations to run as one batch, or an error.
     *
     * @param cached true if the batch was agreed by the cache round alone (rank 0 not involved)
     * @param early  true if every rank sent the (single) call's data with the cache round ({@link SmallCalls}),
     *               or on shared memory published it there and the round ran the call ({@link #shareRound})
     */
    record Verdict(int batch, int code, String text, boolean cached, boolean early) {
        Verdict(int batch, int code, String text) {
            this(batch, code, text, false, false);
        }
    }

    private final Communicator comm;
    private final int rank;
    private final int size;
    private final long timeoutNanos;
    private final long fusionThresholdBytes;
    private final double[] own = new double[MESSAGE_LENGTH];
    private final DoubleBuffer sendBuffer = direct(MESSAGE_LENGTH);
    private final DoubleBuffer verdictBuffer = direct(3);
    private final double[][] table;
    private final DoubleBuffer[] receiveBuffers;
    private final List<Request> requests = new ArrayList<>();
    private final ResponseCache cache;
    private final double[] roundOwn = new double[ROUND_LENGTH];
    private final DoubleBuffer[] roundSend;
    /**
     * The cache round's messages, with the early data of small cached calls, on a message transport
     * that offers {@link Communicator#irecvUpTo}; null on shared memory, or without it (then the
     * announcements travel alone, in {@link #roundSend} and {@link #roundReceive}).
     */
    private final SmallCalls small;
    private final long[] firstDims;
    private final DoubleBuffer[] roundReceive;
    private final double[][] roundMessages;
    private final Request[] roundRequests;
    /**
     * The last cache round's sends over messages. Waited for at the start of the next cache round,
     * before their buffers are written again, not at the end of their own: every peer has received
     * them by then (it left that round only with every message of it), and the wait for the last
     * acknowledgement is off the call's path.
     */
    private final List<Request> roundSends = new ArrayList<>();
    /** Which announcements of the current cache round have arrived (reused: one array per round is an allocation per call). */
    private final boolean[] roundDone;

    private volatile long cachedBatches; // written under the engine's execution lock
    private volatile long earlyBatches;

    /** Polled while waiting: a rank whose engine failed ends the round at once. */
    private final PeerFailures failures;

    Coordinator(Communicator comm, long timeoutMillis, long fusionThresholdBytes) {
        this(comm, timeoutMillis, fusionThresholdBytes, 0, null);
    }

    /**
     * @param cacheCapacity calls the {@link ResponseCache} remembers; 0: no cache round
     * @param small         carries the cache round's messages and small cached calls' data with them;
     *                      null: never (it is not used on a {@link SharedMemoryExchange} transport,
     *                      nor on one without {@link Communicator#irecvUpTo}, either)
     */
    Coordinator(Communicator comm, long timeoutMillis, long fusionThresholdBytes, int cacheCapacity, SmallCalls small) {
        this.comm = comm;
        this.rank = comm.rank();
        this.size = comm.size();
        this.timeoutNanos = timeoutMillis * 1_000_000L;
        this.fusionThresholdBytes = fusionThresholdBytes;
        this.failures = PeerFailures.of(comm);
        this.table = new double[rank == 0 ? size : 1][];
        this.receiveBuffers = new DoubleBuffer[rank == 0 ? size : 0];
        for (int r = 1; r < receiveBuffers.length; r++) {
            receiveBuffers[r] = direct(MESSAGE_LENGTH);
            table[r] = new double[MESSAGE_LENGTH];
        }
        table[0] = own;
        this.cache = new ResponseCache(comm.size() > 1 ? cacheCapacity : 0);
        this.small = comm instanceof SharedMemoryExchange || !comm.offersIrecvUpTo() ? null : small;
        this.roundReceive = new DoubleBuffer[size];
        this.roundSend = new DoubleBuffer[size];
        this.roundMessages = new double[size][];
        this.roundRequests = new Request[size];
        this.roundDone = new boolean[size];
        for (int r = 0; r < size && cache.enabled(); r++) {
            roundMessages[r] = r == rank ? roundOwn : new double[ROUND_LENGTH];
            if (this.small == null) {
                roundReceive[r] = direct(ROUND_LENGTH);
                roundSend[r] = direct(ROUND_LENGTH);
            }
        }
        this.firstDims = new long[size];
    }

    static DoubleBuffer direct(int doubles) {
        return ByteBuffer.allocateDirect(doubles * Double.BYTES).order(ByteOrder.nativeOrder()).asDoubleBuffer();
    }

    Verdict negotiate(List<Op> pending) {
        int count = Math.min(pending.size(), MAX_BATCH);
        own[0] = count;
        for (int k = 0; k < count; k++) {
            Headers.encode(pending.get(k), own, 1 + k * Headers.LENGTH);
        }
        long deadline = System.nanoTime() + timeoutNanos;
        if (size == 1) {
            return decide(table, fusionThresholdBytes);
        }
        if (cache.enabled()) {
            Verdict v = cachedRound(pending, count, deadline);
            if (v != null) {
                return v;
            }
            deadline = System.nanoTime() + timeoutNanos;
        }
        Verdict v;
        if (comm instanceof SharedMemoryExchange shm) {
            v = negotiateShared(shm);
        } else {
            // Followers wait twice as long, so that when a third rank is missing they receive rank 0's
            // verdict naming it rather than timing out themselves at the same moment.
            v = rank == 0 ? coordinate(deadline) : follow(pending.get(0), deadline + timeoutNanos);
        }
        if (v.code() == OK) {
            for (int k = 0; k < v.batch(); k++) {
                cache.agreed(own, 1 + k * Headers.LENGTH);
            }
        }
        return v;
    }

    /**
     * The cache round: this rank announces the slots of its leading {@link ResponseCache cached}
     * calls that it could fuse with the first (same test and fusion threshold as {@link #decide}),
     * learns every other rank's, and all decide alike ({@link #decideCached}).
     *
     * <p>With a single pending call that is cached and {@link SmallCalls#eligible}, its data travels
     * in the same message as the announcement; it is used if every rank did so for the same slot,
     * and otherwise ignored (it was received with the announcement, so nothing is left behind).
     *
     * @param count pending calls whose headers are in {@link #own}
     * @return the batch agreed from the cache, a timeout naming the ranks not heard from, or null
     *         when the full round must decide
     */
    private Verdict cachedRound(List<Op> pending, int count, long deadline) {
        if (!roundSends.isEmpty()) {
            Waits.all(roundSends, deadline, k -> "a rank to receive rank " + rank + "'s last cache announcement", failures);
            roundSends.clear();
        }
        roundOwn[0] = 0;
        Op first = pending.get(0);
        roundOwn[FIRST_DIM] = first.input == null || first.input.rank() == 0 ? 0 : first.input.size(0);
        roundOwn[EARLY] = 0;
        long slot = cache.lookup(own, 1);
        if (slot >= 0) {
            roundOwn[1] = slot;
            int k = 1;
            long bytes = Headers.bytes(own, 1);
            while (k < count) {
                int at = 1 + k * Headers.LENGTH;
                bytes += Headers.bytes(own, at);
                if (!Headers.fusable(own, 1, at) || bytes > fusionThresholdBytes) {
                    break;
                }
                long s = cache.lookup(own, at);
                if (s < 0) {
                    break;
                }
                roundOwn[1 + k++] = s;
            }
            roundOwn[0] = k;
        }
        if (small != null) {
            if (count == 1 && slot >= 0 && small.eligible(first)) {
                small.stage(first);
                roundOwn[EARLY] = 1;
            } else {
                small.none();
            }
        }
        Object fold = folds != null && count == 1 && slot >= 0 ? folds.fold(first) : null;
        String timedOut = comm instanceof SharedMemoryExchange shm ? shareRound(shm, fold) : exchangeRound(deadline);
        if (fold != null && timedOut == null && foldAgreed) {
            cachedBatches++; // the round ran the call: Executor.executeEarly completes it
            return new Verdict(1, OK, null, true, true);
        }
        if (fold != null) {
            folds.unfold();
        }
        if (timedOut != null) {
            return new Verdict(0, TIMEOUT, timedOut);
        }
        int batch = decideCached(roundMessages);
        boolean allEarly = true;
        for (int r = 0; r < size; r++) {
            allEarly &= roundMessages[r][EARLY] == 1;
            firstDims[r] = (long) roundMessages[r][FIRST_DIM];
        }
        if (batch > 0 && allEarly) {
            // Every rank announced the same slot and sent its data: batch is 1 (an early call is
            // announced alone).
            cachedBatches++;
            earlyBatches++;
            return new Verdict(1, OK, null, true, true);
        }
        // Early data that came although not every rank sent early was received with the
        // announcements, and is ignored: nothing is left to receive.
        if (batch > 0) {
            cachedBatches++;
            return new Verdict(batch, OK, null, true, false);
        }
        return null;
    }

    /**
     * The cache round over messages: every rank sends its announcement to every other.
     *
     * @return null, or the timeout text naming the ranks not heard from
     */
    private String exchangeRound(long deadline) {
        for (int r = 0; r < size; r++) {
            if (r != rank) {
                roundRequests[r] = small != null ? small.receive(r, TAG_CACHE)
                        : comm.irecv(roundReceive[r].clear(), r, TAG_CACHE);
            }
        }
        if (small != null) {
            small.announce(roundOwn);
        }
        for (int r = 0; r < size; r++) {
            if (r != rank) {
                if (small != null) {
                    small.send(r, TAG_CACHE, roundSends);
                } else {
                    roundSend[r].clear().put(0, roundOwn, 0, ROUND_LENGTH);
                    roundSends.add(comm.isend(roundSend[r], r, TAG_CACHE));
                }
            }
        }
        if (small != null) {
            small.prepareResult(); // while the peers' messages are on their way
        }
        int arrived = 1;
        long start = System.nanoTime();
        boolean[] done = roundDone;
        java.util.Arrays.fill(done, false);
        done[rank] = true;
        while (arrived < size) {
            for (int r = 0; r < size; r++) {
                if (!done[r] && roundRequests[r].test()) {
                    done[r] = true;
                    arrived++;
                    if (small != null) {
                        small.arrived(r, roundRequests[r], roundMessages[r]);
                    } else {
                        roundReceive[r].get(0, roundMessages[r], 0, ROUND_LENGTH);
                    }
                }
            }
            if (arrived < size) {
                if (System.nanoTime() - deadline > 0) {
                    List<Integer> absent = new ArrayList<>();
                    for (int r = 0; r < size; r++) {
                        if (!done[r]) {
                            absent.add(r);
                        }
                    }
                    return "ranks " + absent + " did not call a collective within " + timeoutNanos / 1_000_000
                            + " ms while rank " + rank + " called " + Headers.describe(own, 1) + " (call #"
                            + Headers.seq(own, 1) + ")";
                }
                Waits.pause(start, failures);
            }
        }
        return null;
    }

    /**
     * The cache round in shared memory: one phase barrier. With {@code fold} (this rank's single
     * cached call's data, {@link Executor#fold}) the round also carries the call: the last rank to
     * arrive takes {@link #decideCached} over every rank's announcement and, if every rank published
     * its data and all announced the same slot, runs the call's work for every rank before any is
     * released ({@link FoldedWork}); {@link #foldAgreed} then says so. Otherwise nothing ran, and the
     * ranks go on as without it (the usual data round, or the full round that names a mismatch).
     *
     * @return null, or the timeout text naming the ranks that did not call
     */
    private String shareRound(SharedMemoryExchange shm, Object fold) {
        double[] mine = roundOwn.clone(); // immutable once published
        Folded folded = fold != null ? new Folded(mine, fold) : null;
        foldAgreed = false;
        SharedMemoryExchange.Shared round;
        try {
            java.util.function.Function<List<Integer>, String> absent = ranks -> "ranks " + ranks
                    + " did not call a collective while rank " + rank + " called " + Headers.describe(own, 1)
                    + " (call #" + Headers.seq(own, 1) + ")";
            round = folded == null ? shm.share(mine, "negotiate", timeoutNanos / 1_000_000L, failures::check, absent)
                    : shm.share(folded, "negotiate", timeoutNanos / 1_000_000L, failures::check, absent,
                            new FoldedWork(folds.foldedWork()));
        } catch (BlueFogTimeoutException e) {
            String prefix = "rank " + rank + ": ";
            return e.getMessage().startsWith(prefix) ? e.getMessage().substring(prefix.length()) : e.getMessage();
        }
        try {
            for (int r = 0; r < size; r++) {
                roundMessages[r] = message(round.of(r)); // each rank's own clone, never written again
            }
        } finally {
            round.leave();
        }
        foldAgreed = folded != null && folded.agreed;
        return null;
    }

    /** @return the cache announcement in a rank's published object (a message, or a {@link Folded}) */
    private static double[] message(Object published) {
        return published instanceof Folded f ? f.message : (double[]) published;
    }

    /** Where {@link Executor#fold} objects come from; null: never (a message transport, or no cache). */
    private Executor folds;
    /** Set by {@link #shareRound}: the round ran this rank's folded call. */
    private boolean foldAgreed;

    /** Lets the shared-memory cache round carry a single cached call's data ({@link #shareRound}). */
    void foldWith(Executor executor) {
        this.folds = comm instanceof SharedMemoryExchange && cache.enabled() ? executor : null;
    }

    /** A rank's cache announcement together with its call's data; {@link #agreed} is set by {@link FoldedWork}. */
    private static final class Folded {
        final double[] message;
        final Object data;
        volatile boolean agreed;

        Folded(double[] message, Object data) {
            this.message = message;
            this.data = data;
        }
    }

    /**
     * The work of a cache round in which some rank published a {@link Folded}: if every rank did and
     * {@link #decideCached} agrees on their (single) calls, the call's own work over every rank's
     * data; else none. decideCached is pure, so every rank, deciding again from the same messages
     * afterwards, reaches the same verdict.
     */
    private static final class FoldedWork implements SharedMemoryExchange.RoundWork {
        private final SharedMemoryExchange.RoundWork call;

        FoldedWork(SharedMemoryExchange.RoundWork call) {
            this.call = call;
        }

        @Override
        public int prepare(Object[] all) {
            double[][] msgs = new double[all.length][];
            Object[] data = new Object[all.length];
            for (int r = 0; r < all.length; r++) {
                if (!(all[r] instanceof Folded f)) {
                    return 0; // a rank without data: the round only announces
                }
                msgs[r] = f.message;
                data[r] = f.data;
            }
            if (decideCached(msgs) < 1) {
                return 0;
            }
            for (Object f : all) {
                ((Folded) f).agreed = true;
            }
            return call.prepare(data);
        }

        @Override
        public void work(java.util.function.IntSupplier next) {
            call.work(next);
        }
    }

    /**
     * The decision of the cache round, from every rank's announcement (the number k of calls, then
     * their slots). Pure, so every rank takes the same one, and unit-tested directly.
     *
     * @return the batch length: the leading positions at which every rank announced the same slot
     *         (at most the smallest k); 0 (the full round decides) if some rank announced nothing or
     *         the first slots differ
     */
    static int decideCached(double[][] msgs) {
        int min = Integer.MAX_VALUE;
        for (double[] m : msgs) {
            min = Math.min(min, (int) m[0]);
        }
        int batch = 0;
        while (batch < min) {
            double slot = msgs[0][1 + batch];
            for (double[] m : msgs) {
                if (m[1 + batch] != slot) {
                    return batch;
                }
            }
            batch++;
        }
        return batch;
    }

    /** @return every rank's first dimension of its first call, from the last cache round (early allgather) */
    long[] firstDims() {
        return firstDims;
    }

    /** @return batches agreed by the cache round alone */
    long cachedBatches() {
        return cachedBatches;
    }

    /** @return batches agreed by the cache round whose data travelled with it ({@link SmallCalls}) */
    long earlyBatches() {
        return earlyBatches;
    }

    /** @return signatures the response cache holds now */
    int cachedSignatures() {
        return cache.size();
    }

    /**
     * The same decision without messages on a transport whose ranks share memory: every rank
     * publishes a copy of its message ({@link SharedMemoryExchange}, one phase barrier), reads
     * every rank's and takes {@link #decide} itself. decide is a pure function of the messages, so
     * every rank reaches the verdict rank 0 would have sent, mismatch texts included; a timeout
     * names the ranks that did not call.
     */
    private Verdict negotiateShared(SharedMemoryExchange shm) {
        Message mine = new Message(own.clone()); // immutable once published: no rank waits for the others to finish reading
        SharedMemoryExchange.Shared round;
        try {
            round = shm.share(mine, "negotiate", timeoutNanos / 1_000_000L, failures::check, absent -> "ranks " + absent + " did not call a collective while rank " + rank + " called "
                    + Headers.describe(mine.headers, 1) + " (call #" + Headers.seq(mine.headers, 1) + ")",
                    new DecideOnce(fusionThresholdBytes));
        } catch (BlueFogTimeoutException e) {
            String prefix = "rank " + rank + ": ";
            String text = e.getMessage().startsWith(prefix) ? e.getMessage().substring(prefix.length()) : e.getMessage();
            return new Verdict(0, TIMEOUT, text);
        }
        round.leave();
        return mine.verdict;
    }

    /** A rank's message in a shared negotiation, and the verdict {@link DecideOnce} leaves there for it. */
    private static final class Message {
        final double[] headers;
        Verdict verdict;

        Message(double[] headers) {
            this.headers = headers;
        }
    }

    /**
     * {@link #decide} taken once per shared round, by the last rank to arrive, over every rank's
     * message, and handed to every rank (O(n) work per round rather than O(n) per rank): decide is
     * pure, so each rank gets the verdict it would have computed itself.
     */
    private static final class DecideOnce implements SharedMemoryExchange.RoundWork {
        private final long fusionThresholdBytes;

        DecideOnce(long fusionThresholdBytes) {
            this.fusionThresholdBytes = fusionThresholdBytes;
        }

        @Override
        public int prepare(Object[] all) {
            double[][] msgs = new double[all.length][];
            for (int r = 0; r < all.length; r++) {
                msgs[r] = ((Message) all[r]).headers;
            }
            Verdict v = decide(msgs, fusionThresholdBytes);
            for (Object m : all) {
                ((Message) m).verdict = v;
            }
            return 0;
        }

        @Override
        public void work(java.util.function.IntSupplier next) {
            // no parts
        }
    }

    private Verdict follow(Op first, long deadline) {
        sendBuffer.clear();
        sendBuffer.put(0, own, 0, MESSAGE_LENGTH);
        requests.clear();
        requests.add(comm.irecv(verdictBuffer.clear(), 0, TAG_VERDICT));
        requests.add(comm.isend(sendBuffer, 0, TAG_HEADER));
        Waits.all(requests, deadline, k -> "rank 0 (the coordinator) to accept " + first.kind.apiName()
                + " call #" + first.seq + " of rank " + rank + ": rank 0 has not made the matching call", failures);
        int batch = (int) verdictBuffer.get(0);
        int code = (int) verdictBuffer.get(1);
        if (code == OK) {
            return new Verdict(batch, OK, null);
        }
        DoubleBuffer text = direct((int) verdictBuffer.get(2));
        requests.clear();
        requests.add(comm.irecv(text, 0, TAG_TEXT));
        Waits.all(requests, deadline, k -> "the error text from rank 0", failures);
        return new Verdict(0, code, decodeText(text));
    }

    private Verdict coordinate(long deadline) {
        Request[] pendingRecv = new Request[size];
        for (int r = 1; r < size; r++) {
            pendingRecv[r] = comm.irecv(receiveBuffers[r].clear(), r, TAG_HEADER);
        }
        int arrived = 1;
        boolean[] done = new boolean[size];
        done[0] = true;
        long start = System.nanoTime();
        while (arrived < size) {
            for (int r = 1; r < size; r++) {
                if (!done[r] && pendingRecv[r].test()) {
                    done[r] = true;
                    arrived++;
                    receiveBuffers[r].get(0, table[r], 0, MESSAGE_LENGTH);
                }
            }
            if (arrived < size) {
                if (System.nanoTime() - deadline > 0) {
                    return timedOut(done, deadline);
                }
                Waits.pause(start, failures);
            }
        }
        Verdict v = decide(table, fusionThresholdBytes);
        answer(v, done, deadline);
        return v;
    }

    private Verdict timedOut(boolean[] done, long deadline) {
        List<Integer> missing = new ArrayList<>();
        for (int r = 0; r < size; r++) {
            if (!done[r]) {
                missing.add(r);
            }
        }
        String text = "ranks " + missing + " did not call a collective within " + timeoutNanos / 1_000_000
                + " ms while rank 0 called " + Headers.describe(own, 1) + " (call #" + Headers.seq(own, 1) + ")";
        Verdict v = new Verdict(0, TIMEOUT, text);
        answer(v, done, deadline);
        return v;
    }

    private void answer(Verdict v, boolean[] to, long deadline) {
        verdictBuffer.clear();
        verdictBuffer.put(0, v.batch()).put(1, v.code()).put(2, v.text() == null ? 0 : v.text().length());
        DoubleBuffer text = v.text() == null ? null : encodeText(v.text());
        requests.clear();
        for (int r = 1; r < size; r++) {
            if (to[r]) {
                requests.add(comm.isend(verdictBuffer, r, TAG_VERDICT));
                if (text != null) {
                    requests.add(comm.isend(text, r, TAG_TEXT));
                }
            }
        }
        Waits.all(requests, deadline, k -> "a rank to receive rank 0's verdict", failures);
    }

    private static DoubleBuffer encodeText(String s) {
        DoubleBuffer b = direct(Math.max(1, s.length()));
        for (int i = 0; i < s.length(); i++) {
            b.put(i, s.charAt(i));
        }
        if (s.isEmpty()) {
            b.limit(0);
        }
        return b;
    }

    private static String decodeText(DoubleBuffer b) {
        StringBuilder sb = new StringBuilder(b.limit());
        for (int i = 0; i < b.limit(); i++) {
            sb.append((char) b.get(i));
        }
        return sb.toString();
    }

    /**
     * The decision rank 0 takes from every rank's message (count, then headers). Pure, so it is
     * unit-tested directly.
     */
    static Verdict decide(double[][] msgs, long fusionThresholdBytes) {
        int n = msgs.length;
        int minCount = Integer.MAX_VALUE;
        for (double[] m : msgs) {
            minCount = Math.min(minCount, (int) m[0]);
        }
        for (int r = 1; r < n; r++) {
            if (!Headers.sameCall(msgs[0], 1, msgs[r], 1)) {
                return new Verdict(0, MISMATCH, mismatchText(msgs));
            }
        }
        if (Headers.kind(msgs[0], 1) == OpKind.PAIR_GOSSIP.ordinal()) {
            String err = pairingError(msgs);
            if (err != null) {
                return new Verdict(0, MISMATCH, err);
            }
        }
        int k = 1;
        long bytes = Headers.bytes(msgs[0], 1);
        while (k < minCount) {
            int at = 1 + k * Headers.LENGTH;
            boolean ok = true;
            for (int r = 0; r < n && ok; r++) {
                ok = Headers.sameCall(msgs[0], at, msgs[r], at) && Headers.fusable(msgs[r], 1, at);
            }
            bytes += Headers.bytes(msgs[0], at);
            if (!ok || bytes > fusionThresholdBytes) {
                break;
            }
            k++;
        }
        return new Verdict(k, OK, null);
    }

    private static String mismatchText(double[][] msgs) {
        Map<String, List<Integer>> groups = new TreeMap<>();
        for (int r = 0; r < msgs.length; r++) {
            groups.computeIfAbsent(Headers.describeCall(msgs[r], 1), d -> new ArrayList<>()).add(r);
        }
        StringBuilder sb = new StringBuilder("ranks called different collectives (rank 0 at its call #")
                .append(Headers.seq(msgs[0], 1)).append("): ");
        String sep = "";
        for (Map.Entry<String, List<Integer>> e : groups.entrySet()) {
            List<Integer> ranks = e.getValue();
            sb.append(sep).append(ranks.size() == 1 ? "rank " + ranks.get(0) : "ranks " + ranks)
                    .append(" called ").append(e.getKey());
            sep = "; ";
        }
        boolean sameOperation = true;
        for (int r = 1; r < msgs.length; r++) {
            sameOperation &= Headers.describe(msgs[r], 1).equals(Headers.describe(msgs[0], 1));
        }
        if (sameOperation) {
            sb.append(" (the same operation at different call numbers: a rank skipped or added a collective call)");
        }
        return sb.toString();
    }

    private static String pairingError(double[][] msgs) {
        int n = msgs.length;
        for (int r = 0; r < n; r++) {
            int p = Headers.peer(msgs[r], 1);
            if (p < 0 || p >= n) {
                return "pairGossip: rank " + r + " named peer " + p + ", outside 0.." + (n - 1);
            }
            if (p != r && Headers.peer(msgs[p], 1) != r) {
                return "pairGossip: rank " + r + " pairs with rank " + p + " but rank " + p + " pairs with rank "
                        + Headers.peer(msgs[p], 1);
            }
        }
        return null;
    }
}
