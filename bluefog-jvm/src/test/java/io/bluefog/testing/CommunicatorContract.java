package io.bluefog.testing;

import static io.bluefog.testing.Elems.alloc;
import static io.bluefog.testing.Elems.get;
import static io.bluefog.testing.Elems.round;
import static io.bluefog.testing.Elems.set;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.BlueFog;
import io.bluefog.comm.Communicator;
import io.bluefog.comm.DType;
import io.bluefog.comm.EagerPieces;
import io.bluefog.comm.ReduceOp;
import io.bluefog.comm.Request;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.function.Executable;

/**
 * The contract of every {@link Communicator} primitive, written once for every transport (run as
 * threads by {@code LocalClusterContractTest}, under mpirun by {@code RunContractSuite}). Expected
 * values are closed forms in the rank ids r = 0..n-1 and element indices i; all values are small
 * integers, exact in float32, float64, int32 and int64, so sums are compared exactly whatever the
 * summation order; float16 values are compared with the closed form rounded once to float16
 * ({@link Elems#round}), which is what accumulating in a wider type gives. {@code AVG} of float32
 * and float64 is compared with a relative tolerance; of int32/int64 exactly, truncated toward zero.
 * Checks over dtypes run for every {@link DType}.
 *
 * <p>Every check makes the same collective calls on every rank, so a failing check cannot leave
 * the ranks out of step; bad-input checks only make calls that must throw before communicating.
 */
public final class CommunicatorContract implements ContractSuite {
    /** Relative tolerance of AVG in float32: sum/n vs sum*(1/n) differ by at most a few ulps (2^-23). */
    public static final double AVG_REL_TOL_FLOAT32 = 1e-6;
    /** Relative tolerance of AVG in float64 (ulp 2^-52). */
    public static final double AVG_REL_TOL_FLOAT64 = 1e-14;
    /** Elements per rank in the small checks; not a multiple of the world sizes, to exercise remainders. */
    static final int N = 1001;
    /** Elements of the large-message checks: 4 MB of float32, well above any eager limit. */
    static final int LARGE = 1 << 20;
    /** How long rank 0 sleeps before the barrier, so that a barrier that does not wait is caught. */
    static final long BARRIER_SLEEP_MILLIS = 800;

    /** Every dtype of the SPI; large-message checks use float32/float64 only. */
    private static final DType[] DTYPES = DType.values();

    @Override
    public Map<String, RankCheck> checks() {
        Map<String, RankCheck> c = new LinkedHashMap<>();
        c.put("worldLayout", CommunicatorContract::worldLayout);
        c.put("allreduceSum", bf -> forEachDType(t -> allreduceSum(bf, t, N)));
        c.put("allreduceSumLarge", bf -> allreduceSum(bf, DType.FLOAT32, LARGE));
        c.put("allreduceAvg", bf -> forEachDType(t -> allreduceAvg(bf, t)));
        c.put("allreduceMin", bf -> forEachDType(t -> allreduceMinMax(bf, t, ReduceOp.MIN)));
        c.put("allreduceMax", bf -> forEachDType(t -> allreduceMinMax(bf, t, ReduceOp.MAX)));
        c.put("allreduceEmpty", CommunicatorContract::allreduceEmpty);
        c.put("broadcastFromEveryRoot", bf -> forEachDType(t -> broadcast(bf, t, N, allRanks(bf))));
        c.put("broadcastLarge", bf -> broadcast(bf, DType.FLOAT32, LARGE, new int[] {0, bf.size() - 1}));
        c.put("allgather", bf -> forEachDType(t -> allgather(bf, t, 3)));
        c.put("allgatherLarge", bf -> allgather(bf, DType.FLOAT32, LARGE / 8));
        c.put("allgathervRankSized", bf -> forEachDType(t -> allgatherv(bf, t, 1)));
        c.put("allgathervWithEmptyPiece", bf -> forEachDType(t -> allgatherv(bf, t, 0)));
        c.put("allgathervLarge", bf -> allgatherv(bf, DType.FLOAT64, LARGE / 8 + 1, 0));
        c.put("allgathervAroundEagerLimit", bf -> forEachDType(t -> {
            // parts of one piece less, exactly 1, 2 and 3 pieces, and just over (whole again) of the
            // MPI transport's eager pieces (EagerPieces); counts differ by rank, so boundaries are
            // crossed between ranks too. Transports without an eager limit send each part whole.
            // Not float16: its pieces (2016 elements) pass 2048, past which the check's values
            // 100 r + k are not exact in float16.
            if (t == DType.FLOAT16) {
                return;
            }
            int eager = bf.communicator().eagerMessageBytes();
            int piece = eager > 1 << 16 ? 64 : EagerPieces.pieceElements(eager, t.bytes(), 1);
            for (int base : new int[] {piece - 1, piece, 2 * piece - 1, 3 * piece - 1, 3 * piece}) {
                allgatherv(bf, t, base, 0);
            }
        }));
        c.put("allgathervRepeated", bf -> {
            for (int i = 0; i < 50; i++) {
                allgatherv(bf, DType.FLOAT32, 1 + i % 3, 2); // consecutive calls match in order
            }
        });
        c.put("ringShift", bf -> forEachDType(t -> ringShift(bf, t, N, true)));
        c.put("ringShiftSendsFirstLarge", bf -> ringShift(bf, DType.FLOAT64, LARGE, false));
        c.put("receiveUpToShorterMessages", bf -> forEachDType(t -> receiveUpTo(bf, t, 3, 16)));
        c.put("receiveUpToLarge", bf -> receiveUpTo(bf, DType.FLOAT32, LARGE / 2, LARGE));
        c.put("receiveUpToRejectsLongerMessage", CommunicatorContract::receiveUpToRejectsLonger);
        c.put("allToAllWithTags", bf -> forEachDType(t -> allToAllWithTags(bf, t)));
        c.put("sameTagIsFifo", CommunicatorContract::sameTagIsFifo);
        c.put("positionAndLimitRespected", bf -> forEachDType(t -> positionAndLimit(bf, t)));
        c.put("barrierSynchronizes", CommunicatorContract::barrierSynchronizes);
        c.put("manyCollectivesInSequence", CommunicatorContract::manyCollectivesInSequence);
        c.put("badInputRejected", CommunicatorContract::badInputRejected);
        return c;
    }

    private interface DTypeCheck {
        void run(DType t) throws Exception;
    }

    private static void forEachDType(DTypeCheck check) throws Exception {
        for (DType t : DTYPES) {
            check.run(t);
        }
    }

    private static String at(BlueFog bf, String what) {
        return "rank " + bf.rank() + " of " + bf.size() + ": " + what;
    }

    // ---- identity -------------------------------------------------------------------------------

    /** rank/size/local/machine ranks are consistent: machines partition the ranks, local ranks are 0..localSize-1. */
    static void worldLayout(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        assertTrue(n >= 1 && r >= 0 && r < n, at(bf, "rank in 0..size-1"));
        assertTrue(bf.localRank() >= 0 && bf.localRank() < bf.localSize(), at(bf, "localRank < localSize"));
        assertTrue(bf.machineRank() >= 0 && bf.machineRank() < bf.machineSize(), at(bf, "machineRank < machineSize"));
        assertTrue(bf.communicator().hostname() != null && !bf.communicator().hostname().isBlank(),
                at(bf, "hostname"));
        assertTrue(bf.communicator().maxTag() >= 32767, at(bf, "maxTag >= 32767"));
        // Every rank publishes (size, machineRank, localRank, localSize, machineSize).
        DoubleBuffer mine = DirectBuffers.doublesOf(n, bf.machineRank(), bf.localRank(), bf.localSize(),
                bf.machineSize());
        DoubleBuffer all = DirectBuffers.doubles(5 * n);
        bf.communicator().allgather(mine, all);
        int machines = (int) all.get(4);
        int[] ranksOnMachine = new int[machines];
        boolean[][] seenLocal = new boolean[machines][n];
        for (int q = 0; q < n; q++) {
            assertEquals(n, (int) all.get(5 * q), at(bf, "size reported by rank " + q));
            assertEquals(machines, (int) all.get(5 * q + 4), at(bf, "machineSize reported by rank " + q));
            int m = (int) all.get(5 * q + 1);
            int lr = (int) all.get(5 * q + 2);
            assertTrue(!seenLocal[m][lr], at(bf, "local rank " + lr + " on machine " + m + " is unique"));
            seenLocal[m][lr] = true;
            ranksOnMachine[m]++;
        }
        for (int q = 0; q < n; q++) {
            int m = (int) all.get(5 * q + 1);
            assertEquals(ranksOnMachine[m], (int) all.get(5 * q + 3), at(bf, "localSize of rank " + q));
        }
        for (int m = 0; m < machines; m++) {
            assertTrue(ranksOnMachine[m] > 0, at(bf, "machine " + m + " has ranks"));
        }
    }

    // ---- allreduce ------------------------------------------------------------------------------

    /** x_r[i] = r + (i mod 1000): the sum is n(n-1)/2 + n (i mod 1000). */
    static void allreduceSum(BlueFog bf, DType t, int len) {
        int n = bf.size();
        Buffer x = alloc(t, len);
        for (int i = 0; i < len; i++) {
            set(x, i, bf.rank() + (i % 1000));
        }
        bf.communicator().allreduce(x, ReduceOp.SUM);
        for (int i = 0; i < len; i++) {
            double expected = round(t, n * (n - 1) / 2.0 + (double) n * (i % 1000));
            if (get(x, i) != expected) {
                assertEquals(expected, get(x, i), at(bf, t.label() + " sum of element " + i));
            }
        }
    }

    /**
     * x_r[i] = r + i: the average is (n-1)/2 + i; for int32/int64 the sum divided by n truncated
     * toward zero, i + floor((n-1)/2); for float16 the exact average rounded once to float16.
     */
    static void allreduceAvg(BlueFog bf, DType t) {
        int n = bf.size();
        Buffer x = alloc(t, N);
        for (int i = 0; i < N; i++) {
            set(x, i, bf.rank() + i);
        }
        bf.communicator().allreduce(x, ReduceOp.AVG);
        double tol = t == DType.FLOAT32 ? AVG_REL_TOL_FLOAT32 : t == DType.FLOAT64 ? AVG_REL_TOL_FLOAT64 : 0;
        for (int i = 0; i < N; i++) {
            double expected = t.isInteger() ? i + (n - 1) / 2 : round(t, (n - 1) / 2.0 + i);
            assertEquals(expected, get(x, i), tol * Math.max(1.0, Math.abs(expected)),
                    at(bf, t.label() + " average of element " + i));
        }
    }

    /**
     * x_r[i] = s_i ((r + i) mod n) with s_i = +1 for even i, -1 for odd i: the extremes sit on
     * different ranks for different i. Even i: min 0, max n-1; odd i: min -(n-1), max 0.
     */
    static void allreduceMinMax(BlueFog bf, DType t, ReduceOp op) {
        int n = bf.size();
        Buffer x = alloc(t, N);
        for (int i = 0; i < N; i++) {
            set(x, i, (i % 2 == 0 ? 1 : -1) * ((bf.rank() + i) % n));
        }
        bf.communicator().allreduce(x, op);
        for (int i = 0; i < N; i++) {
            boolean even = i % 2 == 0;
            double expected = op == ReduceOp.MIN ? (even ? 0 : -(n - 1)) : (even ? n - 1 : 0);
            assertEquals(expected, get(x, i) + 0.0, at(bf, t.label() + " " + op + " of element " + i));
        }
    }

    /** A zero-element allreduce is legal and leaves the buffer alone. */
    static void allreduceEmpty(BlueFog bf) {
        FloatBuffer x = DirectBuffers.floatsOf(5f, 6f);
        x.position(1).limit(1);
        bf.communicator().allreduce(x, ReduceOp.SUM);
        assertArrayEquals(new float[] {5f, 6f}, DirectBuffers.toArray(x), at(bf, "empty allreduce"));
    }

    // ---- broadcast ------------------------------------------------------------------------------

    private static int[] allRanks(BlueFog bf) {
        int[] r = new int[bf.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = i;
        }
        return r;
    }

    /** For each root: the root holds 1000 root + (i mod 1000), the others -1; afterwards all hold the root's. */
    static void broadcast(BlueFog bf, DType t, int len, int[] roots) {
        for (int root : roots) {
            Buffer x = alloc(t, len);
            for (int i = 0; i < len; i++) {
                set(x, i, bf.rank() == root ? 1000 * root + (i % 1000) : -1);
            }
            bf.communicator().broadcast(x, root);
            for (int i = 0; i < len; i++) {
                double expected = round(t, 1000 * root + (i % 1000));
                if (get(x, i) != expected) {
                    assertEquals(expected, get(x, i), at(bf, t.label() + " broadcast from " + root + " element " + i));
                }
            }
        }
    }

    // ---- allgather(v) ---------------------------------------------------------------------------

    /**
     * Each rank sends m elements 10 r + k; recv holds them concatenated in rank order (small calls and
     * large ones take different paths on the MPI transport).
     */
    static void allgather(BlueFog bf, DType t, int m) {
        int n = bf.size();
        Buffer send = alloc(t, m);
        for (int k = 0; k < m; k++) {
            set(send, k, 10 * bf.rank() + k);
        }
        Buffer recv = alloc(t, m * n);
        bf.communicator().allgather(send, recv);
        for (int q = 0; q < n; q++) {
            for (int k = 0; k < m; k++) {
                assertEquals(10.0 * q + k, get(recv, q * m + k), at(bf, t.label() + " allgather piece of rank " + q));
            }
        }
    }

    /** counts[r] = r + extra; rank r sends 100 r + k, k < counts[r]; recv is the concatenation in rank order. */
    static void allgatherv(BlueFog bf, DType t, int extra) {
        allgatherv(bf, t, 0, extra);
    }

    /** counts[r] = base + r + extra (base: the same on every rank, large for the MPI transport's large-message path). */
    static void allgatherv(BlueFog bf, DType t, int base, int extra) {
        int n = bf.size();
        int[] counts = new int[n];
        int total = 0;
        for (int q = 0; q < n; q++) {
            counts[q] = base + q + extra;
            total += counts[q];
        }
        Buffer send = alloc(t, counts[bf.rank()]);
        for (int k = 0; k < counts[bf.rank()]; k++) {
            set(send, k, 100 * bf.rank() + k);
        }
        Buffer recv = alloc(t, total);
        bf.communicator().allgatherv(send, recv, counts);
        int offset = 0;
        for (int q = 0; q < n; q++) {
            for (int k = 0; k < counts[q]; k++) {
                assertEquals(100.0 * q + k, get(recv, offset + k), at(bf, t.label() + " allgatherv piece of rank " + q));
            }
            offset += counts[q];
        }
        assertEquals(total, offset);
    }

    // ---- point to point -------------------------------------------------------------------------

    /**
     * {@link Communicator#irecvUpTo}, where offered: rank r sends {@code base + r} elements
     * 1000 r + (i mod 1000) to r+1, the receiver has room for {@code room + n}; it gets exactly the
     * message ({@link Request#receivedElements()} = base + prev), the rest of its buffer keeps its
     * sentinel, and an exact {@code irecv} after it (same pair, same tag: in order) reports its
     * buffer's length; a send reports no length.
     */
    static void receiveUpTo(BlueFog bf, DType t, int base, int room) {
        Communicator c = bf.communicator();
        if (!c.offersIrecvUpTo()) {
            assertThrows(UnsupportedOperationException.class, () -> c.irecvUpTo(alloc(t, 1), 0, 7));
            return;
        }
        int n = bf.size();
        int next = (bf.rank() + 1) % n;
        int prev = (bf.rank() + n - 1) % n;
        int length = base + bf.rank();
        Buffer out = alloc(t, length);
        for (int i = 0; i < length; i++) {
            set(out, i, 1000 * bf.rank() + (i % 1000));
        }
        Buffer in = alloc(t, room + n);
        double sentinel = -7;
        for (int i = 0; i < in.capacity(); i++) {
            set(in, i, sentinel);
        }
        Buffer exact = alloc(t, 2);
        Request recv = c.irecvUpTo(in, prev, 7);
        Request recvExact = c.irecv(exact, prev, 7);
        Request send = c.isend(out, next, 7);
        Request sendExact = c.isend(out.duplicate().limit(2), next, 7);
        recv.waitFor();
        recvExact.waitFor();
        send.waitFor();
        sendExact.waitFor();
        assertEquals(base + prev, recv.receivedElements(), at(bf, t.label() + " irecvUpTo's received length"));
        assertEquals(2, recvExact.receivedElements(), at(bf, t.label() + " irecv's received length"));
        assertThrows(IllegalStateException.class, send::receivedElements, at(bf, "a send reports no length"));
        for (int i = 0; i < in.capacity(); i++) {
            double expected = i < base + prev ? round(t, 1000 * prev + (i % 1000)) : sentinel;
            if (get(in, i) != expected) {
                assertEquals(expected, get(in, i), at(bf, t.label() + " irecvUpTo element " + i));
            }
        }
        for (int i = 0; i < 2; i++) {
            assertEquals(round(t, 1000 * prev + i), get(exact, i), at(bf, t.label() + " irecv element " + i));
        }
    }

    /**
     * {@link Communicator#irecvUpTo}, where offered, of a message longer than its buffer fails with
     * {@link io.bluefog.CommunicationException} when waited for, and consumes the message: the next
     * message of the same pair and tag arrives intact.
     */
    static void receiveUpToRejectsLonger(BlueFog bf) {
        Communicator c = bf.communicator();
        if (!c.offersIrecvUpTo()) {
            return;
        }
        int n = bf.size();
        int next = (bf.rank() + 1) % n;
        int prev = (bf.rank() + n - 1) % n;
        FloatBuffer longer = (FloatBuffer) alloc(DType.FLOAT32, 8);
        FloatBuffer after = (FloatBuffer) alloc(DType.FLOAT32, 2);
        after.put(0, 10 + bf.rank()).put(1, 20 + bf.rank());
        FloatBuffer small = (FloatBuffer) alloc(DType.FLOAT32, 4);
        FloatBuffer in = (FloatBuffer) alloc(DType.FLOAT32, 2);
        Request tooLong = c.irecvUpTo(small, prev, 9);
        Request next2 = c.irecvUpTo(in, prev, 9);
        Request s1 = c.isend(longer, next, 9);
        Request s2 = c.isend(after, next, 9);
        assertThrows(io.bluefog.CommunicationException.class, tooLong::waitFor, at(bf, "a message longer than the buffer"));
        next2.waitFor();
        s1.waitFor();
        s2.waitFor();
        assertEquals(2, next2.receivedElements(), at(bf, "the next message's length"));
        assertEquals(10 + prev, in.get(0), at(bf, "the next message's element 0"));
        assertEquals(20 + prev, in.get(1), at(bf, "the next message's element 1"));
    }

    /** Rank r sends 1000 r + (i mod 1000) to r+1 and receives from r-1 (mod n; n = 1 sends to itself). */
    static void ringShift(BlueFog bf, DType t, int len, boolean receiveFirst) {
        int n = bf.size();
        int next = (bf.rank() + 1) % n;
        int prev = (bf.rank() + n - 1) % n;
        Buffer out = alloc(t, len);
        for (int i = 0; i < len; i++) {
            set(out, i, 1000 * bf.rank() + (i % 1000));
        }
        Buffer in = alloc(t, len);
        Communicator c = bf.communicator();
        Request recv;
        Request send;
        if (receiveFirst) {
            recv = c.irecv(in, prev, 7);
            send = c.isend(out, next, 7);
        } else {
            send = c.isend(out, next, 7);
            recv = c.irecv(in, prev, 7);
        }
        recv.waitFor();
        send.waitFor();
        assertTrue(recv.test() && send.test(), at(bf, "test() is true after waitFor()"));
        recv.waitFor(); // idempotent
        for (int i = 0; i < len; i++) {
            double expected = round(t, 1000 * prev + (i % 1000));
            if (get(in, i) != expected) {
                assertEquals(expected, get(in, i), at(bf, t.label() + " ring message element " + i));
            }
        }
    }

    /**
     * Every rank sends every rank (itself included) two 4-element messages, tag 2 posted before tag
     * 1, and receives tag 1 before tag 2; message (s -> d, tag g) holds 10000 g + 100 s + d + k.
     * Tags, not posting order, decide the match.
     */
    static void allToAllWithTags(BlueFog bf, DType t) {
        int n = bf.size();
        int r = bf.rank();
        int m = 4;
        Communicator c = bf.communicator();
        List<Request> requests = new ArrayList<>();
        Buffer[][] in = new Buffer[n][3];
        for (int s = 0; s < n; s++) {
            for (int g = 1; g <= 2; g++) {
                in[s][g] = alloc(t, m);
                requests.add(c.irecv(in[s][g], s, g));
            }
        }
        for (int d = 0; d < n; d++) {
            for (int g = 2; g >= 1; g--) {
                Buffer out = alloc(t, m);
                for (int k = 0; k < m; k++) {
                    set(out, k, 10000 * g + 100 * r + d + k);
                }
                requests.add(c.isend(out, d, g));
            }
        }
        Request.waitAll(requests);
        for (int s = 0; s < n; s++) {
            for (int g = 1; g <= 2; g++) {
                for (int k = 0; k < m; k++) {
                    assertEquals(round(t, 10000.0 * g + 100 * s + r + k), get(in[s][g], k),
                            at(bf, t.label() + " message from " + s + " tag " + g));
                }
            }
        }
    }

    /** Five messages from r to r+1 with one tag arrive in the order they were sent (MPI's non-overtaking rule). */
    static void sameTagIsFifo(BlueFog bf) {
        int n = bf.size();
        int next = (bf.rank() + 1) % n;
        int prev = (bf.rank() + n - 1) % n;
        int k = 5;
        Communicator c = bf.communicator();
        List<Request> sends = new ArrayList<>();
        for (int j = 0; j < k; j++) {
            sends.add(c.isend(DirectBuffers.floatsOf(j, bf.rank()), next, 3));
        }
        FloatBuffer[] in = new FloatBuffer[k];
        List<Request> recvs = new ArrayList<>();
        for (int j = 0; j < k; j++) {
            in[j] = DirectBuffers.floats(2);
            recvs.add(c.irecv(in[j], prev, 3));
        }
        Request.waitAll(recvs);
        Request.waitAll(sends);
        for (int j = 0; j < k; j++) {
            assertArrayEquals(new float[] {j, prev}, DirectBuffers.toArray(in[j]), at(bf, "message " + j + " in order"));
        }
    }

    /**
     * Operations act on position..limit only, leave the elements outside untouched and position and
     * limit unchanged: allreduce, broadcast, allgather and isend/irecv on 10-element buffers with
     * position 2 and limit 7.
     */
    static void positionAndLimit(BlueFog bf, DType t) {
        int n = bf.size();
        Communicator c = bf.communicator();
        final double sentinel = -7;
        // allreduce
        Buffer x = framed(t, 10, sentinel, bf.rank() + 1);
        c.allreduce(x, ReduceOp.SUM);
        assertFramed(bf, "allreduce", x, sentinel, n * (n + 1) / 2.0);
        // broadcast from the last rank
        Buffer b = framed(t, 10, sentinel, bf.rank() == n - 1 ? 42 : 0);
        c.broadcast(b, n - 1);
        assertFramed(bf, "broadcast", b, sentinel, 42);
        // allgather: 5 framed elements from every rank into a framed recv of 5n
        Buffer send = framed(t, 10, sentinel, bf.rank());
        Buffer recv = alloc(t, 5 * n + 4);
        for (int i = 0; i < recv.capacity(); i++) {
            set(recv, i, sentinel);
        }
        recv.position(2).limit(2 + 5 * n);
        c.allgather(send, recv);
        assertEquals(2, recv.position(), at(bf, "allgather recv position"));
        assertEquals(2 + 5 * n, recv.limit(), at(bf, "allgather recv limit"));
        for (int i = 0; i < recv.capacity(); i++) {
            boolean inside = i >= 2 && i < 2 + 5 * n;
            assertEquals(inside ? (i - 2) / 5 : sentinel, get(recv, i), at(bf, "allgather element " + i));
        }
        assertFramed(bf, "allgather send", send, sentinel, bf.rank());
        // point to point around the ring
        Buffer out = framed(t, 10, sentinel, 1000 + bf.rank());
        Buffer in = framed(t, 10, sentinel, 0);
        Request rr = c.irecv(in, (bf.rank() + n - 1) % n, 11);
        Request sr = c.isend(out, (bf.rank() + 1) % n, 11);
        rr.waitFor();
        sr.waitFor();
        assertFramed(bf, "irecv", in, sentinel, 1000 + (bf.rank() + n - 1) % n);
        assertFramed(bf, "isend", out, sentinel, 1000 + bf.rank());
    }

    /** A 10-element buffer, sentinel everywhere, {@code inside} at 2..6, position 2, limit 7. */
    private static Buffer framed(DType t, int cap, double sentinel, double inside) {
        Buffer b = alloc(t, cap);
        for (int i = 0; i < cap; i++) {
            set(b, i, i >= 2 && i < 7 ? inside : sentinel);
        }
        b.position(2).limit(7);
        return b;
    }

    private static void assertFramed(BlueFog bf, String what, Buffer b, double sentinel, double inside) {
        assertEquals(2, b.position(), at(bf, what + " keeps position"));
        assertEquals(7, b.limit(), at(bf, what + " keeps limit"));
        for (int i = 0; i < b.capacity(); i++) {
            double expected = i >= 2 && i < 7 ? inside : sentinel;
            assertEquals(expected, get(b, i), at(bf, what + " element " + i));
        }
    }

    // ---- barrier and sequencing -----------------------------------------------------------------

    /**
     * Rank 0 sleeps {@value #BARRIER_SLEEP_MILLIS} ms before entering the barrier; no other rank may
     * leave the barrier before rank 0 entered it. The check compares instants, not durations, so load
     * cannot break it: rank 0 broadcasts the {@link System#nanoTime()} at which it entered, and each
     * rank compares the instant it left. All ranks of the contract runs are on one machine, where
     * HotSpot's {@code nanoTime} reads the system-wide monotonic clock ({@code CLOCK_MONOTONIC} on Linux).
     */
    static void barrierSynchronizes(BlueFog bf) throws InterruptedException {
        Communicator c = bf.communicator();
        c.barrier();
        long entered = 0;
        if (bf.rank() == 0) {
            Thread.sleep(BARRIER_SLEEP_MILLIS);
            entered = System.nanoTime();
        }
        c.barrier();
        long left = System.nanoTime();
        DoubleBuffer rootEntered = DirectBuffers.doublesOf(entered);
        c.broadcast(rootEntered, 0);
        if (bf.rank() != 0) {
            // nanoTime as a double rounds, but monotonically, so the order of the instants is kept
            assertTrue((double) left >= rootEntered.get(0),
                    at(bf, "left the barrier " + ((long) rootEntered.get(0) - left) / 1_000_000L
                            + " ms before rank 0 entered it"));
        }
        for (int k = 0; k < 20; k++) {
            c.barrier();
        }
    }

    /** 100 rounds alternating allreduce / broadcast / barrier on fresh buffers stay in step. */
    static void manyCollectivesInSequence(BlueFog bf) {
        int n = bf.size();
        Communicator c = bf.communicator();
        for (int k = 0; k < 100; k++) {
            DoubleBuffer x = DirectBuffers.doublesOf(k + bf.rank());
            c.allreduce(x, ReduceOp.SUM);
            assertEquals((double) n * k + n * (n - 1) / 2.0, x.get(0), at(bf, "round " + k + " sum"));
            FloatBuffer y = DirectBuffers.floatsOf(bf.rank() == k % n ? k : -1);
            c.broadcast(y, k % n);
            assertEquals(k, y.get(0), at(bf, "round " + k + " broadcast"));
            if (k % 10 == 0) {
                c.barrier();
            }
        }
    }

    // ---- bad input ------------------------------------------------------------------------------

    /**
     * Arguments that are wrong on the calling rank throw {@link IllegalArgumentException} before
     * any communication: heap or foreign-order buffers, dtypes that differ within one call,
     * read-only outputs, element counts that do not fit, ranks/roots/tags out of range, bad counts.
     * A closing barrier proves no rank was left half-way through a collective.
     */
    static void badInputRejected(BlueFog bf) {
        Communicator c = bf.communicator();
        int n = bf.size();
        FloatBuffer heap = FloatBuffer.allocate(4);
        FloatBuffer bigEndian = ByteBuffer.allocateDirect(16)
                .order(ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN)
                .asFloatBuffer();
        FloatBuffer f4 = DirectBuffers.floats(4);
        DoubleBuffer d4n = DirectBuffers.doubles(4 * n);
        FloatBuffer f4n = DirectBuffers.floats(4 * n);
        FloatBuffer readOnly = DirectBuffers.floats(4 * n).asReadOnlyBuffer();

        rejects(bf, "allreduce of a heap buffer", () -> c.allreduce(heap, ReduceOp.SUM));
        rejects(bf, "allreduce of a foreign-order buffer", () -> c.allreduce(bigEndian, ReduceOp.SUM));
        rejects(bf, "allreduce with a null op", () -> c.allreduce(f4, null));
        rejects(bf, "allreduce of a read-only buffer", () -> c.allreduce(readOnly, ReduceOp.SUM));
        rejects(bf, "allreduce of a byte buffer", () -> c.allreduce(ByteBuffer.allocateDirect(8), ReduceOp.SUM));
        rejects(bf, "broadcast of a heap buffer", () -> c.broadcast(heap, 0));
        rejects(bf, "broadcast from root -1", () -> c.broadcast(f4, -1));
        rejects(bf, "broadcast from root size", () -> c.broadcast(f4, n));
        rejects(bf, "allgather float into double", () -> c.allgather(f4, d4n));
        rejects(bf, "allgather from a heap buffer", () -> c.allgather(heap, f4n));
        rejects(bf, "allgather into a read-only buffer", () -> c.allgather(f4, readOnly));
        rejects(bf, "allgather into a too small recv", () -> c.allgather(f4, DirectBuffers.floats(4 * n - 1)));
        int[] counts = new int[n];
        counts[bf.rank()] = 4;
        int[] negative = counts.clone();
        negative[(bf.rank() + 1) % n] -= 1;
        rejects(bf, "allgatherv float into double", () -> c.allgatherv(f4, DirectBuffers.doubles(4), counts));
        rejects(bf, "allgatherv with null counts", () -> c.allgatherv(f4, DirectBuffers.floats(4), null));
        rejects(bf, "allgatherv with counts of length size+1",
                () -> c.allgatherv(f4, DirectBuffers.floats(4), new int[n + 1]));
        if (n > 1) {
            rejects(bf, "allgatherv with a negative count",
                    () -> c.allgatherv(f4, DirectBuffers.floats(3), negative));
        }
        rejects(bf, "allgatherv with send != counts[rank]", () -> c.allgatherv(DirectBuffers.floats(3),
                DirectBuffers.floats(4), counts));
        rejects(bf, "allgatherv with recv != sum(counts)", () -> c.allgatherv(f4, DirectBuffers.floats(5), counts));
        rejects(bf, "isend of a heap buffer", () -> c.isend(heap, 0, 0));
        rejects(bf, "isend to rank -1", () -> c.isend(f4, -1, 0));
        rejects(bf, "isend to rank size", () -> c.isend(f4, n, 0));
        rejects(bf, "isend with tag -1", () -> c.isend(f4, 0, -1));
        rejects(bf, "isend with tag maxTag+1", () -> c.isend(f4, 0, c.maxTag() + 1));
        rejects(bf, "irecv into a heap buffer", () -> c.irecv(heap, 0, 0));
        rejects(bf, "irecv into a read-only buffer", () -> c.irecv(readOnly, 0, 0));
        rejects(bf, "irecv from rank size", () -> c.irecv(f4, n, 0));
        rejects(bf, "irecv with tag -1", () -> c.irecv(f4, 0, -1));
        c.barrier();
        // Still usable afterwards.
        DoubleBuffer one = DirectBuffers.doublesOf(1);
        c.allreduce(one, ReduceOp.SUM);
        assertEquals(n, one.get(0), at(bf, "allreduce after rejected calls"));
    }

    private static void rejects(BlueFog bf, String what, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call, at(bf, what));
        assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), at(bf, what + " has a message"));
    }
}
