package io.bluefog.collectives.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.BlueFog;
import io.bluefog.CollectiveMismatchException;
import io.bluefog.Weighting;
import io.bluefog.collectives.Collectives;
import io.bluefog.collectives.window.WinMutex;
import io.bluefog.collectives.window.Windows;
import io.bluefog.testing.ContractSuite;
import io.bluefog.testing.RankCheck;
import io.bluefog.topology.Topologies;
import io.bluefog.topology.Topology;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * BlueFog's window semantics ({@link Windows}) as closed forms in rank ids: x_r = r on every rank,
 * puts, accumulates and gets with default and explicit weights on the ring and the exponential
 * graph, reset, versions, the associated p of push-sum, mutexes, freeing and reusing a name, and a
 * creation mismatch. Run on {@code LocalCluster} by {@code WindowContractTest} and under mpirun by
 * {@code WindowsMpiTest}. Every check frees its windows and turns associated p off again.
 */
public final class WindowContract implements ContractSuite {
    /** Sums of at most 8 terms of magnitude &le; 8 in float64; float32 checks use {@link #FLOAT_TOL}. */
    static final double DOUBLE_TOL = 1e-12;
    static final double FLOAT_TOL = 1e-5;

    @Override
    public Map<String, RankCheck> checks() {
        Map<String, RankCheck> m = new LinkedHashMap<>();
        for (String g : new String[] {"ring", "exponential"}) {
            m.put("putThenDefaultUpdate_" + g, bf -> putThenDefaultUpdate(bf, graph(g, bf.size())));
            m.put("putWithExplicitWeights_" + g, bf -> putWithExplicitWeights(bf, graph(g, bf.size())));
            m.put("accumulateVersionsAndReset_" + g, bf -> accumulateVersionsAndReset(bf, graph(g, bf.size())));
            m.put("getWithWeights_" + g, bf -> getWithWeights(bf, graph(g, bf.size())));
            m.put("associatedPushSumStep_" + g, bf -> associatedPushSumStep(bf, graph(g, bf.size())));
        }
        m.put("float32Window", WindowContract::float32Window);
        m.put("stagingArraysArePooled", WindowContract::stagingArraysArePooled);
        m.put("heldBackWritesOutnumberSlots", WindowContract::heldBackWritesOutnumberSlots);
        m.put("noSharedMemoryFilesLeft", WindowContract::noSharedMemoryFilesLeft);
        m.put("mutexAccumulatesSumExactly", WindowContract::mutexAccumulatesSumExactly);
        m.put("mutexExcludesAnotherHolder", WindowContract::mutexExcludesAnotherHolder);
        m.put("freeThenReuseName", WindowContract::freeThenReuseName);
        m.put("setTopologyRefusedWhileOpen", WindowContract::setTopologyRefusedWhileOpen);
        m.put("createMismatchFailsEveryRank", WindowContract::createMismatchFailsEveryRank);
        m.put("badArgumentsBeforeAnythingMoves", WindowContract::badArgumentsBeforeAnythingMoves);
        return m;
    }

    static Topology graph(String name, int n) {
        return name.equals("ring") ? Topologies.ring(n) : Topologies.exponential(n);
    }

    static INDArray filled(double v, DataType dt, long len) {
        return Nd4j.valueArrayOf(new long[] {len}, v, dt);
    }

    static void assertAll(double expected, INDArray x, double tol, String what) {
        for (long k = 0; k < x.length(); k++) {
            double got = x.getDouble(k);
            assertTrue(Math.abs(got - expected) <= tol * Math.max(1, Math.abs(expected)),
                    what + "[" + k + "]: expected " + expected + " but got " + got);
        }
    }

    static Map<Integer, Double> ones(int[] ranks) {
        Map<Integer, Double> m = new TreeMap<>();
        for (int r : ranks) {
            m.put(r, 1.0);
        }
        return m;
    }

    static void putThenDefaultUpdate(BlueFog bf, Topology t) {
        bf.setTopology(t);
        int r = bf.rank();
        Windows win = Windows.of(bf);
        INDArray x = filled(r, DataType.DOUBLE, 3);
        win.winCreate("x", x, true);
        win.winPut(x, "x");
        Collectives.of(bf).barrier();
        for (int s : t.inNeighbors(r)) {
            assertEquals(1, win.winVersion("x", s), "version of the buffer for rank " + s);
            assertAll(s, win.winBuffer("x", s), DOUBLE_TOL, "buffer of rank " + s);
        }
        INDArray y = win.winUpdate("x");
        assertTrue(y == x, "winUpdate returns the window's own tensor");
        int[] in = t.inNeighbors(r);
        double expected = (r + java.util.Arrays.stream(in).sum()) / (double) (in.length + 1);
        assertAll(expected, x, DOUBLE_TOL, "uniform winUpdate of x_r = r on rank " + r);
        for (int s : in) {
            assertEquals(0, win.winVersion("x", s), "version after the update");
        }
        win.winFree("x");
    }

    /** Destination d gets x_r / (r + d + 2); the sender keeps x_r / 2. */
    static void putWithExplicitWeights(BlueFog bf, Topology t) {
        bf.setTopology(t);
        int r = bf.rank();
        Windows win = Windows.of(bf);
        INDArray x = filled(r, DataType.DOUBLE, 4);
        win.winCreate("x", x, false);
        Map<Integer, Double> dst = new TreeMap<>();
        for (int d : t.outNeighbors(r)) {
            dst.put(d, 1.0 / (r + d + 2));
        }
        win.winPut(x, "x", 0.5, dst);
        assertAll(0.5 * r, x, DOUBLE_TOL, "tensor after selfWeight 0.5");
        Collectives.of(bf).barrier();
        win.winUpdate("x", 1.0, ones(t.inNeighbors(r)), false);
        double expected = 0.5 * r;
        for (int s : t.inNeighbors(r)) {
            expected += s / (double) (s + r + 2);
        }
        assertAll(expected, x, DOUBLE_TOL, "explicit-weight put then update on rank " + r);
        win.winFree("x");
    }

    /** Buffers start at x_i (no zero init); two accumulates of x_s make them i + 2s; reset zeroes them. */
    static void accumulateVersionsAndReset(BlueFog bf, Topology t) {
        bf.setTopology(t);
        int r = bf.rank();
        Windows win = Windows.of(bf);
        INDArray x = filled(r, DataType.DOUBLE, 2);
        win.winCreate("acc", x, false);
        INDArray send = filled(r, DataType.DOUBLE, 2);
        win.winAccumulate(send, "acc");
        win.winAccumulateAsync(send, "acc", 1.0, null).join();
        Collectives.of(bf).barrier();
        int[] in = t.inNeighbors(r);
        double expected = 0;
        for (int s : in) {
            assertEquals(2, win.winVersion("acc", s), "two writes from rank " + s);
            assertAll(r + 2.0 * s, win.winBuffer("acc", s), DOUBLE_TOL, "buffer of rank " + s);
            expected += r + 2.0 * s;
        }
        win.winUpdate("acc", 0.0, ones(in), true);
        assertAll(expected, x, DOUBLE_TOL, "sum of the accumulated buffers on rank " + r);
        for (int s : in) {
            assertAll(0, win.winBuffer("acc", s), 0, "buffer after reset");
            assertEquals(0, win.winVersion("acc", s));
        }
        win.winUpdate("acc", 1.0, ones(in), false);
        assertAll(expected, x, DOUBLE_TOL, "update over reset buffers leaves x");
        win.winFree("acc");
    }

    /**
     * 40 accumulates of x_r = r (float32, 1031 elements) on the exponential graph, joined one by one:
     * even rounds with weight 1/2 to every out-neighbor (one staging copy shared by all), odd rounds
     * with 1/(r + d + 2) to out-neighbor d (one copy each). Buffer s on rank r then holds
     * 20 s/2 + 20 s/(s + r + 2), and the rank allocated at most 2 outdeg + 2 staging arrays (copies
     * of at most one write awaiting release, plus one received payload), not one per write and
     * neighbor (40 (outdeg + indeg) without the pools). Then a resetting update collects them
     * (x = r + the sums), the buffers read as zeros, and one more accumulate of r/2 leaves s/2 in them.
     */
    static void stagingArraysArePooled(BlueFog bf) {
        Topology t = Topologies.exponential(bf.size());
        bf.setTopology(t);
        int r = bf.rank();
        Windows win = Windows.of(bf);
        INDArray x = filled(r, DataType.FLOAT, 1031);
        win.winCreate("pool", x, true);
        int[] out = t.outNeighbors(r);
        long before = win.stagingAllocations();
        for (int round = 0; round < 40; round++) {
            Map<Integer, Double> dst = new TreeMap<>();
            for (int d : out) {
                dst.put(d, round % 2 == 0 ? 0.5 : 1.0 / (r + d + 2));
            }
            win.winAccumulateAsync(x, "pool", 1.0, dst).join();
        }
        long allocated = win.stagingAllocations() - before;
        // the suite runs on one host: the payload path is shared memory exactly when it is configured
        // and /dev/shm exists
        boolean expectShm = bf.config().windowShm() && java.nio.file.Files.isWritable(java.nio.file.Path.of("/dev/shm"));
        assertEquals(expectShm, win.winSharedMemory("pool"), "winSharedMemory on rank " + r + " with "
                + io.bluefog.config.BlueFogConfig.WINDOW_SHM + "=" + bf.config().windowShm());
        Collectives.of(bf).barrier();
        assertAll(r, x, 0, "the tensor (self weight 1)");
        for (int s : t.inNeighbors(r)) {
            assertEquals(40, win.winVersion("pool", s), "writes from rank " + s);
            assertAll(20 * s / 2.0 + 20.0 * s / (s + r + 2), win.winBuffer("pool", s), FLOAT_TOL, "buffer of rank " + s);
            assertEquals(win.winBuffer("pool", s).getDouble(1030), win.winBufferElement("pool", s, 1030),
                    "winBufferElement reads the buffer of rank " + s);
            int src = s;
            assertThrows(IllegalArgumentException.class, () -> win.winBufferElement("pool", src, 1031), "index past the end");
        }
        assertTrue(allocated <= 2L * out.length + 2, "rank " + r + " allocated " + allocated + " staging arrays for 40 writes to "
                + out.length + " out-neighbors; pooled, at most " + (2 * out.length + 2));
        if (win.winSharedMemory("pool")) {
            // every copy went to a slot of the shared-memory file: each write is joined, and joined
            // means applied and its slots released, so 2 outdeg + 2 slots never run out
            assertEquals(0, allocated, "rank " + r + ": staging arrays allocated although every write had a free slot");
        } else {
            assertTrue(out.length == 0 || allocated >= 1, "rank " + r + ": a write to " + out.length
                    + " out-neighbors allocated no staging array (the counter is not counting)");
        }
        // a resetting update, then one more accumulate into the reset (empty) buffers
        double collected = r;
        for (int s : t.inNeighbors(r)) {
            collected += 20 * s / 2.0 + 20.0 * s / (s + r + 2);
        }
        INDArray sent = filled(r, DataType.FLOAT, 1031);
        win.winUpdateThenCollect("pool");
        assertAll(collected, x, FLOAT_TOL, "x after collecting the buffers on rank " + r);
        Collectives.of(bf).barrier();
        for (int s : t.inNeighbors(r)) {
            assertAll(0, win.winBuffer("pool", s), 0, "buffer of rank " + s + " after the reset");
            assertEquals(0.0, win.winBufferElement("pool", s, 7), "an element of the reset buffer of rank " + s);
        }
        Collectives.of(bf).barrier(); // every rank has read its zeros before anyone writes again
        Map<Integer, Double> half = new TreeMap<>();
        for (int d : out) {
            half.put(d, 0.5);
        }
        win.winAccumulate(sent, "pool", 1.0, half);
        Collectives.of(bf).barrier();
        for (int s : t.inNeighbors(r)) {
            assertAll(s / 2.0, win.winBuffer("pool", s), FLOAT_TOL, "buffer of rank " + s + " after one accumulate into the reset buffer");
        }
        win.winFree("pool");
    }

    /**
     * More writes than a sender has shared-memory slots ({@code 2 outdeg + 2}), all held back at
     * the receivers by {@link Windows#winLock} (each held-back write keeps its slot), so that the
     * later ones must travel as messages, then applied in order on unlock: N = 2 (2 outdeg + 2) + 3
     * accumulates of j&middot;r (j = 1..N) into a reset (empty) buffer (the first is adopted, the
     * others summed into a private array) leave s N(N+1)/2 in buffer s, with version N; then N puts
     * of j&middot;r without the lock (each replacing the adopted slot, which goes back to its sender)
     * leave N s. Holds on both payload paths (shared memory and messages).
     */
    static void heldBackWritesOutnumberSlots(BlueFog bf) {
        Topology t = Topologies.exponential(bf.size());
        bf.setTopology(t);
        int r = bf.rank();
        int[] out = t.outNeighbors(r);
        int writes = 2 * (2 * out.length + 2) + 3;
        Windows win = Windows.of(bf);
        INDArray x = filled(r, DataType.DOUBLE, 513);
        win.winCreate("held", x, false);
        win.winUpdate("held", 1.0, ones(t.inNeighbors(r)), true); // reset: the buffers are empty
        Collectives c = Collectives.of(bf);
        c.barrier();
        java.util.List<io.bluefog.collectives.Handle<Void>> handles = new java.util.ArrayList<>();
        try (var lock = win.winLock("held")) {
            c.barrier(); // every rank holds its lock before anyone writes
            for (int j = 1; j <= writes; j++) {
                INDArray v = filled((double) j * r, DataType.DOUBLE, 513);
                handles.add(win.winAccumulateAsync(v, "held", 1.0, null));
            }
            c.barrier(); // every write has been sent (and is held back) before the locks open
        }
        handles.forEach(io.bluefog.collectives.Handle::join);
        c.barrier();
        for (int s : t.inNeighbors(r)) {
            assertEquals(writes, win.winVersion("held", s), "version of rank " + s + " after held-back accumulates");
            assertAll(s * writes * (writes + 1) / 2.0, win.winBuffer("held", s), DOUBLE_TOL,
                    "buffer of rank " + s + " after " + writes + " held-back accumulates");
        }
        c.barrier();
        for (int j = 1; j <= writes; j++) {
            win.winPut(filled((double) j * r, DataType.DOUBLE, 513), "held", 1.0, null);
        }
        c.barrier();
        for (int s : t.inNeighbors(r)) {
            assertAll((double) writes * s, win.winBuffer("held", s), DOUBLE_TOL, "buffer of rank " + s + " after the puts");
        }
        c.barrier();
        win.winFree("held"); // with the last slots still adopted
    }

    /**
     * The shared-memory slot files are unlinked by the end of {@link Windows#winCreate} (so nothing
     * is left under /dev/shm whatever happens later), after {@link Windows#winFree}, and after a
     * creation that failed on every rank.
     */
    static void noSharedMemoryFilesLeft(BlueFog bf) throws java.io.IOException {
        bf.setTopology(Topologies.ring(bf.size()));
        Windows win = Windows.of(bf);
        Collectives c = Collectives.of(bf);
        win.winCreate("files", filled(bf.rank(), DataType.FLOAT, 64), false);
        c.barrier();
        assertEquals(java.util.List.of(), slotFiles(), "slot files after winCreate");
        c.barrier();
        win.winPut(filled(1, DataType.FLOAT, 64), "files");
        c.barrier(); // every put was applied before any rank begins freeing
        win.winFree("files");
        assertEquals(java.util.List.of(), slotFiles(), "slot files after winFree");
        c.barrier(); // every rank has looked before any creates again
        if (bf.size() == 1) {
            return; // one rank cannot disagree with itself
        }
        long len = bf.rank() == 0 ? 65 : 64;
        assertThrows(CollectiveMismatchException.class,
                () -> win.winCreate("files", filled(bf.rank(), DataType.FLOAT, len), false));
        c.barrier();
        assertEquals(java.util.List.of(), slotFiles(), "slot files after a failed winCreate");
    }

    /** @return this process's window slot files under /dev/shm (none when it does not exist) */
    static java.util.List<String> slotFiles() throws java.io.IOException {
        java.nio.file.Path dir = java.nio.file.Path.of("/dev/shm");
        if (!java.nio.file.Files.isDirectory(dir)) {
            return java.util.List.of();
        }
        String prefix = "bluefog-win-" + ProcessHandle.current().pid() + "-";
        try (var files = java.nio.file.Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).filter(f -> f.startsWith(prefix)).sorted().toList();
        }
    }

    /** winGet with weight 1/(s+1) from each in-neighbor s: buffer s = s/(s+1). */
    static void getWithWeights(BlueFog bf, Topology t) {
        bf.setTopology(t);
        int r = bf.rank();
        Windows win = Windows.of(bf);
        INDArray x = filled(r, DataType.DOUBLE, 5);
        win.winCreate("g", x, true);
        Map<Integer, Double> src = new TreeMap<>();
        for (int s : t.inNeighbors(r)) {
            src.put(s, 1.0 / (s + 1));
        }
        win.winGet("g", src);
        Collectives.of(bf).barrier(); // nobody updates (changes x) before every get was served
        double expected = 0;
        for (int s : t.inNeighbors(r)) {
            assertEquals(1, win.winVersion("g", s));
            expected += s / (double) (s + 1);
        }
        win.winUpdate("g", 0.0, ones(t.inNeighbors(r)), false);
        assertAll(expected, x, DOUBLE_TOL, "weighted get then update on rank " + r);
        Collectives.of(bf).barrier();
        win.winGet("g"); // default: every in-neighbor, weight 1, reads the updated tensors
        Collectives.of(bf).barrier();
        for (int s : t.inNeighbors(r)) {
            double es = 0;
            for (int q : t.inNeighbors(s)) {
                es += q / (double) (q + 1);
            }
            assertAll(es, win.winBuffer("g", s), DOUBLE_TOL, "default get of rank " + s + "'s updated tensor");
        }
        win.winFree("g");
    }

    /**
     * One push-sum step with associated p: every rank keeps 1/(outdeg+1) of (x, p) and accumulates
     * the same share to each out-neighbor, then collects. Closed form: x_i = Σ_{j ∈ {i} ∪ in(i)} j/(od_j+1),
     * p_i = Σ 1/(od_j+1), and Σ_i p_i = n (mass is conserved). Before the collection the buffer of
     * in-neighbor s carries p 1/(od_s+1) ({@code winBufferAssociatedP}), after it (reset) 0.
     */
    static void associatedPushSumStep(BlueFog bf, Topology t) {
        bf.setTopology(t);
        int r = bf.rank();
        Windows win = Windows.of(bf);
        win.setAssociatedP(true);
        try {
            INDArray x = filled(r, DataType.DOUBLE, 3);
            win.winCreate("ps", x, true);
            assertEquals(1.0, win.winAssociatedP("ps"));
            double share = 1.0 / (t.outDegree(r) + 1);
            Map<Integer, Double> dst = new TreeMap<>();
            for (int d : t.outNeighbors(r)) {
                dst.put(d, share);
            }
            win.winAccumulate(x, "ps", share, dst);
            assertEquals(share, win.winAssociatedP("ps"), DOUBLE_TOL);
            Collectives.of(bf).barrier();
            for (int s : t.inNeighbors(r)) {
                assertEquals(1.0 / (t.outDegree(s) + 1), win.winBufferAssociatedP("ps", s), DOUBLE_TOL,
                        "p of the buffer of rank " + s + " on rank " + r);
            }
            win.winUpdateThenCollect("ps");
            for (int s : t.inNeighbors(r)) {
                assertEquals(0.0, win.winBufferAssociatedP("ps", s), "p of the reset buffer of rank " + s);
            }
            double ex = r * share;
            double ep = share;
            for (int s : t.inNeighbors(r)) {
                ex += s / (double) (t.outDegree(s) + 1);
                ep += 1.0 / (t.outDegree(s) + 1);
            }
            assertAll(ex, x, DOUBLE_TOL, "push-sum x on rank " + r);
            double p = win.winAssociatedP("ps");
            assertEquals(ep, p, DOUBLE_TOL, "associated p on rank " + r);
            INDArray total = Collectives.of(bf).allreduce(Nd4j.createFromArray(p * bf.size()));
            assertEquals(bf.size(), total.getDouble(0), 1e-12 * bf.size(), "sum of p over ranks");
            win.winFree("ps");
        } finally {
            win.setAssociatedP(false);
        }
    }

    static void float32Window(BlueFog bf) {
        bf.setTopology(Topologies.exponential(bf.size()));
        int r = bf.rank();
        Windows win = Windows.of(bf);
        INDArray x = Nd4j.valueArrayOf(new long[] {2, 3}, (float) r, DataType.FLOAT);
        win.winCreate("f", x, true);
        win.winPut(x, "f");
        Collectives.of(bf).barrier();
        win.winUpdate("f");
        int[] in = bf.inNeighborRanks();
        assertAll((r + java.util.Arrays.stream(in).sum()) / (double) (in.length + 1), x, FLOAT_TOL, "float32 window");
        assertEquals(DataType.FLOAT, x.dataType());
        win.winFree("f");
    }

    /** K accumulates of 1 per rank, each under the destinations' mutexes: every buffer holds exactly K. */
    static void mutexAccumulatesSumExactly(BlueFog bf) {
        bf.setTopology(Topologies.exponential(bf.size()));
        int r = bf.rank();
        int k = 25;
        Windows win = Windows.of(bf);
        INDArray x = Nd4j.zeros(DataType.DOUBLE, 1);
        win.winCreate("m", x, true);
        INDArray one = Nd4j.ones(DataType.DOUBLE, 1);
        for (int i = 0; i < k; i++) {
            win.winAccumulate(one, "m", 1.0, null, true);
        }
        Collectives.of(bf).barrier();
        win.winUpdateThenCollect("m");
        assertEquals((double) k * bf.inNeighborRanks().length, x.getDouble(0), 0.0, "exact sum on rank " + r);
        win.winFree("m");
    }

    /** While rank 0 holds its own mutex, rank 1's request for it is not granted; after release it is. */
    static void mutexExcludesAnotherHolder(BlueFog bf) throws Exception {
        bf.setTopology(Topologies.exponential(bf.size()));
        Windows win = Windows.of(bf);
        win.winCreate("mx", Nd4j.zeros(DataType.DOUBLE, 1), true);
        Collectives c = Collectives.of(bf);
        WinMutex own = bf.rank() == 0 ? win.winMutex("mx", null, true) : null;
        c.barrier();
        Thread waiter = null;
        AtomicBoolean granted = new AtomicBoolean();
        Throwable[] error = new Throwable[1];
        if (bf.rank() == 1) {
            waiter = new Thread(() -> {
                try (WinMutex m = win.winMutex("mx", new int[] {0}, false)) {
                    granted.set(true);
                } catch (Throwable e) {
                    error[0] = e;
                }
            });
            waiter.start();
            waiter.join(300);
            assertFalse(granted.get(), "rank 0's mutex was granted to rank 1 while rank 0 held it");
        }
        c.barrier();
        if (own != null) {
            own.close();
        }
        if (waiter != null) {
            waiter.join(win.timeoutMillis() + 1000);
            assertTrue(error[0] == null, () -> "waiter failed: " + error[0]);
            assertTrue(granted.get(), "granted after release");
        }
        c.barrier();
        win.winFree("mx");
    }

    static void freeThenReuseName(BlueFog bf) {
        bf.setTopology(Topologies.ring(bf.size()));
        int r = bf.rank();
        Windows win = Windows.of(bf);
        win.winCreate("reuse", filled(r, DataType.DOUBLE, 2), false);
        win.winFree("reuse");
        assertFalse(win.windowNames().contains("reuse"));
        assertThrows(IllegalArgumentException.class, () -> win.winPut(filled(r, DataType.DOUBLE, 2), "reuse"));
        INDArray y = filled(2 * r, DataType.FLOAT, 3);
        win.winCreate("reuse", y, true);
        win.winPut(y, "reuse");
        Collectives.of(bf).barrier();
        win.winUpdate("reuse", 0.0, ones(bf.inNeighborRanks()), false);
        double expected = 0;
        for (int s : bf.inNeighborRanks()) {
            expected += 2 * s;
        }
        assertAll(expected, y, FLOAT_TOL, "reused name with a new shape and dtype");
        win.winFree("reuse");
    }

    /**
     * BlueFog's set_topology fails while windows are uncleared: both forms of setTopology throw on
     * every rank, naming every open window, and leave the topology as it was, until the last
     * window is freed; a failed creation holds nothing.
     */
    static void setTopologyRefusedWhileOpen(BlueFog bf) {
        Topology ring = Topologies.ring(bf.size());
        Topology exp = Topologies.exponential(bf.size());
        bf.setTopology(ring);
        int r = bf.rank();
        Windows win = Windows.of(bf);
        win.winCreate("held", filled(r, DataType.DOUBLE, 2), false);
        win.winCreate("alsoHeld", filled(r, DataType.FLOAT, 1), true, exp);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> bf.setTopology(exp));
        assertTrue(e.getMessage().contains("window 'held'") && e.getMessage().contains("window 'alsoHeld'"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> bf.setTopology(exp, Weighting.TOPOLOGY));
        assertTrue(bf.topology() == ring && bf.weighting() == Weighting.UNIFORM, "the topology is unchanged");
        win.winFree("held");
        e = assertThrows(IllegalStateException.class, () -> bf.setTopology(exp));
        assertFalse(e.getMessage().contains("'held'"), e.getMessage());
        win.winFree("alsoHeld");
        assertTrue(bf.topologyHolders().isEmpty(), "holders after the frees: " + bf.topologyHolders());
        bf.setTopology(exp);
        assertTrue(bf.topology() == exp);
        // a creation that fails (here on every rank: a float16 tensor) leaves the topology free
        assertThrows(CollectiveMismatchException.class, () -> win.winCreate("bad", Nd4j.zeros(DataType.HALF, 2), false));
        assertTrue(bf.topologyHolders().isEmpty(), "holders after a failed creation: " + bf.topologyHolders());
        bf.setTopology(ring);
    }

    static void createMismatchFailsEveryRank(BlueFog bf) {
        int n = bf.size();
        Windows win = Windows.of(bf);
        long len = bf.rank() == n - 1 ? 4 : 3;
        INDArray x = n == 1 ? Nd4j.zeros(DataType.INT, 3) : Nd4j.zeros(DataType.DOUBLE, len);
        CollectiveMismatchException e = assertThrows(CollectiveMismatchException.class, () -> win.winCreate("bad", x, false));
        assertTrue(e.getMessage().contains("rank " + (n - 1)), e.getMessage());
        assertTrue(win.windowNames().isEmpty());
        assertTrue(bf.topologyHolders().isEmpty(), "an abandoned creation still holds: " + bf.topologyHolders());
        if (n > 1) {
            String name = bf.rank() == n - 1 ? "other" : "bad";
            assertThrows(CollectiveMismatchException.class,
                    () -> win.winCreate(name, Nd4j.zeros(DataType.DOUBLE, 3), false));
        }
        win.winCreate("bad", Nd4j.zeros(DataType.DOUBLE, 3), false); // later creations work
        win.winFree("bad");
    }

    static void badArgumentsBeforeAnythingMoves(BlueFog bf) {
        bf.setTopology(Topologies.ring(bf.size()));
        int n = bf.size();
        int r = bf.rank();
        Windows win = Windows.of(bf);
        INDArray x = filled(r, DataType.DOUBLE, 2);
        win.winCreate("args", x, false);
        assertThrows(IllegalArgumentException.class, () -> win.winPut(x, "nope"));
        assertThrows(IllegalArgumentException.class, () -> win.winPut(filled(r, DataType.DOUBLE, 3), "args"));
        assertThrows(IllegalArgumentException.class, () -> win.winPut(filled(r, DataType.FLOAT, 2), "args"));
        assertThrows(IllegalArgumentException.class, () -> win.winPut(x, "args", 1.0, Map.of(r, 1.0)));
        assertThrows(IllegalArgumentException.class,
                () -> win.winUpdate("args", Double.NaN, Map.of(), false));
        if (n > 3) {
            int far = (r + 2) % n; // not a ring neighbor
            assertThrows(IllegalArgumentException.class, () -> win.winGet("args", Map.of(far, 1.0)));
            assertThrows(IllegalArgumentException.class, () -> win.winVersion("args", far));
        }
        win.winFree("args");
    }
}
