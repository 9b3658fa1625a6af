package io.bluefog.optimizers.algorithms;

import io.bluefog.collectives.Collectives;
import io.bluefog.optimizers.DecentralizedOptimizer;
import io.bluefog.optimizers.OptimizerConfig;
import io.bluefog.topology.Topology;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Push-sum / Stochastic Gradient Push ({@link io.bluefog.optimizers.Algorithm#PUSH_SUM}; Assran, Loizou, Ballas and
 * Rabbat, ICML 2019; push-sum of Kempe, Dobra and Gehrke, FOCS 2003). Works on directed and time-varying graphs
 * whose matrices are only column stochastic: every rank j splits its [x_j; w_j] equally among itself and its
 * out-neighbors, p_ij = 1/(outdeg(j) + 1) ({@link MixingMatrices#columnStochastic(Topology)}).
 *
 * <p>State: the numerator x_i and the push-sum weight w_i (w^0 = 1), sent together as one message
 * [x; w]. {@link #parameters()} holds the de-biased z_i = x_i / w_i, where the gradient is evaluated:
 * x_i &larr; x_i &minus; d(g(z_i)); [x; w]_i &larr; &Sigma;_j p_ij [x; w]_j; z_i = x_i / w_i.
 */
final class PushSum extends DecentralizedOptimizer {
    private final long n;
    private final INDArray xw;
    private final INDArray xPart;

    PushSum(Collectives collectives, Topology defaultTopology, INDArray params, OptimizerConfig config) {
        super(collectives, defaultTopology, params, config);
        this.n = params.length();
        this.xw = Nd4j.zeros(params.dataType(), n + 1);
        this.xPart = xw.get(NDArrayIndex.interval(0, n));
        xPart.assign(params.reshape(n));
        xw.putScalar(n, 1.0);
    }

    @Override
    protected void update(INDArray gradient, Topology w, long round) {
        xPart.subi(localStep(gradient).reshape(n));
        if (w != null) {
            mix(xw, MixingMatrices.columnStochastic(w));
        }
        double weight = xw.getDouble(n);
        INDArray z = parameters();
        z.assign(xPart.div(weight).reshape(z.shape()));
    }

    /** @return this rank's push-sum weight w_i (1 at start; the ranks' weights sum to n) */
    double pushSumWeight() {
        return xw.getDouble(n);
    }

    @Override
    protected java.util.List<INDArray> algorithmState() {
        return java.util.List.of(xw);
    }
}
