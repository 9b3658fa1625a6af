package io.bluefog.collectives.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.BlueFog;
import io.bluefog.collectives.DynamicNeighbors;
import io.bluefog.comm.Communicator;
import io.bluefog.comm.ReduceOp;
import io.bluefog.comm.Request;
import io.bluefog.comm.SharedMemoryExchange;
import io.bluefog.local.LocalCluster;
import io.bluefog.timeline.Timeline;
import io.bluefog.topology.Topologies;
import io.bluefog.topology.Topology;
import java.nio.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The shared-memory neighborAllreduce of LocalCluster ({@link SharedMemoryExchange}: sources'
 * payloads read in place) gives bit for bit the results of the message path (the same engine on
 * the same cluster through a communicator that hides the capability, so data moves as messages in
 * pipeline chunks): several topologies, explicit destination weights (scaled and rounded by the
 * sender), dynamic neighbors with and without the consistency check, every dtype, odd sizes, in
 * place and new array, and two operations submitted together (possibly fused).
 */
class SharedMemoryPathTest {
    private static final long TIMEOUT_MILLIS = 60_000;
    /** Small chunks, so that the message path combines chunk by chunk while the shared path combines at once. */
    private static final long CHUNK_BYTES = 96;
    private static final int[] SIZES = {1, 7, 1031};
    private static final DataType[] DTYPES = {DataType.FLOAT, DataType.DOUBLE, DataType.HALF, DataType.INT,
        DataType.LONG};

    /** Delegates to a LocalCluster communicator but hides {@link SharedMemoryExchange}: the message path. */
    static class MessagesOnly implements Communicator {
        final Communicator c;

        MessagesOnly(Communicator c) {
            this.c = c;
        }

        @Override public int rank() { return c.rank(); }
        @Override public int size() { return c.size(); }
        @Override public int localRank() { return c.localRank(); }
        @Override public int localSize() { return c.localSize(); }
        @Override public int machineRank() { return c.machineRank(); }
        @Override public int machineSize() { return c.machineSize(); }
        @Override public String hostname() { return c.hostname(); }
        @Override public String transportName() { return c.transportName(); }
        @Override public Request isend(Buffer b, int dest, int tag) { return c.isend(b, dest, tag); }
        @Override public Request irecv(Buffer b, int source, int tag) { return c.irecv(b, source, tag); }
        @Override public Request irecvUpTo(Buffer b, int source, int tag) { return c.irecvUpTo(b, source, tag); }
        @Override public boolean offersIrecvUpTo() { return c.offersIrecvUpTo(); }
        @Override public int maxTag() { return c.maxTag(); }
        @Override public void allreduce(Buffer b, ReduceOp op) { c.allreduce(b, op); }
        @Override public void broadcast(Buffer b, int root) { c.broadcast(b, root); }
        @Override public void allgather(Buffer s, Buffer r) { c.allgather(s, r); }
        @Override public void allgatherv(Buffer s, Buffer r, int[] counts) { c.allgatherv(s, r, counts); }
        @Override public void barrier() { c.barrier(); }
        @Override public void abort(int exitCode, Throwable cause) { c.abort(exitCode, cause); }
        @Override public void close() { }
    }

    /** Delegates everything, the capability included, and counts the shared rounds (so the test sees the fast path ran). */
    private static final class Counting extends MessagesOnly implements SharedMemoryExchange {
        private final AtomicInteger shares;

        Counting(Communicator c, AtomicInteger shares) {
            super(c);
            this.shares = shares;
        }

        @Override public Shared share(Object mine, String what, long timeoutMillis, Runnable check,
                Function<List<Integer>, String> absent) {
            shares.incrementAndGet();
            return ((SharedMemoryExchange) c).share(mine, what, timeoutMillis, check, absent);
        }
        @Override public Shared share(Object mine, String what, long timeoutMillis, Runnable check,
                Function<List<Integer>, String> absent, RoundWork work) {
            shares.incrementAndGet();
            return ((SharedMemoryExchange) c).share(mine, what, timeoutMillis, check, absent, work);
        }
        @Override public void wakeWaiters() { ((SharedMemoryExchange) c).wakeWaiters(); }
        @Override public long wakeups() { return ((SharedMemoryExchange) c).wakeups(); }
    }

    /** How each rank builds its plan for one case. */
    private interface PlanMaker {
        NeighborPlan plan(int rank, int n);
    }

    private static List<Object[]> cases() {
        List<Object[]> cases = new ArrayList<>();
        cases.add(new Object[] {"ring", 5, (PlanMaker) (r, n) -> NeighborPlan.of(Topologies.ring(n), r)});
        cases.add(new Object[] {"exponential", 6, (PlanMaker) (r, n) -> NeighborPlan.of(Topologies.exponential(n), r)});
        cases.add(new Object[] {"star", 4, (PlanMaker) (r, n) -> NeighborPlan.of(Topologies.star(n), r)});
        cases.add(new Object[] {"one-peer with destination weights, checked", 4,
            (PlanMaker) (r, n) -> NeighborPlan.of(onePeer(r, n, true), r, n)});
        cases.add(new Object[] {"one-peer with destination weights, unchecked", 4,
            (PlanMaker) (r, n) -> NeighborPlan.of(onePeer(r, n, false), r, n)});
        return cases;
    }

    /** Receive from r - 1 (weight 0.625), send to r + 1 scaled by 0.7 (not exact in any dtype: the sender rounds). */
    private static DynamicNeighbors onePeer(int r, int n, boolean check) {
        return DynamicNeighbors.builder().selfWeight(0.375).source((r + n - 1) % n, 0.625)
                .destination((r + 1) % n, 0.7).checkConsistency(check).build();
    }

    private static INDArray input(DataType dtype, int size, int rank, int salt) {
        return TestTensors.random(dtype, size, 1000L * rank + 31L * size + salt);
    }

    /** Every case's results on one rank, by one path: one byte array per (dtype, size, in place / new, op). */
    private static List<byte[]> runAll(Communicator comm, PlanMaker maker) {
        List<byte[]> out = new ArrayList<>();
        Engine engine = new Engine(comm, 1 << 20, TIMEOUT_MILLIS, CHUNK_BYTES, false, Timeline.disabled());
        try {
            int r = comm.rank();
            int n = comm.size();
            for (DataType dtype : DTYPES) {
                for (int size : SIZES) {
                    INDArray x = input(dtype, size, r, 0);
                    Op fresh = engine.runInCallerOrSubmit(Op.neighborAllreduce(x, maker.plan(r, n), false));
                    out.add(TestTensors.bits((INDArray) fresh.future().join()));
                    Op inPlace = engine.runInCallerOrSubmit(Op.neighborAllreduce(x, maker.plan(r, n), true));
                    inPlace.future().join();
                    out.add(TestTensors.bits(x));
                    // Two at once: the communication thread may fuse them into one packed exchange.
                    INDArray y = input(dtype, size, r, 1);
                    INDArray z = input(dtype, size, r, 2);
                    Op a = engine.submit(Op.neighborAllreduce(y, maker.plan(r, n), true));
                    Op b = engine.submit(Op.neighborAllreduce(z, maker.plan(r, n), false));
                    a.future().join();
                    out.add(TestTensors.bits(y));
                    out.add(TestTensors.bits((INDArray) b.future().join()));
                }
            }
        } finally {
            engine.close();
        }
        return out;
    }

    @Test
    void sharedMemoryPathIsBitIdenticalToTheMessagePath() {
        compareBothPaths(cases());
    }

    /**
     * Block buffers of 48 bytes: the shared round combines every rank block by block (1-2 elements
     * per rank and block, hundreds of blocks per tensor), its workers sharing the blocks, and writes
     * in-place results back block by block; still the message path's bits.
     */
    @Test
    void manySmallBlocksGiveTheSameBits() {
        int saved = NeighborAllreduceOperation.blockBufferBytes;
        NeighborAllreduceOperation.blockBufferBytes = 48;
        try {
            compareBothPaths(cases().subList(0, 2)); // ring of 5, exponential of 6
            compareBothPaths(cases().subList(3, 4)); // one-peer with destination weights (scaled payloads)
        } finally {
            NeighborAllreduceOperation.blockBufferBytes = saved;
        }
    }

    private static void compareBothPaths(List<Object[]> cases) {
        for (Object[] c : cases) {
            String name = (String) c[0];
            int n = (Integer) c[1];
            PlanMaker maker = (PlanMaker) c[2];
            AtomicInteger shares = new AtomicInteger();
            List<List<byte[]>[]> results = LocalCluster.builder(n).timeoutMillis(TIMEOUT_MILLIS).build().call(bf -> {
                @SuppressWarnings("unchecked")
                List<byte[]>[] both = new List[2];
                both[0] = runAll(new Counting(bf.communicator(), shares), maker);
                both[1] = runAll(new MessagesOnly(bf.communicator()), maker);
                return both;
            });
            assertTrue(shares.get() > 0, name + ": the shared-memory path never ran");
            for (int r = 0; r < n; r++) {
                List<byte[]> fast = results.get(r)[0];
                List<byte[]> slow = results.get(r)[1];
                assertEquals(slow.size(), fast.size());
                for (int k = 0; k < fast.size(); k++) {
                    assertTrue(java.util.Arrays.equals(slow.get(k), fast.get(k)), name + ", rank " + r + ", result " + k
                            + " (dtype " + DTYPES[k / (4 * SIZES.length)] + ", size " + SIZES[(k / 4) % SIZES.length]
                            + ", variant " + k % 4 + ") differs between the shared-memory and the message path");
                }
            }
        }
    }

    /**
     * In-place calls whose inputs are the rows of one matrix (views of one buffer, as a simulation
     * might lay out its ranks): the shared round writes each rank's block of results right after the
     * last rank that reads that row, found by comparing memory ranges, so a write that came too
     * early (before a later reader of the row, e.g. the ring's last rank reading row 0, or every
     * rank reading the star's centre) would change a neighbor's bits. Compared with the message path
     * on a copy of the matrix, three calls in a row, with many small blocks and with one block.
     */
    @Test
    void rowsOfOneMatrixInPlaceGiveTheMessagePathsBits() {
        int saved = NeighborAllreduceOperation.blockBufferBytes;
        try {
            for (int blockBytes : new int[] {48, saved}) {
                NeighborAllreduceOperation.blockBufferBytes = blockBytes;
                for (Object[] c : cases().subList(0, 3)) { // ring of 5, exponential of 6, star of 4
                    String name = c[0] + ", block buffer " + blockBytes + " bytes";
                    int n = (Integer) c[1];
                    PlanMaker maker = (PlanMaker) c[2];
                    int size = 1031;
                    INDArray shared = TestTensors.random(DataType.FLOAT, n * size, 77L * n).reshape(n, size);
                    INDArray copy = shared.dup();
                    AtomicInteger shares = new AtomicInteger();
                    LocalCluster.builder(n).timeoutMillis(TIMEOUT_MILLIS).build().call(bf -> {
                        int r = bf.rank();
                        Engine fast = new Engine(new Counting(bf.communicator(), shares), 1 << 20, TIMEOUT_MILLIS,
                                CHUNK_BYTES, false, Timeline.disabled(), 1024);
                        Engine slow = new Engine(new MessagesOnly(bf.communicator()), 1 << 20, TIMEOUT_MILLIS,
                                CHUNK_BYTES, false, Timeline.disabled());
                        try {
                            INDArray x = shared.getRow(r);
                            INDArray y = copy.getRow(r);
                            for (int k = 0; k < 3; k++) {
                                fast.runInCallerOrSubmit(Op.neighborAllreduce(x, maker.plan(r, n), true)).future().join();
                                slow.runInCallerOrSubmit(Op.neighborAllreduce(y, maker.plan(r, n), true)).future().join();
                            }
                            return null;
                        } finally {
                            fast.close();
                            slow.close();
                        }
                    });
                    assertTrue(shares.get() > 0, name + ": the shared-memory path never ran");
                    for (int r = 0; r < n; r++) {
                        assertTrue(java.util.Arrays.equals(TestTensors.bits(copy.getRow(r).dup()),
                                TestTensors.bits(shared.getRow(r).dup())), name + ", rank " + r
                                + ": the shared round's in-place rows differ from the message path's");
                    }
                }
            }
        } finally {
            NeighborAllreduceOperation.blockBufferBytes = saved;
        }
    }

    /** Repeated in-place calls of {@link #foldedCallsAreOneRoundAndFallBackOnAMismatch}. */
    private static final int FOLDED_CALLS = 4;

    /**
     * With the response cache on, a repeated single in-place neighborAllreduce goes with the cache
     * round (Coordinator's folded round): one shared round per call after the first (cache round,
     * full round and data round), each rank's result bit for bit the message path's; a call that
     * differs on one rank then fails on every rank with the usual mismatch text, and the next
     * agreed call works again.
     */
    @Test
    void foldedCallsAreOneRoundAndFallBackOnAMismatch() {
        int n = 5;
        AtomicInteger shares = new AtomicInteger();
        List<String> outcome = LocalCluster.builder(n).timeoutMillis(TIMEOUT_MILLIS).build().call(bf -> {
            int r = bf.rank();
            NeighborPlan plan = NeighborPlan.of(Topologies.ring(n), r);
            Engine fast = new Engine(new Counting(bf.communicator(), shares), 1 << 20, TIMEOUT_MILLIS, CHUNK_BYTES, false,
                    Timeline.disabled(), 1024);
            Engine slow = new Engine(new MessagesOnly(bf.communicator()), 1 << 20, TIMEOUT_MILLIS, CHUNK_BYTES, false,
                    Timeline.disabled());
            try {
                INDArray x = input(DataType.FLOAT, 1031, r, 0);
                INDArray y = x.dup();
                for (int k = 0; k < FOLDED_CALLS; k++) {
                    fast.runInCallerOrSubmit(Op.neighborAllreduce(x, plan, true)).future().join();
                    slow.runInCallerOrSubmit(Op.neighborAllreduce(y, plan, true)).future().join();
                    assertTrue(java.util.Arrays.equals(TestTensors.bits(y), TestTensors.bits(x)), "rank " + r + ", call " + k);
                }
                int sharesOfTheCalls = shares.get(); // read after the last call (every rank's shares counted)
                INDArray odd = r == n - 1 ? input(DataType.FLOAT, 7, r, 0) : x;
                String mismatch;
                try {
                    fast.runInCallerOrSubmit(Op.neighborAllreduce(odd, plan, true)).future().join();
                    mismatch = "no exception";
                } catch (java.util.concurrent.CompletionException e) {
                    mismatch = e.getCause() instanceof io.bluefog.CollectiveMismatchException ? e.getCause().getMessage()
                            : "unexpected " + e.getCause();
                }
                fast.runInCallerOrSubmit(Op.neighborAllreduce(x, plan, true)).future().join();
                slow.runInCallerOrSubmit(Op.neighborAllreduce(y, plan, true)).future().join();
                assertTrue(java.util.Arrays.equals(TestTensors.bits(y), TestTensors.bits(x)), "rank " + r + ", after the mismatch");
                return sharesOfTheCalls + "|" + mismatch;
            } finally {
                fast.close();
                slow.close();
            }
        });
        for (int r = 0; r < n; r++) {
            String[] parts = outcome.get(r).split("\\|", 2);
            // By the time a rank returns from the last call, every rank has passed the call's rounds.
            assertTrue(Integer.parseInt(parts[0]) >= n * (3 + (FOLDED_CALLS - 1)), outcome.get(r));
            assertTrue(parts[1].startsWith("rank " + r + ": "), "rank " + r + ": " + parts[1]);
            assertTrue(parts[1].contains("ranks [0, 1, 2, 3] called neighborAllreduce float32 [1031]")
                    && parts[1].contains("rank 4 called neighborAllreduce float32 [7]"), "rank " + r + ": " + parts[1]);
        }
        // 3 shared rounds for the first call, 1 for each repeated call; the mismatch: cache round, full round;
        // the call after it: cache round (its slot is still agreed) carrying the data.
        assertEquals(n * (3 + (FOLDED_CALLS - 1) + 2 + 1), shares.get(), "shared rounds of all ranks");
    }

    /** The comparison can fail: a perturbed input on one rank changes its neighbors' bits. */
    @Test
    void theComparisonSeesADifferentInput() {
        List<byte[]> out = LocalCluster.builder(3).timeoutMillis(TIMEOUT_MILLIS).build().call(bf -> {
            Engine engine = new Engine(bf.communicator(), 1 << 20, TIMEOUT_MILLIS, CHUNK_BYTES, false, Timeline.disabled());
            try {
                INDArray x = input(DataType.FLOAT, 7, bf.rank(), 0);
                Op a = engine.runInCallerOrSubmit(Op.neighborAllreduce(x.dup(), NeighborPlan.of(Topologies.ring(3),
                        bf.rank()), false));
                byte[] first = TestTensors.bits((INDArray) a.future().join());
                if (bf.rank() == 1) {
                    x.putScalar(3, x.getFloat(3) + 1e-3f);
                }
                Op b = engine.runInCallerOrSubmit(Op.neighborAllreduce(x, NeighborPlan.of(Topologies.ring(3),
                        bf.rank()), false));
                return java.util.Arrays.equals(first, TestTensors.bits((INDArray) b.future().join())) ? new byte[0] : first;
            } finally {
                engine.close();
            }
        });
        for (int r = 0; r < 3; r++) {
            assertTrue(out.get(r).length > 0, "rank " + r + " did not see rank 1's change");
        }
    }
}
