package io.bluefog.optimizers.async;

import io.bluefog.collectives.Collectives;
import io.bluefog.optimizers.OptimizerConfig;
import io.bluefog.optimizers.OptimizerFactory;
import io.bluefog.topology.Topology;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Asynchronous D-SGD over a window (BlueFog's {@code DistributedWinPutOptimizer}; the asynchronous
 * decentralized SGD of Lian, Zhang, Zhang and Liu, "Asynchronous Decentralized Parallel Stochastic
 * Gradient Descent", ICML 2018). One step, with no barrier:
 * <ol>
 *   <li>x_i &larr; x_i &minus; d(g(x_i));</li>
 *   <li>{@code winPutAsync} x_i into each out-neighbor's buffer for rank i (weight 1; copied at once,
 *       confirmation awaited at the next step);</li>
 *   <li>(staleness bound, see {@link WindowOptimizer})</li>
 *   <li>x_i &larr; (x_i + &Sigma;_s b_s) / (indeg(i) + 1) over the newest copies b_s of the in-neighbors
 *       ({@code winUpdate} with the window's uniform weights, no reset).</li>
 * </ol>
 * The buffers start at x^0 (not zero-initialized), so a neighbor that has not written yet counts
 * with the common starting point. Row-stochastic combination: use a graph whose uniform weights are
 * doubly stochastic (ring, exponential) for the average to be preserved.
 */
public final class WinPut extends WindowOptimizer {
    /** The window's tensor: a contiguous copy of the parameters (which may be a view). */
    private final INDArray x;

    /** Without a staleness bound; the constructor of {@code Algorithm.WIN_PUT}. Collective. */
    public WinPut(Collectives collectives, Topology defaultTopology, INDArray params, OptimizerConfig config) {
        this(collectives, defaultTopology, params, config, 0);
    }

    /**
     * Collective: broadcasts rank 0's parameters (when configured) and creates the window over them.
     *
     * @param maxStaleness S &ge; 0, 0 for none
     */
    public WinPut(Collectives collectives, Topology defaultTopology, INDArray params, OptimizerConfig config,
            int maxStaleness) {
        super(collectives, defaultTopology, params, config, maxStaleness);
        this.x = params.dup('c');
        createWindow(x, false);
    }

    /** @return a factory of this optimizer with staleness bound {@code maxStaleness} (0: none) */
    public static OptimizerFactory factory(int maxStaleness) {
        return (c, t, p, cfg) -> new WinPut(c, t, p, cfg, maxStaleness);
    }

    @Override
    protected void update(INDArray gradient, Topology w, long round) {
        INDArray params = parameters();
        INDArray step = localStepConsuming(gradient);
        x.subi(step.reshape(x.shape()));
        if (w != null) {
            // the window operations and the waits are this step's communication (communicationNanos)
            communicate(() -> {
                awaitWrite();
                startWrite(windows().winPutAsync(x, windowName(), 1.0, null));
                boundStaleness(round);
                windows().winUpdate(windowName());
            });
            countWrite(x);
        }
        params.assign(x.reshape(params.shape()));
    }

    // absorb(): nothing buffered is owed: the last winUpdate already combined the newest copies
}
