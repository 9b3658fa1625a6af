package io.bluefog.optimizers;

import io.bluefog.collectives.Collectives;
import io.bluefog.topology.Topology;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Creates a {@link DecentralizedOptimizer} on one rank: how {@link io.bluefog.optimizers.dl4j.DecentralizedTrainer}
 * gets its optimizer. Its arguments are those of {@link DecentralizedOptimizer}'s protected
 * constructor, so a user's subclass plugs in by constructor reference ({@code MyAlgorithm::new}), or by
 * a lambda when it takes more arguments ({@code (c, t, p, cfg) -> new MyAlgorithm(c, t, p, cfg, 0.9)}).
 *
 * <p>Called once on every rank, collectively (the optimizer's constructor broadcasts rank 0's
 * parameters when {@link OptimizerConfig#broadcastAtStart()}). The returned optimizer must update
 * {@code params} (the very array passed in) and communicate through {@code collectives}.
 */
@FunctionalInterface
public interface OptimizerFactory {
    /**
     * @param collectives     this rank's collectives (the optimizer must not close them)
     * @param defaultTopology the job's topology, used when {@code config} names none
     * @param params          the flat parameter vector to update in place (FLOAT or DOUBLE)
     * @param config          the same on every rank; the trainer has filled in its local updater
     * @return a new optimizer on {@code params}
     */
    DecentralizedOptimizer create(Collectives collectives, Topology defaultTopology, INDArray params, OptimizerConfig config);

    /**
     * @return the factory of the built-in algorithms: {@link DecentralizedOptimizer#create(Collectives, Topology,
     *         INDArray, OptimizerConfig)}, which selects by {@link OptimizerConfig#algorithm()}
     */
    static OptimizerFactory builtIn() {
        return DecentralizedOptimizer::create;
    }
}
