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
 */
final class Coordinator {
    static final int TAG_HEADER = 1;
    static final int TAG_VERDICT = 2;
    static final int TAG_TEXT = 3;
    /** Operations per header message: 16 keep the message (3 KiB) under Open MPI's 4 KiB shared-memory eager limit. */
    static final int MAX_BATCH = 16;
    static final int MESSAGE_LENGTH = 1 + MAX_BATCH * Headers.LENGTH;
    static final int OK = 0, MISMATCH = 1, TIMEOUT = 2;

    /** Outcome of one round: the number of leading pending operations to run as one batch, or an error. */
    record Verdict(int batch, int code, String text) {
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

    /** Polled while waiting: a rank whose engine failed ends the round at once. */
    private final PeerFailures failures;

    Coordinator(Communicator comm, long timeoutMillis, long fusionThresholdBytes) {
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
        if (comm instanceof SharedMemoryExchange shm) {
            return negotiateShared(shm);
        }
        // Followers wait twice as long, so that when a third rank is missing they receive rank 0's
        // verdict naming it rather than timing out themselves at the same moment.
        return rank == 0 ? coordinate(deadline) : follow(pending.get(0), deadline + timeoutNanos);
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
