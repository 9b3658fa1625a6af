package io.bluefog.optimizers.algorithms;

import io.bluefog.collectives.Collectives;
import io.bluefog.optimizers.Algorithm;
import io.bluefog.optimizers.DecentralizedOptimizer;
import io.bluefog.optimizers.OptimizerConfig;
import io.bluefog.topology.Topology;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Local step, then combine: x_i &larr; x_i &minus; d_i, followed in a communication round by
 * <ul>
 *   <li>{@link Algorithm#ATC}: neighbor averaging with W (D-SGD, adapt-then-combine);</li>
 *   <li>{@link Algorithm#LOCAL_SGD}: a global average in every H-th round, nothing in the others;</li>
 *   <li>{@link Algorithm#GOSSIP_PGA}: a global average in every H-th round, neighbor averaging in the others.</li>
 * </ul>
 * Papers: see {@link Algorithm}.
 */
final class AdaptThenCombine extends DecentralizedOptimizer {
    AdaptThenCombine(Collectives collectives, Topology defaultTopology, INDArray params, OptimizerConfig config) {
        super(collectives, defaultTopology, params, config);
    }

    @Override
    protected void update(INDArray gradient, Topology w, long round) {
        INDArray x = parameters();
        x.subi(localStepConsuming(gradient).reshape(x.shape()));
        if (w == null) {
            return;
        }
        boolean globalRound = (round + 1) % config().period() == 0;
        switch (config().algorithm()) {
            case ATC:
                mix(x, w);
                break;
            case LOCAL_SGD:
                if (globalRound) {
                    average(x);
                }
                break;
            case GOSSIP_PGA:
                if (globalRound) {
                    average(x);
                } else {
                    mix(x, w);
                }
                break;
            default:
                throw new IllegalStateException("not an adapt-then-combine algorithm: " + config().algorithm());
        }
    }
}
