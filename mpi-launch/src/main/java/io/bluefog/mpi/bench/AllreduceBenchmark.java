package io.bluefog.mpi.bench;

import io.bluefog.BlueFog;
import io.bluefog.collectives.Collectives;
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
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Benchmark (not a test) of the MPI transport's allreduce against Open MPI's own
 * {@code MPI_Allreduce} called from C: {@code mpi-launch/bfrun -np 2 allreduce-bench}.
 *
 * <p>For float32 buffers of 1 MB, 25 MB and 100 MB (2<sup>20</sup> bytes and multiples) every rank
 * runs sum allreduces in three forms ({@link Variant}): the transport's in-place
 * {@link Communicator#allreduce} ({@code MPI_Iallreduce}, polled against its deadline), and
 * {@link Collectives#allreduceInPlace} and {@link Collectives#allreduce} (a new array, closed after
 * each call), the forms a user calls; each iteration is a barrier followed by one timed allreduce,
 * its time is the slowest rank's, and a measurement is the median over the timed iterations (after
 * warm-up). Right after each Java measurement, rank 0 runs
 * the same measurement of {@code MPI_Allreduce} in C ({@link CAllreduce}: {@code allreduce_bench.c},
 * compiled with {@code mpicc}, started with a separate {@code mpirun} on as many ranks) while the
 * other Java ranks sleep. Java and C alternate for {@link #ROUNDS} rounds, so that load from other
 * processes on a shared machine hits both sides alike; the table shows, per size, the median over
 * rounds of each side and the median over rounds of their per-round ratio (Java / C), all from
 * this one run.
 *
 * <p>Exit status 1 if a sum is wrong or the C side fails; 2 if not started by mpirun.
 */
public final class AllreduceBenchmark {
    /**
     * Alternating Java/C rounds; odd, so the median over rounds is one of them. Nine, not five: on
     * the 2-core test machine a whole round of one side is now and then 1.5 to 2 times slower than
     * the others (25 MB per-round ratios of one run: 2.40 1.95 1.14 2.10 1.14), and with five
     * rounds two such rounds already moved the median.
     */
    static final int ROUNDS = 9;

    /**
     * Buffer sizes, warm-up and timed iterations per round: many for 1 MB (well under a millisecond
     * each), few for 100 MB (0.1 to 0.5 s each on 2 cores).
     */
    static final List<Case> CASES = List.of(
            new Case("1 MB", 1L << 20, 50, 300),
            new Case("25 MB", 25L << 20, 2, 9),
            new Case("100 MB", 100L << 20, 1, 5));

    /** The Java forms timed against the same C figure. */
    enum Variant {
        TRANSPORT("transport allreduce (in place)"),
        IN_PLACE("Collectives.allreduceInPlace"),
        NEW_ARRAY("Collectives.allreduce (new array)");

        final String label;

        Variant(String label) {
            this.label = label;
        }
    }

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
        int variants = Variant.values().length;
        double[][][] java = new double[variants][CASES.size()][ROUNDS];
        double[][] c = new double[CASES.size()][ROUNDS];
        boolean sumsOk = true;
        String cFailure = null;
        int size;
        try (BlueFog bf = BlueFog.init(args); Collectives collectives = Collectives.of(bf)) {
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
                    for (Variant v : Variant.values()) {
                        double median = timeJava(comm, collectives, v, CASES.get(k));
                        sumsOk &= median >= 0;
                        java[v.ordinal()][k][round] = Math.abs(median);
                    }
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
     * Times {@code c.iterations()} sum allreduces of form {@code v} (after {@code c.warmup()}), each
     * preceded by a barrier, taking the slowest rank's time per iteration. Collective.
     *
     * @return the median in seconds, negated if the first sum was wrong on any rank
     */
    static double timeJava(Communicator comm, Collectives collectives, Variant v, Case c) {
        int n = c.elements();
        INDArray array = Nd4j.createUninitializedDetached(DataType.FLOAT, n);
        FloatBuffer x = array.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
        for (int i = 0; i < n; i++) {
            x.put(i, comm.rank() + 1);
        }
        DoubleBuffer slowest = oneDouble();
        double[] times = new double[c.iterations()];
        boolean ok = true;
        for (int it = 0; it < c.warmup() + c.iterations(); it++) {
            collectives.barrier();
            long t0 = System.nanoTime();
            float first;
            float last;
            switch (v) {
                case TRANSPORT -> {
                    comm.allreduce(x, ReduceOp.SUM);
                    first = x.get(0);
                    last = x.get(n - 1);
                }
                case IN_PLACE -> {
                    collectives.allreduceInPlace(array, ReduceOp.SUM);
                    first = x.get(0);
                    last = x.get(n - 1);
                }
                default -> {
                    INDArray result = collectives.allreduce(array, ReduceOp.SUM);
                    first = result.getFloat(0);
                    last = result.getFloat(n - 1);
                    result.close();
                }
            }
            double t = (System.nanoTime() - t0) * 1e-9;
            if (it == 0) {
                // Sum over ranks of (rank + 1); later in-place iterations multiply by size (float32 stays finite).
                float expected = comm.size() * (comm.size() + 1) / 2f;
                ok = first == expected && last == expected;
            }
            slowest.put(0, t);
            comm.allreduce(slowest, ReduceOp.MAX);
            if (it >= c.warmup()) {
                times[it - c.warmup()] = slowest.get(0);
            }
        }
        array.close();
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

    private static void print(int np, double[][][] java, double[][] c) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "allreduce of float32, sum, np = %d: median over %d alternating"
                + " rounds of (median over iterations of the slowest rank's time)%n", np, ROUNDS));
        sb.append(String.format(Locale.ROOT, "%-8s %-34s %11s %14s %14s %9s   %s%n", "size", "bluefog-jvm form",
                "iters/round", "Java (ms)", "C MPI (ms)", "Java / C", "per-round Java/C"));
        for (int k = 0; k < CASES.size(); k++) {
            Case kase = CASES.get(k);
            double cc = median(c[k]);
            for (Variant v : Variant.values()) {
                double[] jv = java[v.ordinal()][k];
                double[] ratios = new double[ROUNDS];
                StringBuilder rounds = new StringBuilder();
                for (int r = 0; r < ROUNDS; r++) {
                    ratios[r] = jv[r] / c[k][r];
                    rounds.append(r == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.2f", ratios[r]));
                }
                sb.append(String.format(Locale.ROOT, "%-8s %-34s %11d %14.3f %14.3f %9.2f   %s%n", kase.label(),
                        v.label, kase.iterations(), median(jv) * 1e3, cc * 1e3, median(ratios), rounds));
            }
        }
        System.out.print(sb);
        System.out.flush();
    }
}
