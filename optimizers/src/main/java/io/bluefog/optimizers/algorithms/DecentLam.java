package io.bluefog.optimizers.algorithms;

import io.bluefog.collectives.Collectives;
import io.bluefog.optimizers.DecentralizedOptimizer;
import io.bluefog.optimizers.OptimizerConfig;
import io.bluefog.topology.Topology;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DecentLaM ({@link io.bluefog.optimizers.Algorithm#DECENTLAM}; Yuan, Chen, Huang, Zhang, Pan, Xu and Yin,
 * "DecentLaM: Decentralized Momentum SGD for Large-batch Deep Training", ICCV 2021). Each iteration
 * takes the adapt-then-combine D-SGD step with the plain rate &gamma;_k, reads it back as a gradient and
 * hands that to the local updater:
 * <pre>
 *   y       = W (x^k &minus; &gamma;_k g^k)            (neighbor averaging)
 *   g&#771;^k    = (x^k &minus; y) / &gamma;_k
 *   x^{k+1} = x^k &minus; d(g&#771;^k)                 (d: the local updater)
 * </pre>
 * With the heavy-ball updater {@code LocalUpdater.momentum(γ, β)} (m &larr; &beta; m + g&#771;, d = &gamma; m) this is
 * DecentLaM's recursion x^{k+1} = W(x^k &minus; &gamma; g^k) + &beta;(x^k &minus; x^{k&minus;1}), whereas decentralized
 * momentum SGD (ATC with that updater: m^{k+1} = &beta; m^k + g^k, x^{k+1} = W(x^k &minus; &gamma; m^{k+1})) mixes the
 * momentum too, which the paper shows amplifies the inconsistency bias of D-SGD as the batch grows.
 * With plain SGD as the local updater it is ATC D-SGD.
 *
 * <p><b>What this was checked against.</b> The paper's text (arXiv:2104.11981, ICCV 2021) was not
 * reachable from the project's tools (searches for its Algorithm 1 found only abstracts and reviews).
 * The update was checked line by line against a public third-party PyTorch implementation of DecentLaM
 * (class {@code DecentLaMOptimizer}, written for comparisons with DSGDm and QG-DSGDm; found in a code index
 * that does not name its repository): per node i it forms x_i &minus; &gamma;(g_i + &lambda; x_i), averages that
 * with its neighbors (uniform weights), sets g&#771;_i = (x_i &minus; average)/&gamma;, then m_i &larr; &beta; m_i + g&#771;_i and
 * x_i &larr; x_i &minus; &gamma; m_i. That is the recursion above with the heavy-ball updater, W = that uniform
 * matrix and weight decay &lambda; (which the trainer here leaves to the user's gradient, &lambda; = 0). The
 * update therefore needs {@code LocalUpdater.momentum(γ, β)} to be DecentLaM; another updater (e.g. the
 * default Nesterov of fashion-mnist) gives a Nesterov variant of it. Iterations without communication use W = I (g&#771; = g).
 * &gamma;_k is the local updater's rate at iteration k (its {@link io.bluefog.optimizers.updaters.LearningRateSchedule}).
 *
 * <p><b>Symmetric W.</b> The paper assumes a symmetric doubly stochastic W. With the heavy-ball updater the
 * disagreement between ranks follows, per eigenvalue &lambda; of W, z^{k+1} = (&lambda; + &beta;) z^k &minus; &beta; z^{k&minus;1}, stable
 * for every real &lambda; in (&minus;1, 1) but not for all complex ones: the directed exponential graph of 4 ranks
 * (&lambda; = &plusmn;i/3) with &beta; = 0.9 has a root of modulus 1.15, and a Fashion-MNIST run on it diverged
 * (consensus distance &times;10 per epoch) where D-SGD with momentum did not. Use a symmetric topology
 * ({@code symmetric-exponential}, {@code ring}, ...).
 */
final class DecentLam extends DecentralizedOptimizer {
    private INDArray mixed;

    DecentLam(Collectives collectives, Topology defaultTopology, INDArray params, OptimizerConfig config) {
        super(collectives, defaultTopology, params, config);
    }

    @Override
    protected void update(INDArray gradient, Topology w, long round) {
        INDArray x = parameters();
        if (w == null) {
            x.subi(localStep(gradient).reshape(x.shape()));
            return;
        }
        double lr = learningRate();
        if (mixed == null) {
            mixed = x.dup();
        }
        // y = W (x - lr g)
        mixed.assign(x).subi(gradient.reshape(x.shape()).mul(lr));
        mix(mixed, w);
        // g~ = (x - y) / lr, written into mixed
        mixed.rsubi(x).divi(lr);
        x.subi(localStep(mixed).reshape(x.shape()));
    }
}
