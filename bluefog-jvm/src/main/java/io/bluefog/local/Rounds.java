package io.bluefog.local;

import io.bluefog.CollectiveMismatchException;
import io.bluefog.CommunicationException;
import io.bluefog.comm.DType;
import io.bluefog.comm.ReduceOp;
import io.bluefog.comm.SharedMemoryExchange.RoundWork;
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
        final Gate allArrived;
        final Gate allDeparted;
        /**
         * The work of a {@link Kind#SHARE} round (the first one a rank passed), done before the
         * arrive gate opens, or null.
         */
        private RoundWork action;
        /** What the work threw (the first error), read by every rank after the arrive gate; null if none. */
        private volatile Throwable actionError;
        /** The rank whose thread the error came from (for messages). */
        private volatile int actionRank = -1;
        /** {@link #mismatch} of the calls, set by the last rank to arrive before it opens the arrive gate. */
        private String mismatch;
        /** Parts of the work, set by the last rank to arrive before any worker starts. */
        private volatile int parts = -1;
        /** Most workers (the last rank to arrive included). */
        private int maxWorkers;
        private final java.util.concurrent.atomic.AtomicInteger nextPart = new java.util.concurrent.atomic.AtomicInteger();
        private final java.util.concurrent.atomic.AtomicInteger unfinishedParts = new java.util.concurrent.atomic.AtomicInteger();
        private final java.util.concurrent.atomic.AtomicInteger workers = new java.util.concurrent.atomic.AtomicInteger();

        Round(long seq, int size) {
            this.seq = seq;
            this.calls = new Call[size];
            this.shared = new Object[size];
            this.allArrived = new Gate(size);
            this.allDeparted = new Gate(size);
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
        String exitedAbsentRanks(World world) {
            if (!world.anyExited()) {
                return null; // without taking the round's lock and a pass over every rank on each wait of each rank
            }
            List<Integer> gone = new ArrayList<>();
            synchronized (this) {
                for (int r = 0; r < calls.length; r++) {
                    if (calls[r] == null && world.hasExited(r)) {
                        gone.add(r);
                    }
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
        return publish(seq, rank, call, shared, null);
    }

    /**
     * {@link #publish(long, int, Call, Object)}; the last rank to arrive, if the calls match, either
     * prepares {@code action} (the first one given in the round) on every rank's shared object and
     * starts its workers ({@link #help}), the last of which opens the gate, or, for an allreduce of
     * at most {@link #SMALL_ALLREDUCE} elements, reduces every rank's buffer itself and opens the
     * gate: the work of the round is done before any rank is released, so it needs no depart gate.
     */
    private Round publish(long seq, int rank, Call call, Object shared, RoundWork action) {
        Round round = rounds.computeIfAbsent(seq, s -> newRound(s));
        boolean last;
        synchronized (round) {
            round.calls[rank] = call;
            round.shared[rank] = shared;
            if (round.action == null) {
                round.action = action;
            }
            last = ++round.arrived == world.size();
        }
        if (!last) {
            return round;
        }
        String mismatch = mismatch(round);
        round.mismatch = mismatch; // published by the gate: the other ranks need not compare n calls each
        if (mismatch == null && round.action != null) {
            int parts;
            try {
                parts = round.action.prepare(round.shared.clone());
            } catch (RuntimeException | Error e) {
                round.actionRank = rank;
                round.actionError = e;
                parts = 0;
            }
            if (parts > 0) {
                round.maxWorkers = Math.max(1, Math.min(WORKERS, Math.min(parts, world.size())));
                round.unfinishedParts.set(parts);
                round.parts = parts; // publishes the above to the helpers
                round.allArrived.unparkWaiters(round.maxWorkers - 1, rank);
                help(round, rank);
                return round; // the worker that finishes the last part opens the gate
            }
        } else if (mismatch == null && reducedByLast(call)) {
            try {
                reduceAll(round, call);
            } catch (RuntimeException | Error e) {
                round.actionRank = rank;
                round.actionError = e;
            }
        }
        round.allArrived.complete(rank);
        return round;
    }

    /** Threads that work on a round's parts at once: one per core. */
    static final int WORKERS = Runtime.getRuntime().availableProcessors();

    /**
     * Works on {@code round}'s parts, if it has work and fewer than its most workers have started
     * (called by the last rank to arrive and by waiting ranks whenever they wake). Whoever marks
     * the last part done opens the arrive gate. An error stops the work: the remaining parts are
     * marked done unrun, and every rank raises it.
     */
    private static void help(Round round, int rank) {
        if (round.parts <= 0 || round.allArrived.isDone() || round.nextPart.get() >= round.parts
                || round.workers.incrementAndGet() > round.maxWorkers) {
            return;
        }
        int parts = round.parts;
        int[] current = {-1};
        try {
            round.action.work(() -> {
                if (current[0] >= 0) {
                    partDone(round, rank);
                }
                int i = round.actionError != null ? parts : round.nextPart.getAndIncrement();
                current[0] = i < parts ? i : -1;
                return current[0];
            });
        } catch (RuntimeException | Error e) {
            synchronized (round) {
                if (round.actionError == null) {
                    round.actionRank = rank;
                    round.actionError = e;
                }
            }
        }
        if (current[0] >= 0) {
            partDone(round, rank); // the part the work was running when it ended (threw or did not ask again)
        }
        for (int i = round.nextPart.getAndIncrement(); i < parts; i = round.nextPart.getAndIncrement()) {
            partDone(round, rank); // left unrun after an error (or by a work that stopped asking)
        }
    }

    private static void partDone(Round round, int rank) {
        if (round.unfinishedParts.decrementAndGet() == 0) {
            round.allArrived.complete(rank);
        }
    }

    /** Allreduces of at most this many elements per rank are reduced by the last rank to arrive (one gate, not two). */
    static final int SMALL_ALLREDUCE = 1024;

    /** @return true if the last rank to arrive reduces this (matched) call's elements for every rank */
    static boolean reducedByLast(Call call) {
        return call.kind() == Kind.ALLREDUCE && call.count() <= SMALL_ALLREDUCE;
    }

    /** Reduces all elements of every rank's buffer, in rank order as each rank's share would be. */
    private static void reduceAll(Round round, Call call) {
        Buffer[] all = new Buffer[round.calls.length];
        for (int r = 0; r < all.length; r++) {
            all[r] = round.calls[r].data();
        }
        Reductions.reduce(all, call.dtype(), call.op(), 0, call.count());
    }

    private Round newRound(long seq) {
        Round round = new Round(seq, world.size());
        world.register(round.allArrived);
        world.register(round.allDeparted);
        return round;
    }

    /**
     * {@link #arrive(long, int, Call)} that also publishes {@code shared} as {@code rank}'s object of
     * the round ({@link Round#shared}), visible to every rank once all have arrived.
     */
    Round arrive(long seq, int rank, Call call, Object shared) {
        Round round = publish(seq, rank, call, shared);
        String what = call.kind().label + " (collective call #" + seq + ")";
        round.allArrived.await(world, rank, what, world.timeoutMillis(), round::absentRanks,
                () -> round.exitedAbsentRanks(world));
        checkedMatch(round, rank, seq);
        Throwable error = round.actionError;
        if (error != null) {
            leave(round);
            throw new CommunicationException("rank " + rank + ": " + what + ": the reduction, run by rank "
                    + round.actionRank + " for every rank, failed: " + error, error);
        }
        return round;
    }

    /**
     * A {@link Kind#SHARE} arrival: publishes {@code shared} and waits for every rank like
     * {@link #arrive(long, int, Call)}, but runs {@code check} on every wake-up (its exception ends
     * the wait) and ends a timeout message with {@code absent} applied to the missing ranks.
     */
    Round arriveShared(long seq, int rank, Object shared, String what, long timeoutMillis, Runnable check,
            java.util.function.Function<List<Integer>, String> absent) {
        return arriveShared(seq, rank, shared, what, timeoutMillis, check, absent, null);
    }

    /**
     * {@link #arriveShared(long, int, Object, String, long, Runnable, java.util.function.Function)}
     * whose {@code action} is done before any rank is released (see {@link #publish(long, int,
     * Call, Object, RoundWork)}); a waiting rank woken to help works on it.
     *
     * @throws CommunicationException on every rank (after leaving the round) if the work threw;
     *         its cause is what the work threw
     */
    Round arriveShared(long seq, int rank, Object shared, String what, long timeoutMillis, Runnable check,
            java.util.function.Function<List<Integer>, String> absent, RoundWork action) {
        Call call = new Call(Kind.SHARE, null, null, 0, -1, null, null, null);
        Round round = publish(seq, rank, call, shared, action);
        round.allArrived.await(world, rank, what, timeoutMillis, () -> absent.apply(round.absentList()), () -> {
            help(round, rank);
            check.run();
            return round.exitedAbsentRanks(world);
        });
        checkedMatch(round, rank, seq);
        Throwable error = round.actionError;
        if (error != null) {
            leave(round);
            throw new CommunicationException("rank " + rank + ": " + what + " (shared round #" + seq
                    + "): the round's work, run for every rank (on rank " + round.actionRank + "'s thread), failed: "
                    + error, error);
        }
        return round;
    }

    /**
     * @return {@code round} once every rank arrived, if their calls match
     * @throws CollectiveMismatchException on every rank alike (after leaving the round) if they do not
     */
    private Round checkedMatch(Round round, int rank, long seq) {
        String mismatch = round.mismatch; // the last rank to arrive compared the calls before opening the gate
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
            round.allDeparted.complete(rank);
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
            round.allDeparted.complete(rank);
        }
        round.allDeparted.await(world, rank, round.calls[rank].kind().label + " (collective call #" + round.seq
                + ")", world.timeoutMillis(), () -> "other ranks are still copying", () -> null);
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
            world.unregister(round.allArrived);
            world.unregister(round.allDeparted);
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
