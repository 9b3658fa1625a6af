package io.bluefog.optimizers.algorithms;

import io.bluefog.collectives.Collectives;
import io.bluefog.collectives.Handle;
import io.bluefog.optimizers.DecentralizedOptimizer;
import io.bluefog.optimizers.OptimizerConfig;
import io.bluefog.topology.Topology;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * D-SGD, adapt-with-combine ({@link io.bluefog.optimizers.Algorithm#AWC}): x_i &larr; &Sigma;_j w_ij x_j &minus; d_i(x_i).
 * The combine reads only the pre-step x, so after {@link #beginStep()} it runs while the caller
 * computes the gradient, and {@code step} only waits for what is left of it.
 */
final class AdaptWithCombine extends DecentralizedOptimizer {
    AdaptWithCombine(Collectives collectives, Topology defaultTopology, INDArray params, OptimizerConfig config) {
        super(collectives, defaultTopology, params, config);
    }

    /** W x started by {@link #begin}, or null. */
    private Handle<INDArray> mixing;
    /** Where {@link #begin} mixes a copy of x (reused: a model-sized array per step would be garbage). */
    private INDArray mixed;

    @Override
    protected boolean begin(Topology w, long round) {
        INDArray x = parameters();
        if (mixed == null) {
            mixed = Nd4j.createUninitialized(x.dataType(), x.shape(), 'c');
        }
        mixed.assign(x);
        mixing = startMix(mixed, w);
        return true;
    }

    @Override
    protected void update(INDArray gradient, Topology w, long round) {
        INDArray d = localStep(gradient);
        INDArray x = parameters();
        if (mixing != null) {
            // x = W x - d in one pass from the mixed copy, the same arithmetic as mixing in place.
            finishMix(mixing);
            mixing = null;
            mixed.sub(d.reshape(x.shape()), x);
            return;
        }
        if (w != null) {
            mix(x, w);
        }
        x.subi(d.reshape(x.shape()));
    }
}
