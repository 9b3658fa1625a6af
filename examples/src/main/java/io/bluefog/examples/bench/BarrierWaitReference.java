package io.bluefog.examples.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.IntConsumer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * How much identical steps wait at a free barrier on this machine (a benchmark, not a test): T
 * threads each repeat the same fixed step of native work (an ND4J float32 GEMM of the fashion-mnist
 * MLP's first layer, [64 x 784] x [784 x 256], repeated to last about {@code --step-ms}) and then
 * meet at a spin barrier, which costs nanoseconds and moves no data. Every thread does the same
 * work, so the time a thread spends at the barrier comes only from the cores running at different
 * speeds: on a virtual machine whose cores share physical cores with other tenants they do, by tens
 * of percent, in phases of tens of milliseconds that are not correlated between cores.
 *
 * <p>Decentralized SGD that combines in every step (ATC, AWC, allreduce) synchronizes the same
 * way: a rank waits for its neighbors' parameters. This reference is what that synchronization
 * costs with free communication and perfectly balanced work, measured on the same machine at the
 * same time as the training ({@code mpi-launch/throughput-bench} runs it right after the training
 * runs, at their compute time per step), so that the training's "waiting" share can be read
 * against it. It is a reference, not a bound: how much a core's speed varies depends on the
 * instruction mix (GEMM-heavy steps, like the MLP's, vary more than the CNN's).
 *
 * <pre>
 * java -cp ... io.bluefog.examples.bench.BarrierWaitReference [--threads 2] [--step-ms 6] [--steps 1000]
 * </pre>
 */
@Command(name = "barrier-wait-reference", mixinStandardHelpOptions = true,
        description = "Share of a step that identical threads wait at a free barrier on this machine.")
public final class BarrierWaitReference implements Callable<Integer> {
    @Option(names = "--threads", defaultValue = "2", description = "threads, at most the cores (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--step-ms", defaultValue = "6", description = "work per step in milliseconds, as one thread alone measures it"
            + " before the run (default: ${DEFAULT-VALUE})")
    double stepMs;

    @Option(names = "--steps", defaultValue = "1000", description = "barrier rounds (default: ${DEFAULT-VALUE})")
    int steps;

    /** What {@link #measure} found. */
    record Result(double stepMillis, double[] waitShares) {
        double meanWaitShare() {
            double s = 0;
            for (double w : waitShares) {
                s += w;
            }
            return s / waitShares.length;
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new BarrierWaitReference()).execute(args));
    }

    @Override
    public Integer call() {
        int cores = Runtime.getRuntime().availableProcessors();
        if (threads < 1 || threads > cores) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--threads must be between 1 and the " + cores + " cores, got " + threads);
        }
        if (!(stepMs > 0) || steps < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--step-ms must be > 0 and --steps >= 1, got " + stepMs + " and " + steps);
        }
        Gemm[] work = new Gemm[threads];
        for (int t = 0; t < threads; t++) {
            work[t] = new Gemm();
        }
        int reps = work[0].repetitionsFor(stepMs);
        Result r = measure(threads, steps, t -> work[t].run(reps));
        StringBuilder each = new StringBuilder();
        for (int t = 0; t < threads; t++) {
            each.append(t == 0 ? "" : ", ").append(String.format(Locale.ROOT, "thread %d %.1f%%", t, 100 * r.waitShares()[t]));
        }
        System.out.printf(Locale.ROOT, "barrier-wait reference: %d threads, identical GEMM steps of %.2f ms, free barrier: waiting %.1f%% (%s)%n",
                threads, r.stepMillis(), 100 * r.meanWaitShare(), each);
        return 0;
    }

    /**
     * Runs {@code steps} rounds of {@code work.accept(thread)} on {@code threads} threads with a spin
     * barrier after each, and returns the mean step time and each thread's share of its time spent at
     * the barrier.
     */
    static Result measure(int threads, int steps, IntConsumer work) {
        AtomicLongArray arrived = new AtomicLongArray(threads);
        long[] waitNanos = new long[threads];
        long[] totalNanos = new long[threads];
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int me = t;
            ts[t] = new Thread(() -> {
                long start = System.nanoTime();
                for (long step = 1; step <= steps; step++) {
                    work.accept(me);
                    long w = System.nanoTime();
                    arrived.set(me, step);
                    for (int other = 0; other < threads; other++) {
                        while (arrived.get(other) < step) {
                            Thread.onSpinWait();
                        }
                    }
                    waitNanos[me] += System.nanoTime() - w;
                }
                totalNanos[me] = System.nanoTime() - start;
            }, "barrier-wait-" + t);
            ts[t].start();
        }
        for (Thread t : ts) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
        double[] shares = new double[threads];
        long total = 0;
        for (int t = 0; t < threads; t++) {
            shares[t] = (double) waitNanos[t] / totalNanos[t];
            total += totalNanos[t];
        }
        return new Result(total / 1e6 / threads / steps, shares);
    }

    /** One thread's arrays: the GEMM writes into a preallocated output, so the loop allocates nothing. */
    private static final class Gemm {
        private final INDArray x = Nd4j.rand(DataType.FLOAT, 64, 784);
        private final INDArray w = Nd4j.rand(DataType.FLOAT, 784, 256);
        private final INDArray out = Nd4j.create(DataType.FLOAT, 64, 256);

        void run(int reps) {
            for (int i = 0; i < reps; i++) {
                x.mmuli(w, out);
            }
        }

        /** Repetitions that take about {@code millis} on this thread alone (median of 21 timings after warm-up). */
        int repetitionsFor(double millis) {
            run(50);
            long[] t = new long[21];
            for (int i = 0; i < t.length; i++) {
                long s = System.nanoTime();
                run(10);
                t[i] = System.nanoTime() - s;
            }
            Arrays.sort(t);
            double perRep = t[t.length / 2] / 10.0 / 1e6;
            return Math.max(1, (int) Math.round(millis / perRep));
        }
    }
}
