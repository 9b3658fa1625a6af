package io.bluefog.optimizers.algorithms;

import io.bluefog.optimizers.DecentralizedOptimizer;
import io.bluefog.optimizers.OptimizerConfig;
import io.bluefog.optimizers.mixing.Mixer;
import io.bluefog.topology.Topology;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Maps an {@link io.bluefog.optimizers.Algorithm} to its implementation. */
public final class Algorithms {
    private Algorithms() {
    }

    /** Collective; see {@link DecentralizedOptimizer#create(Mixer, Topology, INDArray, OptimizerConfig)}. */
    public static DecentralizedOptimizer create(Mixer mixer, Topology defaultTopology, INDArray params, OptimizerConfig config) {
        switch (config.algorithm()) {
            case ALLREDUCE:
                return new GradientAllreduce(mixer, defaultTopology, params, config);
            case ATC:
            case LOCAL_SGD:
            case GOSSIP_PGA:
                return new AdaptThenCombine(mixer, defaultTopology, params, config);
            case AWC:
                return new AdaptWithCombine(mixer, defaultTopology, params, config);
            case EXACT_DIFFUSION:
                return new ExactDiffusion(mixer, defaultTopology, params, config);
            case GRADIENT_TRACKING:
                return new GradientTracking(mixer, defaultTopology, params, config);
            case PUSH_SUM:
                return new PushSum(mixer, defaultTopology, params, config);
            default:
                throw new IllegalArgumentException("no implementation for algorithm " + config.algorithm());
        }
    }
}
