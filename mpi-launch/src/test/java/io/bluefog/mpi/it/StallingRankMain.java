package io.bluefog.mpi.it;

import io.bluefog.BlueFog;
import io.bluefog.BlueFogTimeoutException;
import io.bluefog.collectives.Collectives;
import io.bluefog.comm.Communicator;
import io.bluefog.comm.ReduceOp;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.concurrent.CountDownLatch;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Job for {@link StallMpiTest}: the last rank stalls while every other rank waits for it in a
 * collective; the others must raise {@link BlueFogTimeoutException} within the timeout.
 *
 * <ul>
 *   <li>{@code allreduce}, {@code broadcast}, {@code allgather}, {@code barrier}: the transport's
 *       collective directly (no header agreement before it); the last rank never calls it.</li>
 *   <li>{@code sigstop-inside}: rank 0 enters the transport's 16 MB allreduce at once and stops
 *       itself with SIGSTOP 2 s later, inside it (waiting for its peers); the others enter the same
 *       allreduce only 5 s after the start, so every rank has entered a call that cannot progress.</li>
 *   <li>{@code engine-sigstop}: every rank repeats a 4 Mi-element {@code Collectives.allreduce};
 *       after its first one the last rank stops itself with SIGSTOP, in or between its calls.</li>
 * </ul>
 * {@code loop} (for {@link MultiHostMpiTest}): every rank allreduces forever.
 * Every other rank prints {@code rank R timed out: <message>} and then rethrows (the job aborts).
 */
public final class StallingRankMain {
    private StallingRankMain() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        BlueFog bf = BlueFog.init(args);
        Communicator comm = bf.communicator();
        int last = bf.size() - 1;
        try {
            if (mode.equals("loop")) {
                // Every rank: allreduce forever (until the job is ended from outside: a killed rank,
                // a network failure); "rank R looping" once the first call completed.
                FloatBuffer one = ByteBuffer.allocateDirect(Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
                for (long i = 0; ; i++) {
                    comm.allreduce(one, ReduceOp.SUM);
                    if (i == 0) {
                        System.out.println("rank " + bf.rank() + " looping on " + comm.hostname());
                        System.out.flush();
                    }
                }
            }
            if (mode.equals("sigstop-inside")) {
                long start = System.nanoTime();
                comm.barrier();
                if (bf.rank() == 0) {
                    Thread stopper = new Thread(() -> {
                        try {
                            Thread.sleep(2_000);
                            new ProcessBuilder("kill", "-STOP", Long.toString(ProcessHandle.current().pid())).start();
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    });
                    stopper.setDaemon(true);
                    stopper.start();
                } else {
                    Thread.sleep(Math.max(0, 5_000 - (System.nanoTime() - start) / 1_000_000));
                }
                // 16 MB: far above the eager limits, so the stopped rank's part cannot complete without it
                FloatBuffer b = ByteBuffer.allocateDirect((4 << 20) * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
                comm.allreduce(b, ReduceOp.SUM);
                System.out.println("rank " + bf.rank() + " completed a collective the last rank was stopped in");
                return;
            }
            if (mode.equals("engine-sigstop")) {
                Collectives c = Collectives.of(bf);
                var x = Nd4j.ones(org.nd4j.linalg.api.buffer.DataType.FLOAT, 4 << 20);
                for (int i = 0; ; i++) {
                    c.allreduce(x, ReduceOp.AVG);
                    if (i == 0 && bf.rank() == last) {
                        new ProcessBuilder("kill", "-STOP", Long.toString(ProcessHandle.current().pid())).start();
                    }
                }
            }
            if (bf.rank() == last) {
                new CountDownLatch(1).await(); // stalls forever; mpirun kills it after the abort
            }
            FloatBuffer b = ByteBuffer.allocateDirect(4 * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
            switch (mode) {
                case "allreduce" -> comm.allreduce(b, ReduceOp.SUM);
                case "broadcast" -> comm.broadcast(b, last);
                case "allgather" -> {
                    FloatBuffer all = ByteBuffer.allocateDirect(4 * bf.size() * Float.BYTES)
                            .order(ByteOrder.nativeOrder()).asFloatBuffer();
                    comm.allgather(b, all);
                }
                case "barrier" -> comm.barrier();
                default -> throw new IllegalArgumentException("mode " + mode);
            }
            System.out.println("rank " + bf.rank() + " completed a collective the last rank never entered");
        } catch (RuntimeException e) {
            Throwable t = e;
            while (t.getCause() != null && !(t instanceof BlueFogTimeoutException)) {
                t = t.getCause();
            }
            System.out.println("rank " + bf.rank() + " timed out: " + t.getClass().getSimpleName() + ": " + t.getMessage());
            System.out.flush();
            throw e;
        }
    }
}
