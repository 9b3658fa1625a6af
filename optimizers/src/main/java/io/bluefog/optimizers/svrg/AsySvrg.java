package io.bluefog.optimizers.svrg;

import io.bluefog.BlueFog;
import io.bluefog.BlueFogTimeoutException;
import io.bluefog.collectives.Collectives;
import io.bluefog.collectives.window.Windows;
import io.bluefog.comm.ReduceOp;
import io.bluefog.topology.Topologies;
import io.bluefog.topology.Topology;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Distributed-AsySVRG (Huo, "Distributed Machine Learning Framework: New Algorithms and
 * Theoretical Foundation", PhD thesis, chapter 2, &sect;2.4, Algorithm 2 (server) and Algorithm 3
 * (worker)), with plain asynchronous SGD and "SGD then SVRG" (the thesis's SGD_SVRG, &sect;2.5.1) over
 * the same machinery, on one-sided {@link Windows}.
 *
 * <h2>Roles</h2>
 * Rank 0 is the server; ranks 1..K (K = size - 1 &ge; 1) are the workers, each with its own
 * {@link FiniteSum} share of the n = &Sigma; n_k samples. Two windows over the star topology
 * centred at rank 0:
 * <ul>
 *   <li>{@code asysvrg.w} (float64, d + 2): the server's tensor is [w | t | junk], t the number of
 *       updates applied so far. A worker reads it whole with {@code winGet} (atomic with respect to
 *       the server's updates, so w_{t-&tau;} comes with its step t - &tau;), and sends
 *       [-&eta; v | 1 | t - &tau;] with {@code winAccumulate} into its buffer at the server. The server
 *       applies one worker's buffer with {@code winUpdate(self 1, {k: 1}, reset)}, which is
 *       w_{t+1} = w_t - &eta; v_t (eq. (2.32)) and t &larr; t + 1 in one atomic step.</li>
 *   <li>{@code asysvrg.clock} (float64, size + 1): the server's tensor is [phase | c_0 .. c_K], where
 *       phase = s + 1 while epoch s's inner loop runs and -(s + 1) after it, and c_k counts the
 *       updates of worker k the server consumed (applied or dropped). A worker sends its next
 *       update only when c_k equals the number it sent, so its buffer at the server holds at most
 *       one update.</li>
 * </ul>
 *
 * <h2>One epoch s (thesis's outer iteration)</h2>
 * <ol>
 *   <li>Snapshot (collective, every rank): w̃^s &larr; w^s broadcast from the server; each worker
 *       computes &nabla;^k f(w̃^s) = &Sigma;_{i &le; n_k} &nabla;f_i(w̃^s) and the loss sum; one allreduce
 *       (SUM, fixed order) gives &mu; = &nabla;f(w̃^s) = (1/n) &Sigma;_k &nabla;^k f(w̃^s) and F(w̃^s) on every rank
 *       (Algorithm 2: broadcast w̃^s, receive and sum the workers' gradients, broadcast ∇f(w̃^s); Algorithm 3's "flag" branch; the server needs no data).</li>
 *   <li>Inner loop (asynchronous): each worker reads w_{t-&tau;}, draws a mini-batch I_t of |I_t|
 *       local samples uniformly with replacement, computes
 *       v = (1/|I_t|) &Sigma;_{i &isin; I_t} (&nabla;f_i(w_{t-&tau;}) - &nabla;f_i(w̃^s)) + &mu; (eq. (2.33); SGD epochs:
 *       v = (1/|I_t|) &Sigma; &nabla;f_i(w_{t-&tau;})) and accumulates -&eta; v into the server's window. The
 *       server applies updates until m have been applied (Algorithm 2's inner loop). An update
 *       whose delay &tau; (updates applied between its read and its application) exceeds
 *       {@link AsySvrgConfig#maxStaleness()} is dropped, so every applied update satisfies
 *       Assumption 2.2.4 (&tau; &le; &Delta;).</li>
 * </ol>
 * Updates still in flight when an epoch ends are dropped at the next snapshot (they were computed
 * against the old w̃ and &mu;). The run is asynchronous, hence not bit-reproducible: which worker's
 * update lands first depends on timing; with one worker only whether a read includes the worker's
 * own previous update varies.
 *
 * <p>Every rank calls {@link #run} with equal configs; every wait has the windows' deadline
 * ({@code BLUEFOG_TIMEOUT_MILLIS}) and ends with {@link BlueFogTimeoutException}.
 */
public final class AsySvrg {
    static final String W = "asysvrg.w";
    static final String CLOCK = "asysvrg.clock";
    /** The server rank. */
    public static final int SERVER = 0;
    private static final long POLL_NANOS = 20_000;

    private AsySvrg() {
    }

    /**
     * Runs {@code config.epochs()} epochs; every rank calls it.
     *
     * @param local the worker's share (ignored on the server, may be null there)
     * @param w0    initial parameters w^0 (only the server's are used), length d
     * @return the result, the same on every rank
     * @throws IllegalArgumentException if size &lt; 2, or a worker's share is null, empty or of
     *                                  another dimension than w0 (before any communication)
     * @throws io.bluefog.CollectiveMismatchException if the ranks' dimensions differ
     * @throws BlueFogTimeoutException  if a peer stops answering
     */
    public static AsySvrgResult run(BlueFog bf, FiniteSum local, double[] w0, AsySvrgConfig config) {
        int size = bf.size();
        int rank = bf.rank();
        if (size < 2) {
            throw new IllegalArgumentException("AsySVRG needs a server and at least one worker: size >= 2, got " + size);
        }
        if (w0 == null || w0.length < 1) {
            throw new IllegalArgumentException("w0 must have at least one entry");
        }
        int d = w0.length;
        if (rank != SERVER) {
            if (local == null) {
                throw new IllegalArgumentException("rank " + rank + " is a worker and needs a FiniteSum share");
            }
            if (local.dimension() != d || local.samples() < 1) {
                throw new IllegalArgumentException("rank " + rank + ": share has dimension " + local.dimension()
                        + " and " + local.samples() + " samples; need dimension " + d + " and >= 1 sample");
            }
        }
        return new AsySvrg.Run(bf, rank == SERVER ? null : local, w0, config).execute();
    }

    private static final class Run {
        final BlueFog bf;
        final FiniteSum local;
        final AsySvrgConfig cfg;
        final int d;
        final int rank;
        final int size;
        final Windows win;
        final Collectives coll;
        final INDArray x;
        final INDArray clock;
        final long timeoutNanos;
        final SplittableRandom random;
        long sent;
        long applied;
        long dropped;
        long maxDelay;

        Run(BlueFog bf, FiniteSum local, double[] w0, AsySvrgConfig cfg) {
            this.bf = bf;
            this.local = local;
            this.cfg = cfg;
            this.d = w0.length;
            this.rank = bf.rank();
            this.size = bf.size();
            this.win = Windows.of(bf);
            this.coll = Collectives.of(bf).named("asysvrg");
            double[] x0 = new double[d + 2];
            if (rank == SERVER) {
                System.arraycopy(w0, 0, x0, 0, d);
            }
            this.x = Nd4j.createFromArray(x0);
            this.clock = Nd4j.zeros(DataType.DOUBLE, size + 1);
            this.timeoutNanos = win.timeoutMillis() * 1_000_000L;
            this.random = new SplittableRandom(cfg.seed() + rank);
        }

        AsySvrgResult execute() {
            Topology star = Topologies.star(size, SERVER);
            win.winCreate(W, x, true, star);
            win.winCreate(CLOCK, clock, true, star);
            try {
                return epochs();
            } finally {
                win.winFree(CLOCK);
                win.winFree(W);
            }
        }

        private AsySvrgResult epochs() {
            int epochs = cfg.epochs();
            double[] losses = new double[epochs + 1];
            double[] seconds = new double[epochs + 1];
            long start = System.nanoTime();
            double[] wt = null;
            for (int s = 0; s <= epochs; s++) {
                // Snapshot: Algorithm 2 (w̃ ← w, broadcast, sum the gradients, broadcast μ), Algorithm 3 "flag" branch.
                INDArray snap = rank == SERVER ? x.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, d)).dup()
                        : Nd4j.zeros(DataType.DOUBLE, d);
                wt = coll.broadcastInPlace(snap, SERVER).toDoubleVector();
                double[] g = new double[d + 2];
                if (local != null) {
                    g[d] = local.addGradient(wt, null, g);
                    g[d + 1] = local.samples();
                }
                double[] sum = coll.allreduce(Nd4j.createFromArray(g), ReduceOp.SUM).toDoubleVector();
                double n = sum[d + 1];
                double[] mu = new double[d];
                for (int j = 0; j < d; j++) {
                    mu[j] = sum[j] / n;
                }
                losses[s] = sum[d] / n;
                seconds[s] = (System.nanoTime() - start) / 1e9;
                if (s == epochs) {
                    break;
                }
                if (rank == SERVER) {
                    serve(s);
                } else {
                    work(s, wt, mu);
                }
            }
            double[] stats = new double[3 + seconds.length];
            stats[0] = applied;
            stats[1] = dropped;
            stats[2] = maxDelay;
            System.arraycopy(seconds, 0, stats, 3, seconds.length);
            double[] all = coll.broadcastInPlace(Nd4j.createFromArray(stats), SERVER).toDoubleVector();
            System.arraycopy(all, 3, seconds, 0, seconds.length);
            return new AsySvrgResult(wt, losses, seconds, (long) all[0], (long) all[1], (long) all[2]);
        }

        // ---- server: Algorithm 2 ---------------------------------------------------------------

        private void serve(int s) {
            // Updates that reached the buffers after the last epoch ended: drop them, count them consumed.
            for (Map.Entry<Integer, Integer> e : win.winVersions(W).entrySet()) {
                if (e.getValue() > 0) {
                    win.winUpdate(W, 1.0, Map.of(e.getKey(), 0.0), true);
                    consumed(e.getKey(), e.getValue());
                }
            }
            clock.putScalar(0, s + 1);
            long t = (long) x.getDouble(d);
            int m = cfg.innerSteps();
            int done = 0;
            long deadline = System.nanoTime() + timeoutNanos;
            while (done < m) {
                boolean progress = false;
                for (Map.Entry<Integer, Integer> e : win.winVersions(W).entrySet()) {
                    if (e.getValue() < 1 || done == m) {
                        continue;
                    }
                    int k = e.getKey();
                    if (e.getValue() > 1) {
                        throw new IllegalStateException("server: worker " + k + " has " + e.getValue()
                                + " updates pending; the protocol allows one");
                    }
                    long readStep = (long) win.winBuffer(W, k).getDouble(d + 1);
                    long delay = t - readStep;
                    if (delay <= cfg.maxStaleness()) {
                        win.winUpdate(W, 1.0, Map.of(k, 1.0), true); // w_{t+1} = w_t - eta v_t; t += 1
                        t++;
                        done++;
                        applied++;
                        maxDelay = Math.max(maxDelay, delay);
                    } else {
                        win.winUpdate(W, 1.0, Map.of(k, 0.0), true); // too stale: dropped
                        dropped++;
                    }
                    consumed(k, 1);
                    progress = true;
                }
                if (progress) {
                    deadline = System.nanoTime() + timeoutNanos;
                } else {
                    pause(deadline, "server: no worker update in epoch " + s + " after " + done + " of " + m + " steps");
                }
            }
            clock.putScalar(0, -(s + 1));
        }

        private void consumed(int k, int count) {
            clock.putScalar(1 + k, clock.getDouble(1 + k) + count);
        }

        // ---- worker: Algorithm 3 ---------------------------------------------------------------

        private void work(int s, double[] snapshot, double[] mu) {
            boolean svrg = cfg.svrgAt(s);
            double eta = cfg.stepSizeAt(s);
            int b = cfg.batchSize();
            int[] rows = new int[b];
            double[] g = new double[d];
            double[] gSnap = new double[d];
            double[] u = new double[d + 2];
            long deadline = System.nanoTime() + timeoutNanos;
            while (true) {
                double phase = readClock()[0];
                if (phase == -(s + 1)) {
                    return;
                }
                if (phase != s + 1) {
                    pause(deadline, "worker " + rank + ": epoch " + s + " did not start");
                    continue;
                }
                win.winGet(W, Map.of(SERVER, 1.0));
                double[] read = win.winBuffer(W, SERVER).toDoubleVector();
                double[] w = java.util.Arrays.copyOf(read, d);
                for (int i = 0; i < b; i++) {
                    rows[i] = random.nextInt(local.samples());
                }
                java.util.Arrays.fill(g, 0);
                local.addGradient(w, rows, g);
                if (svrg) {
                    java.util.Arrays.fill(gSnap, 0);
                    local.addGradient(snapshot, rows, gSnap);
                    for (int j = 0; j < d; j++) {
                        u[j] = -eta * ((g[j] - gSnap[j]) / b + mu[j]); // eq. (2.33)
                    }
                } else {
                    for (int j = 0; j < d; j++) {
                        u[j] = -eta * (g[j] / b);
                    }
                }
                u[d] = 1;
                u[d + 1] = read[d];
                // At most one update pending at the server: wait until it consumed the previous one.
                long waitDeadline = System.nanoTime() + timeoutNanos;
                while (true) {
                    double[] c = readClock();
                    if (c[0] == -(s + 1)) {
                        return; // epoch over: this update is not sent
                    }
                    if (c[1 + rank] >= sent) {
                        break;
                    }
                    pause(waitDeadline, "worker " + rank + ": server did not consume update " + sent);
                }
                win.winAccumulate(Nd4j.createFromArray(u), W, 1.0, Map.of(SERVER, 1.0));
                sent++;
                deadline = System.nanoTime() + timeoutNanos;
            }
        }

        private double[] readClock() {
            win.winGet(CLOCK, Map.of(SERVER, 1.0));
            return win.winBuffer(CLOCK, SERVER).toDoubleVector();
        }

        private static void pause(long deadline, String what) {
            if (System.nanoTime() - deadline > 0) {
                throw new BlueFogTimeoutException(what + " within the deadline");
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }
}
