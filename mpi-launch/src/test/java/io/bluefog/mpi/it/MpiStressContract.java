package io.bluefog.mpi.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.bluefog.BlueFog;
import io.bluefog.comm.Communicator;
import io.bluefog.comm.Request;
import io.bluefog.testing.ContractSuite;
import io.bluefog.testing.DirectBuffers;
import io.bluefog.testing.RankCheck;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Point-to-point traffic on the MPI transport beyond the single exchanges of the contract suite:
 * a seeded random plan of messages every rank knows (sizes on both sides of Open MPI's eager
 * limits, several messages per channel, sends and receives posted in a random interleaving), and
 * several threads of one rank sending and receiving at once, which needs MPI_THREAD_MULTIPLE.
 * Every element received must equal a closed form of (message id, index).
 */
public final class MpiStressContract {
    private MpiStressContract() {
    }

    /** Messages in the random plan, shared by all ranks. */
    static final int MESSAGES = 300;
    /** Tags of the random plan: few, so channels carry several messages that must stay in order. */
    static final int TAGS = 3;
    /** Threads per rank in the concurrent check. */
    static final int THREADS = 4;
    /** Elements per message in the concurrent check (64 KB: rendezvous protocol on shared memory). */
    static final int THREAD_MESSAGE = 16_384;
    static final long SEED = 20261121L;

    private record Msg(int id, int src, int dst, int tag, int len) {
    }

    static float value(int id, int i) {
        return id * 100_000f + i % 100_000;
    }

    /** The suite (a nested class so RunContractSuite can create it by name). */
    public static final class Suite implements ContractSuite {
        @Override
        public Map<String, RankCheck> checks() {
            Map<String, RankCheck> c = new LinkedHashMap<>();
            c.put("randomTrafficArrivesIntactAndInOrder", MpiStressContract::randomTraffic);
            c.put("threadsSendAndReceiveConcurrently", MpiStressContract::concurrentThreads);
            return c;
        }
    }

    static void randomTraffic(BlueFog bf) {
        Communicator comm = bf.communicator();
        int n = bf.size();
        SplittableRandom rnd = new SplittableRandom(SEED);
        List<Msg> plan = new ArrayList<>();
        for (int id = 0; id < MESSAGES; id++) {
            // 1..2000 floats (eager) or 16384..40383 floats (64..160 KB, rendezvous).
            int len = rnd.nextInt(10) < 7 ? 1 + rnd.nextInt(2000) : 16_384 + rnd.nextInt(24_000);
            plan.add(new Msg(id, rnd.nextInt(n), rnd.nextInt(n), rnd.nextInt(TAGS), len));
        }
        // This rank's operations in plan order, then shuffled while keeping each channel's order:
        // a channel's operations are dealt to the slots its operations occupied before the shuffle.
        List<Msg> mine = new ArrayList<>();
        for (Msg m : plan) {
            if (m.src() == bf.rank()) {
                mine.add(m);
            }
            if (m.dst() == bf.rank()) {
                mine.add(new Msg(-m.id() - 1, m.src(), m.dst(), m.tag(), m.len())); // negative id: a receive
            }
        }
        List<Msg> order = new ArrayList<>(mine);
        Collections.shuffle(order, new java.util.Random(SEED + bf.rank()));
        Map<String, java.util.ArrayDeque<Msg>> byChannel = new LinkedHashMap<>();
        for (Msg m : mine) {
            byChannel.computeIfAbsent(channel(m), k -> new java.util.ArrayDeque<>()).add(m);
        }
        List<Request> requests = new ArrayList<>();
        List<FloatBuffer> received = new ArrayList<>();
        List<Msg> receivedMsgs = new ArrayList<>();
        for (Msg slot : order) {
            Msg m = byChannel.get(channel(slot)).poll();
            if (m.id() >= 0) {
                FloatBuffer b = DirectBuffers.floats(m.len());
                for (int i = 0; i < m.len(); i++) {
                    b.put(i, value(m.id(), i));
                }
                requests.add(comm.isend(b, m.dst(), m.tag()));
            } else {
                FloatBuffer b = DirectBuffers.floats(m.len());
                requests.add(comm.irecv(b, m.src(), m.tag()));
                received.add(b);
                receivedMsgs.add(new Msg(-m.id() - 1, m.src(), m.dst(), m.tag(), m.len()));
            }
        }
        Request.waitAll(requests);
        for (int k = 0; k < received.size(); k++) {
            Msg m = receivedMsgs.get(k);
            FloatBuffer b = received.get(k);
            for (int i = 0; i < m.len(); i++) {
                if (b.get(i) != value(m.id(), i)) {
                    assertEquals(value(m.id(), i), b.get(i), "rank " + bf.rank() + ": message " + m + " element " + i);
                }
            }
        }
    }

    /** Sends and receives of one (source, destination, tag) channel: its order must be kept. */
    private static String channel(Msg m) {
        return (m.id() >= 0 ? "send " : "recv ") + m.src() + ">" + m.dst() + "#" + m.tag();
    }

    /**
     * {@link #THREADS} threads per rank; thread t sends to and receives from every rank (itself
     * included) on tag t, at the same time as the other threads.
     */
    static void concurrentThreads(BlueFog bf) throws Exception {
        Communicator comm = bf.communicator();
        int n = bf.size();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int tag = t;
                done.add(pool.submit(() -> {
                    List<Request> requests = new ArrayList<>();
                    FloatBuffer[] in = new FloatBuffer[n];
                    for (int src = 0; src < n; src++) {
                        in[src] = DirectBuffers.floats(THREAD_MESSAGE);
                        requests.add(comm.irecv(in[src], src, tag));
                    }
                    for (int dst = 0; dst < n; dst++) {
                        FloatBuffer out = DirectBuffers.floats(THREAD_MESSAGE);
                        int id = messageId(bf.rank(), dst, tag, n);
                        for (int i = 0; i < THREAD_MESSAGE; i++) {
                            out.put(i, value(id, i));
                        }
                        requests.add(comm.isend(out, dst, tag));
                    }
                    Request.waitAll(requests);
                    for (int src = 0; src < n; src++) {
                        int id = messageId(src, bf.rank(), tag, n);
                        for (int i = 0; i < THREAD_MESSAGE; i++) {
                            if (in[src].get(i) != value(id, i)) {
                                assertEquals(value(id, i), in[src].get(i),
                                        "rank " + bf.rank() + " thread " + tag + ": from " + src + " element " + i);
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static int messageId(int src, int dst, int tag, int n) {
        return (src * n + dst) * THREADS + tag;
    }
}
