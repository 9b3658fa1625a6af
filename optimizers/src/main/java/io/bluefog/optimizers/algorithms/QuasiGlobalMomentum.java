package io.bluefog.optimizers.algorithms;

import io.bluefog.collectives.Collectives;
import io.bluefog.optimizers.DecentralizedOptimizer;
import io.bluefog.optimizers.OptimizerConfig;
import io.bluefog.topology.Topology;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * QG-DSGDm ({@link io.bluefog.optimizers.Algorithm#QG_DSGDM}; heavy-ball form of Algorithm 1 of Lin,
 * Karimireddy, Stich and Jaggi, "Quasi-Global Momentum: Accelerating Decentralized Deep Learning on
 * Heterogeneous Data", ICML 2021). Local momentum drifts apart on heterogeneous data; quasi-global
 * momentum is built from the model's actual displacement after gossip, an estimate of the global
 * update direction:
 * <pre>
 *   m       = &beta; m&#770; + g^k
 *   x^{k+1} = W (x^k &minus; &gamma;_k m)                   (neighbor averaging, ATC form)
 *   m&#770;      &larr; &beta; m&#770; + (1 &minus; &beta;) (x^k &minus; x^{k+1}) / &gamma;_k,    m&#770;^0 = 0
 * </pre>
 * &gamma;_k is the local updater's rate at iteration k and &beta; its
 * {@link io.bluefog.optimizers.updaters.LocalUpdater#momentum()} (use {@code LocalUpdater.momentum(γ, β)}; with
 * &beta; = 0 this is ATC D-SGD); the updater's own state is not used, the quasi-global buffer m&#770;
 * replaces it. Iterations without communication use W = I.
 */
final class QuasiGlobalMomentum extends DecentralizedOptimizer {
    private final double beta;
    private final INDArray momentumHat;
    private final INDArray before;

    QuasiGlobalMomentum(Collectives collectives, Topology defaultTopology, INDArray params, OptimizerConfig config) {
        super(collectives, defaultTopology, params, config);
        this.beta = updater().momentum();
        this.momentumHat = params.like();
        this.before = params.like();
    }

    @Override
    protected void update(INDArray gradient, Topology w, long round) {
        INDArray x = parameters();
        double lr = learningRate();
        before.assign(x);
        // x - lr (beta mhat + g)
        x.subi(momentumHat.mul(beta).addi(gradient.reshape(x.shape())).muli(lr));
        if (w != null) {
            mix(x, w);
        }
        // mhat = beta mhat + (1 - beta) (before - x) / lr
        momentumHat.muli(beta).addi(before.subi(x).muli((1 - beta) / lr));
    }

    @Override
    protected java.util.List<INDArray> algorithmState() {
        return java.util.List.of(momentumHat);
    }
}
