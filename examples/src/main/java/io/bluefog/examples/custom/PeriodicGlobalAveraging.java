package io.bluefog.examples.custom;

import io.bluefog.collectives.Collectives;
import io.bluefog.optimizers.DecentralizedOptimizer;
import io.bluefog.optimizers.OptimizerConfig;
import io.bluefog.optimizers.OptimizerFactory;
import io.bluefog.topology.Topology;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * How to write a new decentralized optimizer as a subclass of {@link DecentralizedOptimizer} and
 * train a DL4J model with it ({@code new DecentralizedTrainer(bf, model, OptimizerConfig.builder().build(),
 * PeriodicGlobalAveraging.every(h))}): D-SGD in adapt-then-combine form whose every h-th communication
 * round is a global average instead of a neighbor average, the update of Gossip-PGA (Chen, Yuan, Zhang,
 * Pan, Xu and Yin, "Accelerating Gossip SGD with Periodic Global Averaging", ICML 2021):
 * <pre>
 *   x_i &larr; x_i &minus; d_i                  (d_i: the configured local updater applied to g_i(x_i))
 *   x_i &larr; (1/n) &Sigma;_j x_j                 in communication rounds r with (r + 1) mod h = 0
 *   x_i &larr; &Sigma;_j w_ij x_j                  in the other communication rounds (W: the round's topology)
 * </pre>
 * Written only against the public API: the protected helpers {@code localStep}, {@code mix} and
 * {@code average}. {@code optimizers/README.md} shows it; {@code PeriodicGlobalAveragingTest} checks
 * that it steps bit for bit as the built-in {@code pga} on Fashion-MNIST.
 */
public final class PeriodicGlobalAveraging extends DecentralizedOptimizer {
    private final int globalEvery;

    private PeriodicGlobalAveraging(Collectives collectives, Topology defaultTopology, INDArray params,
                                    OptimizerConfig config, int globalEvery) {
        super(collectives, defaultTopology, params, config);
        this.globalEvery = globalEvery;
    }

    /**
     * @param h average globally in every h-th communication round (h &ge; 1; 1: always)
     * @return the factory that {@code DecentralizedTrainer} calls on every rank
     * @throws IllegalArgumentException if h &lt; 1 (before any communication)
     */
    public static OptimizerFactory every(int h) {
        if (h < 1) {
            throw new IllegalArgumentException("h must be >= 1, got " + h);
        }
        return (collectives, topology, params, config) -> new PeriodicGlobalAveraging(collectives, topology, params, config, h);
    }

    @Override
    protected void update(INDArray gradient, Topology w, long round) {
        INDArray x = parameters();
        x.subi(localStep(gradient).reshape(x.shape())); // adapt: x - d
        if (w == null) {
            return;                                      // this iteration does not communicate
        }
        if ((round + 1) % globalEvery == 0) {
            average(x);                                  // combine: global average
        } else {
            mix(x, w);                                   // combine: x = W x
        }
    }
}
