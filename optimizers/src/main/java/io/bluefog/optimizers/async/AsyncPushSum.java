package io.bluefog.optimizers.async;

import io.bluefog.collectives.Collectives;
import io.bluefog.collectives.window.WinLock;
import io.bluefog.collectives.window.Windows;
import io.bluefog.optimizers.OptimizerConfig;
import io.bluefog.optimizers.OptimizerFactory;
import io.bluefog.topology.Topology;
import java.util.Map;
import java.util.TreeMap;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Asynchronous push-sum / Stochastic Gradient Push over a window (Assran, Loizou, Ballas and
 * Rabbat, "Stochastic Gradient Push for Distributed Deep Learning", ICML 2019, the asynchronous
 * variant; push-sum of Kempe, Dobra and Gehrke, FOCS 2003; BlueFog's
 * {@code DistributedPushSumOptimizer}). For directed graphs: rank j keeps part of its [x_j; w_j] and
 * splits the rest equally among its out-neighbors (outdeg(j)/(outdeg(j) + 1) with fixed shares, less
 * when it runs ahead of the slowest rank with rate-balanced ones, see below), whenever it is ready.
 *
 * <p>State: the push-sum weight w_i (w^0 = 1) and the numerator x_i, kept in de-biased form: the
 * window's tensor is z_i = x_i / w_i itself (the {@link #parameters()}; zero-initialized buffers,
 * associated p on, so every write carries its share of w with it), and x_i = w_i z_i is never stored.
 * One step, with no barrier:
 * <ol>
 *   <li>x_i &larr; x_i &minus; s_i d(g(z_i)) (the local updater on the gradient at z_i, scaled by s_i = w_i
 *       with fixed shares, by w_i/&#x0175;_i with rate-balanced ones, &#x0175;_i the running mean of w_i at
 *       this rank's steps; see below): z_i &larr; z_i &minus; (s_i/w_i) d, one pass;</li>
 *   <li>accumulate f/outdeg&middot;[x; w]_i into each out-neighbor's buffer and keep (1 &minus; f)&middot;[x; w]_i,
 *       f the pushed fraction: {@code winAccumulateAsync} of z_i with destination weight
 *       (f/outdeg)&middot;w_i (the payload (f/outdeg)&middot;x_i, its associated p (f/outdeg)&middot;w_i)
 *       and self weight 1, then w_i &larr; (1 &minus; f)&middot;w_i (z_i is unchanged by scaling x_i and
 *       w_i alike). The data are copied at once, into the window's pooled staging arrays, and the
 *       confirmation is awaited only two steps later ({@link WindowOptimizer#MAX_WRITES_IN_FLIGHT}), so
 *       the round trip overlaps the gradient computation;</li>
 *   <li>(staleness bound, see {@link WindowOptimizer})</li>
 *   <li>[x; w]_i &larr; [x; w]_i + &Sigma;_s buffer_s, buffers zeroed, de-biased in the same pass: with q the
 *       sum of the buffers' p, w_i' = w_i + q and z_i &larr; (w_i/w_i') z_i + &Sigma;_s b_s / w_i'
 *       ({@code winUpdate} with reset, under {@code winLock} so that no write lands between reading the
 *       p's and combining).</li>
 * </ol>
 * Two passes over the model per step besides the staging copy (the subtraction and the combine); the
 * same iteration kept [x; w] in the window and de-biased z = x / w separately, five passes.
 * Mass is conserved: &Sigma;_i w_i z_i + (buffered) and &Sigma;_i w_i + (buffered) = n never change except by
 * the local steps (up to rounding), so without gradients every z_i converges to the average of the z_i^0 on a
 * strongly connected graph. {@link #close()} absorbs what is still buffered. The network's model,
 * {@link #averagedParameters()}, is the de-biased &Sigma;_i w_i z_i / &Sigma;_i w_i after every rank
 * absorbed its buffers (not the plain mean of the z_i: a rank whose weight is momentarily small has
 * a noisier z_i).
 *
 * <h2>Ranks of different speeds: rate-balanced shares</h2>
 * With fixed shares (f = outdeg/(outdeg + 1) at every step) a rank that steps k times as often as
 * another pushes k times as much of its weight per unit of time, so the weights settle where w_j
 * times rank j's step rate is the same for every rank (on a regular graph): a fast rank's w_j shrinks
 * in proportion to its speed, and with it the weight of its steps in &Sigma;_i x_i (measured on
 * Fashion-MNIST, 2 ranks, rank 1 5 ms slower per step, 3 epochs of 8,192 samples: the fast rank took
 * 85-93 of 128 steps at w 0.36-0.48, and the averaged accuracy was 0.788-0.804 against ATC's 0.835).
 * {@link #balanceRates} (the trainer's job-wide epochs) makes every rank push the same weight per unit
 * of time instead: a rank that has taken c_i steps while the slowest rank has taken c_min pushes
 * f = (outdeg/(outdeg + 1))&middot;(c_min + 1)/(c_i + 1). Every step stays column stochastic, so the
 * mass is conserved and z_i still converges to the average; the weights stay near 1 (same runs: w
 * 0.91-1.17, accuracy 0.828-0.836).
 *
 * <h2>Step size</h2>
 * The synchronous {@code PUSH_SUM} subtracts d itself (x_i &larr; x_i &minus; d). Without a barrier w_i
 * fluctuates from step to step (a rank that runs ahead of its in-neighbors loses weight at every
 * step), and that unscaled step moves z_i by d / w_i, which diverged in our Fashion-MNIST runs with
 * a straggler. Scaling it by w_i (z_i moves by exactly d) is stable but too small: part of the mass is
 * always in transit (pushed, not yet collected), so w_i at a step averages well below 1, and the
 * network's model &Sigma;_i x_i / n moved by only that fraction of the synchronous step (measured: 4
 * ranks, exponential graph, Fashion-MNIST, mean w_i at a step 0.56-0.74; after 3 epochs the training
 * loss was 0.378 against ATC's 0.341 with the same samples, learning rate and momentum). With
 * rate-balanced shares the step is therefore divided by &#x0175;_i, the bias-corrected exponential mean
 * of w_i over this rank's steps (decay {@link #WEIGHT_MEAN_DECAY}): each step then adds d to
 * &Sigma;_i x_i on average, as a synchronous step does, while z_i moves by the smooth d/&#x0175;_i, not the
 * jumpy d/w_i; there the weights stay near 1 and &#x0175;_i measures only the mass in transit. Fixed
 * shares keep the scaling by w_i: there a rank's weight can settle far below 1 for good (a fast rank;
 * or, when every rank takes its own batches per epoch, a rank still stepping while the others wait at
 * the epoch's end), and the division multiplied its steps several-fold (10 epochs at np 4: consensus
 * distances up to 7e3 and once a divergence). Measured, 4 ranks, 3 epochs with rank 1 5 ms slower
 * (job-wide epochs): averaged accuracy 0.8546-0.8662 before the division and the weighted average,
 * 0.8610-0.8707 after (ATC 0.8678). Where w_i = 1 at every step (synchronous push-sum on a regular
 * graph at its fixed point) all the scalings agree.
 */
public final class AsyncPushSum extends WindowOptimizer {
    /**
     * The window's tensor: the de-biased parameters z_i themselves ({@link #parameters()} when it is
     * a C-order array that is not a view, as DL4J's {@code params()} is; otherwise a private copy,
     * copied to the parameters after each collection).
     */
    private final INDArray z;
    /** z is a copy of the parameters (they were a view or not C order), copied back after each collection. */
    private final boolean copied;
    /** z as a flat array over the same memory. */
    private final INDArray zFlat;
    /** The push-sum weight w_i (w^0 = 1); x_i = w_i z_i is never stored. */
    private double weight = 1.0;
    /**
     * Decay of the exponential mean &#x0175;_i of w_i at this rank's steps (a time constant of 100 steps):
     * long against w_i's step-to-step swings, short against the drift of the rates.
     */
    static final double WEIGHT_MEAN_DECAY = 0.99;
    /** The exponential mean of w_i over the steps taken, not yet bias-corrected (starts at 0). */
    private double weightMeanRaw;
    /** WEIGHT_MEAN_DECAY to the power of the steps taken: the bias correction of {@link #weightMeanRaw}. */
    private double weightMeanDecayed = 1.0;
    private final int[] inNeighbors;
    private final Map<Integer, Double> dst = new TreeMap<>();
    private final Map<Integer, Double> collectWeights = new TreeMap<>();
    private final double share;
    private final int outDegree;
    /** {@link #balanceRates}: the job's step counts, or null (fixed shares). */
    private JobStepCounter rates;

    /** Without a staleness bound; the constructor of {@code Algorithm.ASYNC_PUSH_SUM}. Collective. */
    public AsyncPushSum(Collectives collectives, Topology defaultTopology, INDArray params, OptimizerConfig config) {
        this(collectives, defaultTopology, params, config, 0);
    }

    /**
     * Collective: broadcasts rank 0's parameters (when configured), turns on associated p for this
     * rank's windows ({@link Windows#setAssociatedP}, as BlueFog's push-sum optimizer does) and
     * creates the window.
     *
     * @param maxStaleness S &ge; 0, 0 for none (see {@link WindowOptimizer})
     */
    public AsyncPushSum(Collectives collectives, Topology defaultTopology, INDArray params, OptimizerConfig config,
            int maxStaleness) {
        super(collectives, defaultTopology, params, config, maxStaleness);
        this.copied = params.isView() || params.ordering() != 'c';
        this.z = copied ? params.dup('c') : params;
        this.zFlat = z.reshape(z.length());
        int me = collectives.rank();
        this.outDegree = graph().outDegree(me);
        this.inNeighbors = graph().inNeighbors(me);
        this.share = 1.0 / (outDegree + 1);
        for (int d : graph().outNeighbors(me)) {
            dst.put(d, share);
        }
        windows().setAssociatedP(true);
        createWindow(z, true);
    }

    /** @return a factory of this optimizer with staleness bound {@code maxStaleness} (0: none) */
    public static OptimizerFactory factory(int maxStaleness) {
        return (c, t, p, cfg) -> new AsyncPushSum(c, t, p, cfg, maxStaleness);
    }

    @Override
    protected void update(INDArray gradient, Topology w, long round) {
        // x_i -= (w_i / mean w_i) d_i moves z_i = x_i / w_i by d_i / mean w_i with rate-balanced shares,
        // x_i -= w_i d_i moves it by d_i with fixed ones (see the class comment)
        INDArray d = localStepConsuming(gradient);
        double scale = rates == null ? 1.0 : 1.0 / observeWeight();
        Nd4j.getBlasWrapper().level1().axpy(zFlat.length(), -scale, d.reshape(zFlat.length()), zFlat);
        if (w != null) {
            // the window operations and the waits are this step's communication (communicationNanos)
            communicate(() -> {
                awaitWrite();
                double pushed = pushedFraction();
                double each = rates == null ? share : pushed / outDegree;
                for (Map.Entry<Integer, Double> e : dst.entrySet()) {
                    e.setValue(each * weight); // the payload (each w_i) z_i = each x_i, its p each w_i
                }
                startWrite(windows().winAccumulateAsync(z, windowName(), 1.0, dst));
                weight *= rates == null ? share : 1 - pushed; // the kept part: x_i, w_i scaled alike, z_i unchanged
                boundStaleness(round);
                collect();
            });
            countWrite(z);
        }
        writeBack();
    }

    /**
     * Adds this step's w_i to the exponential mean (rate-balanced shares only).
     *
     * @return &#x0175;_i, the bias-corrected mean of w_i over the steps so far, this one included (w_i
     *         itself at the first step); positive, as every w_i is
     */
    private double observeWeight() {
        weightMeanRaw = WEIGHT_MEAN_DECAY * weightMeanRaw + (1 - WEIGHT_MEAN_DECAY) * weight;
        weightMeanDecayed *= WEIGHT_MEAN_DECAY;
        return weightMeanRaw / (1 - weightMeanDecayed);
    }

    /**
     * [x; w]_i &larr; [x; w]_i + &Sigma;_s buffer_s, buffers reset, in z form: with the buffers' p summing to
     * q (their part of the weight), w' = w + q and z &larr; (w/w') z + &Sigma;_s (1/w') b_s, one
     * {@code winUpdate} pass (b_s = the sum of each w_j z_j pushed by s). The window's own p stays 1
     * (up to rounding): it starts at 1, every write keeps it (self weight 1), and the update's
     * weights sum the p's to (w + q)/w' = 1. The window is locked meanwhile so that no write lands
     * between reading the p's and combining.
     */
    private void collect() {
        Windows win = windows();
        try (WinLock lock = win.winLock(windowName())) {
            double inflow = 0;
            for (int s : inNeighbors) {
                inflow += win.winBufferAssociatedP(windowName(), s);
            }
            if (inflow == 0) {
                return; // every buffer is empty (each write carries a positive p)
            }
            double updated = weight + inflow;
            for (int s : inNeighbors) {
                collectWeights.put(s, 1.0 / updated);
            }
            win.winUpdate(windowName(), weight / updated, collectWeights, true);
            weight = updated;
        }
    }

    /**
     * Rate-balanced push-sum shares (the trainer's job-wide epochs): from now on a rank that has
     * taken more steps than the slowest rank pushes proportionally less of its mass per step, so that
     * every rank pushes the same mass per unit of time and the push-sum weights stay near 1, and each
     * step is divided by the running mean of w_i (see the class comment). The caller counts every
     * step of this optimizer ({@link JobStepCounter#stepped()} after each {@code step}). Local; call on
     * every rank or none, before the first step.
     *
     * @param counter the job's step counts (the caller keeps and closes it)
     */
    public void balanceRates(JobStepCounter counter) {
        this.rates = java.util.Objects.requireNonNull(counter, "counter");
    }

    /**
     * @return the fraction of [x; w] pushed this step, split equally among the out-neighbors:
     *         outdeg/(outdeg + 1) (the rest is kept), times (slowest rank's steps + 1) / (own steps + 1)
     *         with {@link #balanceRates}
     */
    private double pushedFraction() {
        double full = outDegree * share;
        if (rates == null) {
            return full;
        }
        long own = rates.ownSteps();
        long slowest = Math.min(own, rates.minSteps());
        return full * (slowest + 1) / (own + 1);
    }

    /** Copies z to the parameters when z is a private copy of them ({@link #copied}); else nothing to do. */
    private void writeBack() {
        if (copied) {
            parameters().assign(z.reshape(parameters().shape()));
        }
    }

    @Override
    protected void absorb() {
        collect();
        writeBack();
    }

    /**
     * @return w_i: the network's model is the de-biased &Sigma;_i w_i z_i / &Sigma;_i w_i, after every
     *         rank absorbed its buffers ({@link #beforeAveraging()})
     */
    @Override
    protected double averagingWeight() {
        return weight;
    }

    /** @return this rank's push-sum weight w_i (1 at start; with the buffered weights they sum to n) */
    public double pushSumWeight() {
        return weight;
    }
}
