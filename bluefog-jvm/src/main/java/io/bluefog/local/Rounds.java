package io.bluefog.local;

import io.bluefog.CollectiveMismatchException;
import io.bluefog.comm.DType;
import io.bluefog.comm.ReduceOp;
import java.nio.Buffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Rendezvous of the in-JVM collectives. Every rank numbers its collective calls 0, 1, 2, ...;
 * call number k of every rank meets in round k. A round has two gates: <em>arrive</em> (every rank
 * has deposited its call, so each can read the others' buffers) and <em>depart</em> (every rank has
 * finished reading and writing, so buffers may be reused). Because every rank sees all calls of the
 * round, disagreeing calls are detected on every rank alike and raised as
 * {@link CollectiveMismatchException} without desynchronising the round numbers.
 */
final class Rounds {
    enum Kind {
        ALLREDUCE("allreduce"), BROADCAST("broadcast"), ALLGATHER("allgather"), ALLGATHERV("allgatherv"),
        BARRIER("barrier"), SHARE("share");

        final String label;

        Kind(String label) {
            this.label = label;
        }
    }

    /**
     * One rank's call: what must match across ranks (kind, op, dtype, count, root, counts) and its
     * buffers (slices). For allgatherv, {@code count} is the rank's own piece and is not compared.
     */
    record Call(Kind kind, ReduceOp op, DType dtype, int count, int root, int[] counts, Buffer data, Buffer recv) {
        String signature() {
            StringBuilder sb = new StringBuilder(kind.label).append('(');
            switch (kind) {
                case ALLREDUCE -> sb.append(op).append(", ").append(dtype.label()).append(" x ").append(count);
                case BROADCAST -> sb.append("root ").append(root).append(", ").append(dtype.label()).append(" x ")
                        .append(count);
                case ALLGATHER -> sb.append(dtype.label()).append(" x ").append(count);
                case ALLGATHERV -> sb.append(dtype.label()).append(", counts ").append(Arrays.toString(counts));
                case BARRIER, SHARE -> { }
                default -> throw new IllegalStateException(kind.toString());
            }
            return sb.append(')').toString();
        }
    }

    static final class Round {
        final long seq;
        final Call[] calls;
        /** What each rank published in a {@link Kind#SHARE} round (null in other rounds). */
        final Object[] shared;
        /** Set by a rank that failed inside a {@link Kind#SHARE} round, before it departs. */
        volatile boolean failed;
        private int arrived;
        private int departed;
        private int left;
        final Completion allArrived = new Completion();
        final Completion allDeparted = new Completion();

        Round(long seq, int size) {
            this.seq = seq;
            this.calls = new Call[size];
            this.shared = new Object[size];
        }

        synchronized List<Integer> absentList() {
            List<Integer> absent = new ArrayList<>();
            for (int r = 0; r < calls.length; r++) {
                if (calls[r] == null) {
                    absent.add(r);
                }
            }
            return absent;
        }

        synchronized String absentRanks() {
            List<Integer> absent = new ArrayList<>();
            for (int r = 0; r < calls.length; r++) {
                if (calls[r] == null) {
                    absent.add(r);
                }
            }
            return "waiting for ranks " + absent + " to make the matching call";
        }

        /** @return which absent ranks have finished (so will never arrive), or null if none */
        synchronized String exitedAbsentRanks(World world) {
            List<Integer> gone = new ArrayList<>();
            for (int r = 0; r < calls.length; r++) {
                if (calls[r] == null && world.hasExited(r)) {
                    gone.add(r);
                }
            }
            return gone.isEmpty() ? null : "ranks " + gone + " finished without making the matching call";
        }
    }

    private final World world;
    private final ConcurrentHashMap<Long, Round> rounds = new ConcurrentHashMap<>();

    Rounds(World world) {
        this.world = world;
    }

    /**
     * Deposits {@code call} as {@code rank}'s call number {@code seq} and waits until every rank
     * has deposited its call number {@code seq}.
     *
     * @throws CollectiveMismatchException if the calls disagree (on every rank)
     */
    Round arrive(long seq, int rank, Call call) {
        return arrive(seq, rank, call, null);
    }

    /** Deposits {@code rank}'s call and shared object in round {@code seq}; the last to arrive opens its gate. */
    private Round publish(long seq, int rank, Call call, Object shared) {
        Round round = rounds.computeIfAbsent(seq, s -> new Round(s, world.size()));
        boolean last;
        synchronized (round) {
            round.calls[rank] = call;
            round.shared[rank] = shared;
            last = ++round.arrived == world.size();
        }
        if (last) {
            round.allArrived.complete();
        }
        return round;
    }

    /**
     * {@link #arrive(long, int, Call)} that also publishes {@code shared} as {@code rank}'s object of
     * the round ({@link Round#shared}), visible to every rank once all have arrived.
     */
    Round arrive(long seq, int rank, Call call, Object shared) {
        Round round = publish(seq, rank, call, shared);
        String what = call.kind().label + " (collective call #" + seq + ")";
        round.allArrived.await(world, rank, what, round::absentRanks, () -> round.exitedAbsentRanks(world));
        return checkedMatch(round, rank, seq);
    }

    /**
     * A {@link Kind#SHARE} arrival: publishes {@code shared} and waits for every rank like
     * {@link #arrive(long, int, Call)}, but runs {@code check} on every wake-up (its exception ends
     * the wait) and ends a timeout message with {@code absent} applied to the missing ranks.
     */
    Round arriveShared(long seq, int rank, Object shared, String what, long timeoutMillis, Runnable check,
            java.util.function.Function<List<Integer>, String> absent) {
        Call call = new Call(Kind.SHARE, null, null, 0, -1, null, null, null);
        Round round = publish(seq, rank, call, shared);
        round.allArrived.await(world, rank, what, timeoutMillis, () -> absent.apply(round.absentList()), () -> {
            check.run();
            return round.exitedAbsentRanks(world);
        });
        return checkedMatch(round, rank, seq);
    }

    /**
     * @return {@code round} once every rank arrived, if their calls match
     * @throws CollectiveMismatchException on every rank alike (after leaving the round) if they do not
     */
    private Round checkedMatch(Round round, int rank, long seq) {
        String mismatch = mismatch(round);
        if (mismatch != null) {
            leave(round);
            throw new CollectiveMismatchException("rank " + rank + ": collective call #" + seq
                    + " does not match across ranks: " + mismatch);
        }
        return round;
    }

    /** {@link #depart} of a {@link Kind#SHARE} round, running {@code check} on every wake-up. */
    void departShared(Round round, int rank, String what, long timeoutMillis, Runnable check) {
        boolean last;
        synchronized (round) {
            last = ++round.departed == world.size();
        }
        if (last) {
            round.allDeparted.complete();
        }
        round.allDeparted.await(world, rank, what + " (releasing shared round #" + round.seq + ")", timeoutMillis,
                () -> "other ranks are still reading", () -> {
                    check.run();
                    return null;
                });
        leave(round);
        if (round.failed) {
            check.run(); // a rank failed inside the round and announced it before departing
        }
    }

    /** Waits until every rank has finished its part of the round, then forgets the round. */
    void depart(Round round, int rank) {
        boolean last;
        synchronized (round) {
            last = ++round.departed == world.size();
        }
        if (last) {
            round.allDeparted.complete();
        }
        round.allDeparted.await(world, rank, round.calls[rank].kind().label + " (collective call #" + round.seq
                + ")", () -> "other ranks are still copying", () -> null);
        leave(round);
    }

    /** A rank is done with the round (no depart gate, or it raised a mismatch). */
    void leave(Round round) {
        boolean last;
        synchronized (round) {
            last = ++round.left == world.size();
        }
        if (last) {
            rounds.remove(round.seq);
        }
    }

    /** @return a description naming the ranks of each distinct call, or null if all calls agree */
    private static String mismatch(Round round) {
        boolean agree = true;
        for (int r = 1; r < round.calls.length && agree; r++) {
            agree = sameSignature(round.calls[0], round.calls[r]);
        }
        if (agree) {
            return null; // without building n signature strings on each of n ranks
        }
        Map<String, List<Integer>> bySignature = new LinkedHashMap<>();
        for (int r = 0; r < round.calls.length; r++) {
            bySignature.computeIfAbsent(round.calls[r].signature(), k -> new ArrayList<>()).add(r);
        }
        if (bySignature.size() == 1) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, List<Integer>> e : bySignature.entrySet()) {
            if (sb.length() > 0) {
                sb.append("; ");
            }
            sb.append(e.getValue().size() == 1 ? "rank " : "ranks ").append(compact(e.getValue()))
                    .append(" called ").append(e.getKey());
        }
        return sb.toString();
    }

    /** @return true if {@code a} and {@code b} have equal {@link Call#signature()}s, compared field by field */
    private static boolean sameSignature(Call a, Call b) {
        if (a.kind() != b.kind()) {
            return false;
        }
        return switch (a.kind()) {
            case ALLREDUCE -> a.op() == b.op() && a.dtype() == b.dtype() && a.count() == b.count();
            case BROADCAST -> a.root() == b.root() && a.dtype() == b.dtype() && a.count() == b.count();
            case ALLGATHER -> a.dtype() == b.dtype() && a.count() == b.count();
            case ALLGATHERV -> a.dtype() == b.dtype() && Arrays.equals(a.counts(), b.counts());
            case BARRIER, SHARE -> true;
        };
    }

    /** [0, 1, 2, 5] -> "0-2, 5". */
    private static String compact(List<Integer> ranks) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < ranks.size()) {
            int j = i;
            while (j + 1 < ranks.size() && ranks.get(j + 1) == ranks.get(j) + 1) {
                j++;
            }
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(ranks.get(i));
            if (j > i) {
                sb.append('-').append(ranks.get(j));
            }
            i = j + 1;
        }
        return sb.toString();
    }
}
