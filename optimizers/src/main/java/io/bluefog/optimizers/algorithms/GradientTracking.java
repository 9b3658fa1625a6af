package io.bluefog.optimizers.algorithms;

import io.bluefog.collectives.Collectives;
import io.bluefog.optimizers.DecentralizedOptimizer;
import io.bluefog.optimizers.OptimizerConfig;
import io.bluefog.topology.Topology;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Gradient tracking, DIGing ({@link io.bluefog.optimizers.Algorithm#GRADIENT_TRACKING}; Nedić, Olshevsky and Shi,
 * SIAM J. Optim. 2017): x^{k+1} = W_k x^k &minus; d(y^k); y^{k+1} = W_k y^k + g(x^{k+1}) &minus; g(x^k); y^0 = g(x^0).
 * y_i tracks the network-average gradient, which removes D-SGD's heterogeneity bias.
 *
 * <p>x and y are mixed with the same W_k, so they travel in one message [x; y] of twice the length;
 * W_k y^k is kept until the next step supplies g(x^{k+1}). Iterations without communication use W = I.
 */
final class GradientTracking extends DecentralizedOptimizer {
    private final long n;
    private final INDArray xy;
    private final INDArray xPart;
    private final INDArray yPart;
    private final INDArray previousGradient;
    private boolean started;

    GradientTracking(Collectives collectives, Topology defaultTopology, INDArray params, OptimizerConfig config) {
        super(collectives, defaultTopology, params, config);
        this.n = params.length();
        this.xy = Nd4j.zeros(params.dataType(), 2 * n);
        this.xPart = xy.get(NDArrayIndex.interval(0, n));
        this.yPart = xy.get(NDArrayIndex.interval(n, 2 * n));
        this.previousGradient = Nd4j.zeros(params.dataType(), n);
    }

    @Override
    protected void update(INDArray gradient, Topology w, long round) {
        INDArray g = gradient.reshape(n);
        if (!started) {
            yPart.assign(g);
            started = true;
        } else {
            // yPart holds W_{k-1} y^{k-1}
            yPart.addi(g).subi(previousGradient);
        }
        previousGradient.assign(g);
        INDArray d = localStep(yPart);
        INDArray x = parameters();
        xPart.assign(x.reshape(n));
        if (w != null) {
            mix(xy, w);
        }
        x.assign(xPart.sub(d.reshape(n)).reshape(x.shape()));
    }

    @Override
    protected java.util.List<INDArray> algorithmState() {
        return java.util.List.of(xy, previousGradient);
    }

    @Override
    protected void afterRestore() {
        started = iteration() > 0;
    }
}
