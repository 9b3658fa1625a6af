package io.bluefog.optimizers.algorithms;

import io.bluefog.collectives.Collectives;
import io.bluefog.optimizers.DecentralizedOptimizer;
import io.bluefog.optimizers.OptimizerConfig;
import io.bluefog.optimizers.OptimizerFactory;
import io.bluefog.topology.Topology;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DiLoCo (Douillard, Feng, Rusu, Chhaparia, Donchev, Kuncoro, Ranzato, Szlam and Shen, "DiLoCo:
 * Distributed Low-Communication Training of Language Models", arXiv:2311.08105, 2023,
 * Algorithm 1): every rank takes H inner steps with the configured local updater from the outer
 * parameters x_start; then the outer gradient {@code Delta = x_start - x} is averaged over the
 * ranks and applied to x_start with outer Nesterov momentum (PyTorch's SGD with
 * {@code nesterov=True}, as in the paper):
 * <pre>
 *   Delta = avg_i (x_start - x_i)          (allreduce; or W Delta with the decentralized variant)
 *   v     = mu v + Delta
 *   x_start = x_start - eta (Delta + mu v)
 *   x_i   = x_start
 * </pre>
 * with v = 0 and x_start = the (broadcast) starting parameters. H is
 * {@link OptimizerConfig#period()}: the outer step comes in every H-th communication round (every
 * H-th iteration unless {@link OptimizerConfig#communicationPeriod()} &gt; 1); other iterations
 * take the inner step only. The inner updater's state (e.g. momentum) carries across outer steps.
 *
 * <p>With the decentralized variant the outer gradient is mixed by the round's matrix W
 * (neighborAllreduce) instead of globally averaged, and each rank keeps its own x_start and v.
 *
 * <p>With H = 1, eta = 1, mu = 0 and an SGD updater this is gradient allreduce:
 * x &larr; x &minus; lr avg_i g_i.
 */
public final class DiLoCo extends DecentralizedOptimizer {
    private final double outerLr;
    private final double outerMomentum;
    private final boolean decentralized;
    private final INDArray start;
    private final INDArray velocity;
    private final INDArray delta;

    /**
     * Collective (the base class broadcasts rank 0's parameters when configured).
     *
     * @param outerLr       eta &gt; 0
     * @param outerMomentum mu in [0, 1)
     * @param decentralized mix the outer gradient with W instead of averaging it globally
     * @throws IllegalArgumentException on eta &le; 0 or mu outside [0, 1), before any communication
     */
    public DiLoCo(Collectives collectives, Topology defaultTopology, INDArray params, OptimizerConfig config,
                  double outerLr, double outerMomentum, boolean decentralized) {
        super(collectives, defaultTopology, check(params, outerLr, outerMomentum), config);
        this.outerLr = outerLr;
        this.outerMomentum = outerMomentum;
        this.decentralized = decentralized;
        this.start = params.dup();
        this.velocity = org.nd4j.linalg.factory.Nd4j.zeros(params.dataType(), params.shape());
        this.delta = org.nd4j.linalg.factory.Nd4j.zeros(params.dataType(), params.shape());
    }

    private static INDArray check(INDArray params, double outerLr, double outerMomentum) {
        if (!(outerLr > 0) || Double.isInfinite(outerLr)) {
            throw new IllegalArgumentException("outer learning rate must be > 0, got " + outerLr);
        }
        if (!(outerMomentum >= 0 && outerMomentum < 1)) {
            throw new IllegalArgumentException("outer momentum must be in [0, 1), got " + outerMomentum);
        }
        return params;
    }

    /** @return a factory making this optimizer on every rank with these settings */
    public static OptimizerFactory factory(double outerLr, double outerMomentum, boolean decentralized) {
        check(null, outerLr, outerMomentum);
        return (c, t, p, cfg) -> new DiLoCo(c, t, p, cfg, outerLr, outerMomentum, decentralized);
    }

    @Override
    protected void update(INDArray gradient, Topology w, long round) {
        INDArray x = parameters();
        x.subi(localStep(gradient).reshape(x.shape()));
        if (w == null || (round + 1) % config().period() != 0) {
            return;
        }
        delta.assign(start).subi(x);
        if (decentralized) {
            mix(delta, w);
        } else {
            average(delta);
        }
        velocity.muli(outerMomentum).addi(delta);
        // Nesterov: step = Delta + mu v
        start.subi(delta.addi(velocity.mul(outerMomentum)).muli(outerLr));
        x.assign(start);
    }

    @Override
    protected java.util.List<INDArray> algorithmState() {
        return java.util.List.of(start, velocity);
    }
}
