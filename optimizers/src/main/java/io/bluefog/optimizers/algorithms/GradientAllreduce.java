package io.bluefog.optimizers.algorithms;

import io.bluefog.collectives.Collectives;
import io.bluefog.optimizers.Algorithm;
import io.bluefog.optimizers.DecentralizedOptimizer;
import io.bluefog.optimizers.OptimizerConfig;
import io.bluefog.topology.Topology;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * P-SGD: x &larr; x &minus; d((1/n) &Sigma;_j g_j) ({@link Algorithm#ALLREDUCE}). On iterations that do not
 * communicate (J &gt; 1) the local gradient is used. Starting from equal parameters (broadcast) and with
 * J = 1 every rank holds the same model at every step.
 */
final class GradientAllreduce extends DecentralizedOptimizer {
    GradientAllreduce(Collectives collectives, Topology defaultTopology, INDArray params, OptimizerConfig config) {
        super(collectives, defaultTopology, params, config);
    }

    @Override
    protected void update(INDArray gradient, Topology w, long round) {
        INDArray g = gradient.dup();
        if (w != null) {
            average(g);
        }
        parameters().subi(localStep(g).reshape(parameters().shape()));
    }
}
