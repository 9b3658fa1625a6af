package io.bluefog.local;

import io.bluefog.comm.Communicator;
import io.bluefog.comm.ReduceOp;
import io.bluefog.comm.Request;
import io.bluefog.testing.DirectBuffers;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * Not a test: prints the time of 1 MB and 100 MB float32 messages and collectives on a 2-rank
 * LocalCluster, next to one plain {@code FloatBuffer.put} (memcpy) of the same size in this JVM,
 * then the mean latency of a one-element allreduce for 2, 8 and 64 ranks.
 * Run: {@code java -cp bluefog-jvm/target/classes:bluefog-jvm/target/test-classes:<topology classes>
 * io.bluefog.local.LocalClusterThroughput [repeats]}.
 */
public final class LocalClusterThroughput {
    private LocalClusterThroughput() {
    }

    public static void main(String[] args) {
        int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        for (int bytes : new int[] {1 << 20, 100 << 20}) {
            int len = bytes / Float.BYTES;
            FloatBuffer a = DirectBuffers.floats(len);
            FloatBuffer b = DirectBuffers.floats(len);
            double memcpy = best(repeats, () -> b.duplicate().put(a.duplicate()));
            List<double[]> t = LocalCluster.call(2, bf -> {
                Communicator c = bf.communicator();
                FloatBuffer x = DirectBuffers.floats(len);
                FloatBuffer y = DirectBuffers.floats(len);
                int peer = 1 - bf.rank();
                double p2p = best(repeats, () -> {
                    c.barrier();
                    Request r = c.irecv(y, peer, 0);
                    c.isend(x, peer, 0).waitFor();
                    r.waitFor();
                });
                double allreduce = best(repeats, () -> {
                    c.barrier();
                    c.allreduce(x, ReduceOp.SUM);
                });
                double broadcast = best(repeats, () -> {
                    c.barrier();
                    c.broadcast(x, 0);
                });
                return new double[] {p2p, allreduce, broadcast};
            });
            System.out.printf("%4d MB float32, n=2, best of %d: memcpy %.2f ms | exchange (isend+irecv both ways) "
                    + "%.2f ms | allreduce SUM %.2f ms | broadcast %.2f ms%n", bytes >> 20, repeats, memcpy,
                    t.get(0)[0], t.get(0)[1], t.get(0)[2]);
        }
        int calls = 2000;
        for (int n : new int[] {2, 8, 64}) {
            List<Double> micros = LocalCluster.call(n, bf -> {
                Communicator c = bf.communicator();
                FloatBuffer x = DirectBuffers.floats(1);
                c.barrier();
                long t0 = System.nanoTime();
                for (int k = 0; k < calls; k++) {
                    c.allreduce(x, ReduceOp.SUM);
                }
                return (System.nanoTime() - t0) / 1e3 / calls;
            });
            System.out.printf("one-element allreduce, n=%d: %.1f us per call (mean of %d)%n", n, micros.get(0), calls);
        }
    }

    private static double best(int repeats, Runnable r) {
        double best = Double.MAX_VALUE;
        for (int k = 0; k < repeats; k++) {
            long t0 = System.nanoTime();
            r.run();
            best = Math.min(best, (System.nanoTime() - t0) / 1e6);
        }
        return best;
    }
}
