package io.bluefog.local;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.BlueFog;
import io.bluefog.CollectiveMismatchException;
import io.bluefog.CommunicationException;
import io.bluefog.comm.Communicator;
import io.bluefog.comm.ReduceOp;
import io.bluefog.comm.Request;
import io.bluefog.testing.DirectBuffers;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** LocalCluster behaviour beyond the transport-independent contract. */
class LocalClusterTest {
    private static final long SEED = 20261121L;

    @Test
    void callReturnsResultsInRankOrder() {
        List<Integer> ranks = LocalCluster.call(5, BlueFog::rank);
        assertEquals(List.of(0, 1, 2, 3, 4), ranks);
        assertEquals(List.of("local", "local"), LocalCluster.call(2, bf -> bf.communicator().transportName()));
    }

    @Test
    void simulatedMachinesAssignConsecutiveRanks() {
        // 8 ranks, 3 per machine: machines {0,1,2}, {3,4,5}, {6,7}.
        List<int[]> layout = LocalCluster.builder(8).ranksPerMachine(3).build().call(bf -> new int[] {
            bf.localRank(), bf.localSize(), bf.machineRank(), bf.machineSize()});
        for (int r = 0; r < 8; r++) {
            int machine = r / 3;
            int expectedLocalSize = machine < 2 ? 3 : 2;
            assertArrayEquals(new int[] {r % 3, expectedLocalSize, machine, 3}, layout.get(r), "rank " + r);
        }
        List<String> hosts = LocalCluster.builder(4).ranksPerMachine(2).build()
                .call(bf -> bf.communicator().hostname());
        assertEquals(List.of("local-machine-0", "local-machine-0", "local-machine-1", "local-machine-1"), hosts);
        assertEquals(List.of(0, 1, 2), LocalCluster.call(3, BlueFog::localRank), "default: one machine");
    }

    @Test
    void builderRejectsBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> LocalCluster.builder(0));
        assertThrows(IllegalArgumentException.class, () -> LocalCluster.builder(4).ranksPerMachine(5));
        assertThrows(IllegalArgumentException.class, () -> LocalCluster.builder(4).ranksPerMachine(0));
        assertThrows(IllegalArgumentException.class, () -> LocalCluster.builder(4).timeoutMillis(0));
        assertThrows(IllegalArgumentException.class, () -> LocalCluster.builder(4).eagerLimitBytes(-1));
        assertThrows(IllegalArgumentException.class, () -> LocalCluster.run(2, null));
    }

    /**
     * Random float32 sums are combined in rank order: bit-identical between runs and equal to the
     * serial left-to-right sum, whichever thread reduced which range.
     */
    @Test
    void allreduceIsDeterministicAndMatchesSerialRankOrderSum() {
        int n = 7;
        int len = 10_000;
        float[][] x = new float[n][len];
        SplittableRandom rnd = new SplittableRandom(SEED);
        for (float[] row : x) {
            for (int i = 0; i < len; i++) {
                row[i] = (float) (rnd.nextDouble() * 2 - 1) * (float) Math.pow(10, rnd.nextInt(-3, 4));
            }
        }
        float[] serial = new float[len];
        for (int i = 0; i < len; i++) {
            float s = x[0][i];
            for (int r = 1; r < n; r++) {
                s += x[r][i];
            }
            serial[i] = s;
        }
        for (int run = 0; run < 3; run++) {
            List<float[]> results = LocalCluster.call(n, bf -> {
                FloatBuffer b = DirectBuffers.floatsOf(x[bf.rank()]);
                bf.communicator().allreduce(b, ReduceOp.SUM);
                return DirectBuffers.toArray(b);
            });
            for (int r = 0; r < n; r++) {
                assertArrayEquals(serial, results.get(r), "run " + run + " rank " + r);
            }
        }
    }

    @Test
    void disagreeingCollectivesRaiseMismatchOnEveryRankAndTheJobContinues() {
        List<String> messages = LocalCluster.call(4, bf -> {
            Communicator c = bf.communicator();
            ReduceOp op = bf.rank() == 2 ? ReduceOp.MAX : ReduceOp.SUM;
            CollectiveMismatchException e = assertThrows(CollectiveMismatchException.class,
                    () -> c.allreduce(DirectBuffers.floats(3), op));
            FloatBuffer shortOne = DirectBuffers.floats(bf.rank() == 0 ? 2 : 3);
            assertThrows(CollectiveMismatchException.class, () -> c.broadcast(shortOne, 0));
            if (bf.rank() == 3) {
                assertThrows(CollectiveMismatchException.class, c::barrier);
            } else {
                assertThrows(CollectiveMismatchException.class, () -> c.allgather(DirectBuffers.floats(1),
                        DirectBuffers.floats(4)));
            }
            DoubleBuffer one = DirectBuffers.doublesOf(1);
            c.allreduce(one, ReduceOp.SUM);
            assertEquals(4.0, one.get(0), "the job continues after mismatches");
            return e.getMessage();
        });
        for (String m : messages) {
            assertTrue(m.contains("ranks 0-1, 3 called allreduce(SUM, float32 x 3)")
                    && m.contains("rank 2 called allreduce(MAX, float32 x 3)"), m);
        }
    }

    @Test
    void allgathervCountsMustAgree() {
        LocalCluster.run(2, bf -> {
            int[] counts = bf.rank() == 0 ? new int[] {1, 1} : new int[] {1, 2};
            FloatBuffer recv = DirectBuffers.floats(bf.rank() == 0 ? 2 : 3);
            CollectiveMismatchException e = assertThrows(CollectiveMismatchException.class,
                    () -> bf.communicator().allgatherv(DirectBuffers.floats(counts[bf.rank()]), recv, counts));
            assertTrue(e.getMessage().contains("counts [1, 2]"), e.getMessage());
        });
    }

    @Test
    void receiveOfWrongCountOrDtypeFailsTheReceiveOnly() {
        LocalCluster.run(2, bf -> {
            Communicator c = bf.communicator();
            if (bf.rank() == 0) {
                c.isend(DirectBuffers.floats(5), 1, 1).waitFor();
                c.isend(DirectBuffers.floats(4), 1, 2).waitFor();
            } else {
                CommunicationException count = assertThrows(CommunicationException.class,
                        () -> c.irecv(DirectBuffers.floats(4), 0, 1).waitFor());
                assertTrue(count.getMessage().contains("expected 4 x float32 but the message has 5 x float32"),
                        count.getMessage());
                CommunicationException dtype = assertThrows(CommunicationException.class,
                        () -> c.irecv(DirectBuffers.doubles(4), 0, 2).waitFor());
                assertTrue(dtype.getMessage().contains("4 x float64 but the message has 4 x float32"),
                        dtype.getMessage());
            }
        });
    }

    @Test
    void rendezvousCopiesStraightIntoTheReceiverAndSenderBufferIsReusableAfterWait() {
        int len = 1 << 18; // 1 MiB of floats: above the eager limit
        LocalCluster.run(2, bf -> {
            Communicator c = bf.communicator();
            FloatBuffer b = DirectBuffers.floats(len);
            if (bf.rank() == 0) {
                for (int round = 0; round < 3; round++) {
                    for (int i = 0; i < len; i++) {
                        b.put(i, round * len + i);
                    }
                    c.isend(b, 1, 0).waitFor();
                }
            } else {
                for (int round = 0; round < 3; round++) {
                    c.irecv(b, 0, 0).waitFor();
                    for (int i = 0; i < len; i++) {
                        if (b.get(i) != (float) (round * len + i)) {
                            assertEquals((float) (round * len + i), b.get(i), "round " + round + " element " + i);
                        }
                    }
                }
            }
        });
    }

    @Test
    void pointToPointFromManyThreadsOfOneRank() throws Exception {
        int messages = 200;
        LocalCluster.run(2, bf -> {
            Communicator c = bf.communicator();
            if (bf.rank() == 0) {
                ExecutorService pool = Executors.newFixedThreadPool(4);
                try {
                    List<Future<?>> futures = new ArrayList<>();
                    for (int t = 0; t < messages; t++) {
                        int tag = t;
                        futures.add(pool.submit(() -> c.isend(DirectBuffers.doublesOf(tag), 1, tag).waitFor()));
                    }
                    for (Future<?> f : futures) {
                        f.get();
                    }
                } finally {
                    pool.shutdownNow();
                }
            } else {
                List<Request> recvs = new ArrayList<>();
                DoubleBuffer[] in = new DoubleBuffer[messages];
                for (int t = messages - 1; t >= 0; t--) {
                    in[t] = DirectBuffers.doubles(1);
                    recvs.add(c.irecv(in[t], 0, t));
                }
                Request.waitAll(recvs);
                for (int t = 0; t < messages; t++) {
                    assertEquals(t, in[t].get(0), "tag " + t);
                }
            }
        });
    }

    @Test
    void sixtyFourRanksSmoke() {
        int n = 64;
        List<double[]> results = LocalCluster.call(n, bf -> {
            Communicator c = bf.communicator();
            DoubleBuffer sum = DirectBuffers.doublesOf(bf.rank(), 1);
            c.allreduce(sum, ReduceOp.SUM);
            DoubleBuffer in = DirectBuffers.doubles(1);
            Request r = c.irecv(in, (bf.rank() + n - 1) % n, 0);
            c.isend(DirectBuffers.doublesOf(bf.rank()), (bf.rank() + 1) % n, 0).waitFor();
            r.waitFor();
            FloatBuffer all = DirectBuffers.floats(n);
            c.allgather(DirectBuffers.floatsOf(bf.rank()), all);
            c.barrier();
            float allSum = 0;
            for (int q = 0; q < n; q++) {
                allSum += all.get(q);
            }
            return new double[] {sum.get(0), sum.get(1), in.get(0), allSum};
        });
        for (int r = 0; r < n; r++) {
            assertArrayEquals(new double[] {n * (n - 1) / 2.0, n, (r + n - 1) % n, n * (n - 1) / 2.0},
                    results.get(r), "rank " + r);
        }
    }

    @Test
    void initOutsideMpirunGivesOneRankLocalWorld() {
        try (BlueFog bf = BlueFog.init(new String[0])) {
            assertEquals(1, bf.size());
            assertEquals(0, bf.rank());
            assertEquals("local", bf.communicator().transportName());
            FloatBuffer x = DirectBuffers.floatsOf(1f, 2f);
            bf.communicator().allreduce(x, ReduceOp.AVG);
            assertArrayEquals(new float[] {1f, 2f}, DirectBuffers.toArray(x));
            FloatBuffer in = DirectBuffers.floats(2);
            Request r = bf.communicator().irecv(in, 0, 0);
            bf.communicator().isend(x, 0, 0).waitFor();
            r.waitFor();
            assertArrayEquals(new float[] {1f, 2f}, DirectBuffers.toArray(in), "message to self");
        }
    }
}
