package io.bluefog.optimizers.algorithms;

import io.bluefog.collectives.Collectives;
import io.bluefog.optimizers.DecentralizedOptimizer;
import io.bluefog.optimizers.OptimizerConfig;
import io.bluefog.topology.Topology;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * D-SGD, adapt-with-combine ({@link io.bluefog.optimizers.Algorithm#AWC}): x_i &larr; &Sigma;_j w_ij x_j &minus; d_i(x_i).
 * The local step uses the gradient at the pre-mixing x_i, so communication and computation could overlap.
 */
final class AdaptWithCombine extends DecentralizedOptimizer {
    AdaptWithCombine(Collectives collectives, Topology defaultTopology, INDArray params, OptimizerConfig config) {
        super(collectives, defaultTopology, params, config);
    }

    @Override
    protected void update(INDArray gradient, Topology w, long round) {
        INDArray d = localStep(gradient);
        INDArray x = parameters();
        if (w != null) {
            mix(x, w);
        }
        x.subi(d.reshape(x.shape()));
    }
}
