package io.bluefog.mpi.bench;

import io.bluefog.BlueFog;
import io.bluefog.comm.Communicator;
import io.bluefog.comm.ReduceOp;
import io.bluefog.comm.Request;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Benchmark (not a test) of the MPI transport's allreduce against Open MPI's own
 * {@code MPI_Allreduce} called from C: {@code mpi-launch/bfrun -np 2 allreduce-bench}.
 *
 * <p>For float32 buffers of 1 MB and 100 MB (2<sup>20</sup> and 100&middot;2<sup>20</sup> bytes) every
 * rank runs in-place sum allreduces through {@link Communicator#allreduce}; each iteration is a
 * barrier followed by one timed allreduce, its time is the slowest rank's, and a measurement is the
 * median over the timed iterations (after warm-up). Right after each Java measurement, rank 0 runs
 * the same measurement of {@code MPI_Allreduce} in C ({@link CAllreduce}: {@code allreduce_bench.c},
 * compiled with {@code mpicc}, started with a separate {@code mpirun} on as many ranks) while the
 * other Java ranks sleep. Java and C alternate for {@link #ROUNDS} rounds, so that load from other
 * processes on a shared machine hits both sides alike; the table shows, per size, the median over
 * rounds of each side and their ratio (Java / C), all from this one run.
 *
 * <p>Exit status 1 if a sum is wrong or the C side fails; 2 if not started by mpirun.
 */
public final class AllreduceBenchmark {
    /** Alternating Java/C rounds; odd, so the median over rounds is one of them. */
    static final int ROUNDS = 5;

    /**
     * Buffer sizes, warm-up and timed iterations per round: many for 1 MB (well under a millisecond
     * each), few for 100 MB (0.1 to 0.5 s each on 2 cores).
     */
    static final List<Case> CASES = List.of(
            new Case("1 MB", 1L << 20, 50, 300),
            new Case("100 MB", 100L << 20, 1, 5));

    /** Tag of rank 0's message that the C measurement is over (value 1: go on, 0: stop). */
    private static final int DONE_TAG = 1;
    /** How often waiting ranks look for that message; they sleep in between to leave the cores to C. */
    private static final long POLL_MILLIS = 20;

    /** One buffer size of the benchmark. */
    record Case(String label, long bytes, int warmup, int iterations) {
        int elements() {
            return Math.toIntExact(bytes / Float.BYTES);
        }
    }

    private AllreduceBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        double[][] java = new double[CASES.size()][ROUNDS];
        double[][] c = new double[CASES.size()][ROUNDS];
        boolean sumsOk = true;
        String cFailure = null;
        int size;
        try (BlueFog bf = BlueFog.init(args)) {
            Communicator comm = bf.communicator();
            if (!comm.transportName().equals("mpi")) {
                System.err.println("allreduce-bench: not started by mpirun (transport '" + comm.transportName()
                        + "'); run: mpi-launch/bfrun -np 2 allreduce-bench");
                System.exit(2);
            }
            size = bf.size();
            CAllreduce cBench = null;
            rounds:
            for (int round = 0; round < ROUNDS; round++) {
                for (int k = 0; k < CASES.size(); k++) {
                    double median = timeJava(comm, CASES.get(k));
                    sumsOk &= median >= 0;
                    java[k][round] = Math.abs(median);
                    boolean goOn;
                    if (bf.rank() == 0) {
                        try {
                            if (cBench == null) {
                                cBench = CAllreduce.compile();
                            }
                            c[k][round] = cBench.medianSeconds(size, CASES.get(k));
                        } catch (Exception e) {
                            cFailure = e.getMessage();
                        }
                        goOn = cFailure == null;
                        tellOthers(comm, goOn);
                    } else {
                        goOn = awaitRankZero(comm);
                    }
                    if (!goOn) {
                        break rounds;
                    }
                }
            }
            if (bf.rank() != 0) {
                return;
            }
        }
        if (cFailure != null) {
            System.err.println("allreduce-bench: the C benchmark failed: " + cFailure);
            System.exit(1);
        }
        print(size, java, c);
        if (!sumsOk) {
            System.err.println("allreduce-bench: the Java allreduce computed a wrong sum");
            System.exit(1);
        }
    }

    /**
     * Times {@code c.iterations()} in-place sum allreduces (after {@code c.warmup()}), each preceded by
     * a barrier, taking the slowest rank's time per iteration. Collective.
     *
     * @return the median in seconds, negated if the first sum was wrong on any rank
     */
    static double timeJava(Communicator comm, Case c) {
        int n = c.elements();
        FloatBuffer x = ByteBuffer.allocateDirect(Math.toIntExact(c.bytes())).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        for (int i = 0; i < n; i++) {
            x.put(i, comm.rank() + 1);
        }
        DoubleBuffer slowest = oneDouble();
        double[] times = new double[c.iterations()];
        boolean ok = true;
        for (int it = 0; it < c.warmup() + c.iterations(); it++) {
            comm.barrier();
            long t0 = System.nanoTime();
            comm.allreduce(x, ReduceOp.SUM);
            double t = (System.nanoTime() - t0) * 1e-9;
            if (it == 0) {
                // Sum over ranks of (rank + 1); later iterations multiply by size (float32 stays finite).
                float expected = comm.size() * (comm.size() + 1) / 2f;
                ok = x.get(0) == expected && x.get(n - 1) == expected;
            }
            slowest.put(0, t);
            comm.allreduce(slowest, ReduceOp.MAX);
            if (it >= c.warmup()) {
                times[it - c.warmup()] = slowest.get(0);
            }
        }
        DoubleBuffer allOk = oneDouble();
        allOk.put(0, ok ? 1 : 0);
        comm.allreduce(allOk, ReduceOp.MIN);
        double median = median(times);
        return allOk.get(0) == 1 ? median : -median;
    }

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int m = v.length / 2;
        return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
    }

    private static void tellOthers(Communicator comm, boolean goOn) {
        List<Request> sent = new ArrayList<>();
        for (int r = 1; r < comm.size(); r++) {
            DoubleBuffer flag = oneDouble();
            flag.put(0, goOn ? 1 : 0);
            sent.add(comm.isend(flag, r, DONE_TAG));
        }
        Request.waitAll(sent);
    }

    /**
     * Waits for rank 0's message without spinning: MPI's blocking calls poll continuously, which
     * would take one of the cores the C benchmark is measured on.
     */
    private static boolean awaitRankZero(Communicator comm) throws InterruptedException {
        DoubleBuffer flag = oneDouble();
        Request done = comm.irecv(flag, 0, DONE_TAG);
        while (!done.test()) {
            Thread.sleep(POLL_MILLIS);
        }
        return flag.get(0) == 1;
    }

    private static DoubleBuffer oneDouble() {
        return ByteBuffer.allocateDirect(Double.BYTES).order(ByteOrder.nativeOrder()).asDoubleBuffer();
    }

    private static void print(int np, double[][] java, double[][] c) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "allreduce of float32, in-place sum, np = %d: median over %d alternating"
                + " rounds of (median over iterations of the slowest rank's time)%n", np, ROUNDS));
        sb.append(String.format(Locale.ROOT, "%-8s %11s %22s %26s %9s   %s%n", "size", "iters/round",
                "bluefog-jvm MPI (ms)", "Open MPI C Allreduce (ms)", "Java / C", "per-round Java/C"));
        for (int k = 0; k < CASES.size(); k++) {
            Case kase = CASES.get(k);
            double j = median(java[k]);
            double cc = median(c[k]);
            StringBuilder rounds = new StringBuilder();
            for (int r = 0; r < ROUNDS; r++) {
                rounds.append(r == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.2f", java[k][r] / c[k][r]));
            }
            sb.append(String.format(Locale.ROOT, "%-8s %11d %22.3f %26.3f %9.2f   %s%n", kase.label(),
                    kase.iterations(), j * 1e3, cc * 1e3, j / cc, rounds));
        }
        System.out.print(sb);
        System.out.flush();
    }
}
