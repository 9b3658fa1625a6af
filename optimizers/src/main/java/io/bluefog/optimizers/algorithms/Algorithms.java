package io.bluefog.optimizers.algorithms;

import io.bluefog.collectives.Collectives;
import io.bluefog.optimizers.DecentralizedOptimizer;
import io.bluefog.optimizers.OptimizerConfig;
import io.bluefog.topology.Topology;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Maps an {@link io.bluefog.optimizers.Algorithm} to its implementation. */
public final class Algorithms {
    private Algorithms() {
    }

    /** Collective; see {@link DecentralizedOptimizer#create(Collectives, Topology, INDArray, OptimizerConfig)}. */
    public static DecentralizedOptimizer create(Collectives collectives, Topology defaultTopology, INDArray params, OptimizerConfig config) {
        if (config.algorithm() == null) {
            throw new IllegalArgumentException("the optimizer configuration names no algorithm (OptimizerConfig.builder()): "
                    + "create a custom optimizer with its own OptimizerFactory, or name a built-in one with OptimizerConfig.builder(Algorithm)");
        }
        switch (config.algorithm()) {
            case ALLREDUCE:
                return new GradientAllreduce(collectives, defaultTopology, params, config);
            case ATC:
            case LOCAL_SGD:
            case GOSSIP_PGA:
                return new AdaptThenCombine(collectives, defaultTopology, params, config);
            case AWC:
                return new AdaptWithCombine(collectives, defaultTopology, params, config);
            case EXACT_DIFFUSION:
                return new ExactDiffusion(collectives, defaultTopology, params, config);
            case GRADIENT_TRACKING:
                return new GradientTracking(collectives, defaultTopology, params, config);
            case DECENTLAM:
                return new DecentLam(collectives, defaultTopology, params, config);
            case QG_DSGDM:
                return new QuasiGlobalMomentum(collectives, defaultTopology, params, config);
            case PUSH_SUM:
                return new PushSum(collectives, defaultTopology, params, config);
            case CHOCO:
                throw new IllegalArgumentException("choco needs a compressor and a consensus step: make it with "
                        + "ChocoSgd.factory(compressor, gamma, seed) as the trainer's OptimizerFactory");
            case DILOCO:
                throw new IllegalArgumentException("diloco needs an outer learning rate and momentum: make it with "
                        + "DiLoCo.factory(outerLr, outerMomentum, decentralized) as the trainer's OptimizerFactory");
            case ASYNC_PUSH_SUM:
                return new io.bluefog.optimizers.async.AsyncPushSum(collectives, defaultTopology, params, config);
            case WIN_PUT:
                return new io.bluefog.optimizers.async.WinPut(collectives, defaultTopology, params, config);
            default:
                throw new IllegalArgumentException("no implementation for algorithm " + config.algorithm());
        }
    }
}
