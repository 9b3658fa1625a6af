package io.bluefog.optimizers.algorithms;

import io.bluefog.collectives.Collectives;
import io.bluefog.optimizers.DecentralizedOptimizer;
import io.bluefog.optimizers.OptimizerConfig;
import io.bluefog.topology.Topologies;
import io.bluefog.topology.Topology;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Exact Diffusion / D&sup2; ({@link io.bluefog.optimizers.Algorithm#EXACT_DIFFUSION}; Yuan, Ying, Zhao and Sayed,
 * IEEE TSP 2019): with W&#772; = (I + W)/2,
 * &psi;^{k+1} = x^k &minus; d^k; &phi;^{k+1} = &psi;^{k+1} + x^k &minus; &psi;^k; x^{k+1} = W&#772; &phi;^{k+1}; &psi;^0 = x^0.
 * The correction x^k &minus; &psi;^k cancels the bias that heterogeneous local objectives cause in D-SGD, so with
 * full gradients and a constant step it converges to the exact minimiser of &Sigma;_i f_i.
 * Iterations without communication use W&#772; = I.
 */
final class ExactDiffusion extends DecentralizedOptimizer {
    private final INDArray psiPrev;

    ExactDiffusion(Collectives collectives, Topology defaultTopology, INDArray params, OptimizerConfig config) {
        super(collectives, defaultTopology, params, config);
        this.psiPrev = params.dup();
    }

    @Override
    protected void update(INDArray gradient, Topology w, long round) {
        INDArray x = parameters();
        INDArray psi = x.sub(localStep(gradient).reshape(x.shape()));
        // phi = psi + x - psiPrev, written into x
        x.addi(psi).subi(psiPrev);
        psiPrev.assign(psi);
        if (w != null) {
            mix(x, Topologies.lazy(w));
        }
    }

    @Override
    protected java.util.List<INDArray> algorithmState() {
        return java.util.List.of(psiPrev);
    }
}
