package io.bluefog.local;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.bluefog.comm.Communicator;
import io.bluefog.comm.Request;
import io.bluefog.testing.DirectBuffers;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random point-to-point traffic from a seeded plan that every rank knows: messages between random
 * pairs (self included) on few tags, so channels carry several messages; sizes straddle the eager
 * limit so eager and rendezvous matches race; each rank interleaves its sends and receives in a
 * random order (keeping plan order within a channel, as MPI's non-overtaking rule requires).
 * Every element received must equal f(message id, index).
 */
class LocalClusterStressTest {
    private static final int RANKS = 12;
    private static final int MESSAGES = 600;
    private static final int TAGS = 3;

    private record Msg(int id, int src, int dst, int tag, int len) { }

    private static float value(int id, int i) {
        return id * 100_000f + i % 100_000;
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1L, 2L, 3L})
    void randomTrafficArrivesIntactAndInOrder(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Msg> plan = new ArrayList<>();
        for (int id = 0; id < MESSAGES; id++) {
            // 1..40000 floats: up to 160 KB, about a third above the 64 KiB eager limit.
            int len = rnd.nextInt(10) < 7 ? 1 + rnd.nextInt(2000) : 16_384 + rnd.nextInt(24_000);
            plan.add(new Msg(id, rnd.nextInt(RANKS), rnd.nextInt(RANKS), rnd.nextInt(TAGS), len));
        }
        LocalCluster.run(RANKS, bf -> {
            int me = bf.rank();
            Communicator c = bf.communicator();
            List<Msg> sends = plan.stream().filter(m -> m.src() == me).toList();
            List<Msg> recvs = plan.stream().filter(m -> m.dst() == me).toList();
            SplittableRandom order = new SplittableRandom(seed * 1000 + me);
            List<Request> requests = new ArrayList<>();
            FloatBuffer[] in = new FloatBuffer[MESSAGES];
            int s = 0;
            int r = 0;
            while (s < sends.size() || r < recvs.size()) {
                boolean send = r == recvs.size() || (s < sends.size() && order.nextBoolean());
                if (send) {
                    Msg m = sends.get(s++);
                    FloatBuffer out = DirectBuffers.floats(m.len());
                    for (int i = 0; i < m.len(); i++) {
                        out.put(i, value(m.id(), i));
                    }
                    requests.add(c.isend(out, m.dst(), m.tag()));
                } else {
                    Msg m = recvs.get(r++);
                    in[m.id()] = DirectBuffers.floats(m.len());
                    requests.add(c.irecv(in[m.id()], m.src(), m.tag()));
                }
            }
            Request.waitAll(requests);
            for (Msg m : recvs) {
                for (int i = 0; i < m.len(); i++) {
                    if (in[m.id()].get(i) != value(m.id(), i)) {
                        assertEquals(value(m.id(), i), in[m.id()].get(i), "message " + m + " element " + i);
                    }
                }
            }
        });
    }
}
