package io.bluefog.optimizers.async;

import io.bluefog.collectives.Collectives;
import io.bluefog.optimizers.OptimizerConfig;
import io.bluefog.optimizers.OptimizerFactory;
import io.bluefog.topology.Topology;
import java.util.Map;
import java.util.TreeMap;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Asynchronous push-sum / Stochastic Gradient Push over a window (Assran, Loizou, Ballas and
 * Rabbat, "Stochastic Gradient Push for Distributed Deep Learning", ICML 2019, the asynchronous
 * variant; push-sum of Kempe, Dobra and Gehrke, FOCS 2003; BlueFog's
 * {@code DistributedPushSumOptimizer}). For directed graphs: rank j splits its [x_j; w_j] equally
 * among itself and its out-neighbors (share 1/(outdeg(j) + 1)), whenever it is ready.
 *
 * <p>State: the numerator x_i and the push-sum weight w_i (w^0 = 1) in one window tensor [x; w]
 * (zero-initialized buffers). One step, with no barrier:
 * <ol>
 *   <li>x_i &larr; x_i &minus; w_i d(g(z_i)) (the local updater on the gradient at z_i, scaled by w_i, so that
 *       z_i moves by exactly d);</li>
 *   <li>accumulate share&middot;[x; w]_i into each out-neighbor's buffer and keep share&middot;[x; w]_i
 *       ({@code winAccumulateAsync} with self weight = destination weight = share; the data are copied at
 *       once, and the confirmation is awaited only at the next step, so the round trip overlaps the
 *       gradient computation);</li>
 *   <li>(staleness bound, see {@link WindowOptimizer})</li>
 *   <li>[x; w]_i &larr; [x; w]_i + &Sigma;_s buffer_s, buffers zeroed ({@code winUpdateThenCollect}, under the
 *       rank's own mutex);</li>
 *   <li>z_i = x_i / w_i, the {@link #parameters()}.</li>
 * </ol>
 * Mass is conserved: &Sigma;_i x_i + (buffered) and &Sigma;_i w_i + (buffered) = n never change except by
 * the local steps, so without gradients every z_i converges to the average of the x_i^0 on a
 * strongly connected graph. {@link #close()} absorbs what is still buffered.
 *
 * <p>The step is scaled by w_i, unlike the synchronous {@code PUSH_SUM} (x_i &larr; x_i &minus; d): without
 * a barrier w_i fluctuates widely (a rank that runs ahead of its in-neighbors halves it at every step
 * on a ring), and the unscaled step moves z_i by d / w_i, which diverged in our Fashion-MNIST runs with
 * a straggler. Where w_i = 1 (synchronous push-sum on a regular graph at its fixed point) the two agree;
 * in general the fixed point weights the ranks' gradients by their w_i.
 */
public final class AsyncPushSum extends WindowOptimizer {
    private final long n;
    private final INDArray xw;
    private final INDArray xPart;
    private final Map<Integer, Double> dst = new TreeMap<>();
    private final double share;

    /** Without a staleness bound; the constructor of {@code Algorithm.ASYNC_PUSH_SUM}. Collective. */
    public AsyncPushSum(Collectives collectives, Topology defaultTopology, INDArray params, OptimizerConfig config) {
        this(collectives, defaultTopology, params, config, 0);
    }

    /**
     * Collective: broadcasts rank 0's parameters (when configured) and creates the window.
     *
     * @param maxStaleness S &ge; 0, 0 for none (see {@link WindowOptimizer})
     */
    public AsyncPushSum(Collectives collectives, Topology defaultTopology, INDArray params, OptimizerConfig config,
            int maxStaleness) {
        super(collectives, defaultTopology, params, config, maxStaleness);
        this.n = params.length();
        this.xw = Nd4j.zeros(params.dataType(), n + 1);
        this.xPart = xw.get(NDArrayIndex.interval(0, n));
        xPart.assign(params.reshape(n));
        xw.putScalar(n, 1.0);
        int me = collectives.rank();
        this.share = 1.0 / (graph().outDegree(me) + 1);
        for (int d : graph().outNeighbors(me)) {
            dst.put(d, share);
        }
        createWindow(xw, true);
    }

    /** @return a factory of this optimizer with staleness bound {@code maxStaleness} (0: none) */
    public static OptimizerFactory factory(int maxStaleness) {
        return (c, t, p, cfg) -> new AsyncPushSum(c, t, p, cfg, maxStaleness);
    }

    @Override
    protected void update(INDArray gradient, Topology w, long round) {
        // x_i -= w_i d_i: z_i = x_i / w_i moves by exactly d_i whatever w_i (see the class comment)
        // in place: localStep's array is the optimizer's reused work array, read by nothing else
        xPart.subi(localStep(gradient).reshape(n).muli(xw.getDouble(n)));
        if (w != null) {
            // the window operations and the waits are this step's communication (communicationNanos)
            communicate(() -> {
                awaitWrite();
                startWrite(windows().winAccumulateAsync(xw, windowName(), share, dst));
                boundStaleness(round);
                windows().winUpdateThenCollect(windowName());
            });
            countWrite(xw);
        }
        deBias();
    }

    private void deBias() {
        double weight = xw.getDouble(n);
        INDArray z = parameters();
        z.assign(xPart.reshape(z.shape())).divi(weight); // no temporary array per step
    }

    @Override
    protected void drain() {
        windows().winUpdateThenCollect(windowName());
        deBias();
    }

    /** @return this rank's push-sum weight w_i (1 at start; with the buffered weights they sum to n) */
    public double pushSumWeight() {
        return xw.getDouble(n);
    }
}
