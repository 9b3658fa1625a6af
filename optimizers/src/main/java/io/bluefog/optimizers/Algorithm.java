package io.bluefog.optimizers;

import java.util.Locale;

/**
 * The decentralized algorithms, with their command-line names and papers. Notation: rank i,
 * iteration k, step d_i = the local updater applied to the gradient g_i(x_i) (d = &gamma; g for
 * SGD), W the mixing matrix of the iteration's topology.
 */
public enum Algorithm {
    /**
     * P-SGD, gradient allreduce (the baseline): x &larr; x &minus; d((1/n) &Sigma;_j g_j). Every rank holds the
     * same model. Goyal et al., "Accurate, Large Minibatch SGD", arXiv:1706.02677, 2017.
     */
    ALLREDUCE("allreduce"),
    /**
     * D-SGD, adapt-then-combine: x_i &larr; &Sigma;_j w_ij (x_j &minus; d_j). Lian et al., "Can Decentralized
     * Algorithms Outperform Centralized Algorithms?", NeurIPS 2017; Sayed, "Adaptive Networks", Proc. IEEE 2014.
     */
    ATC("atc"),
    /** D-SGD, adapt-with-combine: x_i &larr; &Sigma;_j w_ij x_j &minus; d_i. Nedić and Ozdaglar, IEEE TAC 2009. */
    AWC("awc"),
    /**
     * Local SGD / periodic averaging: local steps, a global average of the models every H-th iteration.
     * Stich, "Local SGD Converges Fast and Communicates Little", ICLR 2019.
     */
    LOCAL_SGD("local-sgd"),
    /**
     * Gossip-PGA: ATC D-SGD, but every H-th communication is a global average. Chen et al., "Accelerating
     * Gossip SGD with Periodic Global Averaging", ICML 2021.
     */
    GOSSIP_PGA("pga"),
    /**
     * Exact Diffusion / D&sup2; with W&#772; = (I + W)/2: &psi;^{k+1} = x^k &minus; d^k; &phi;^{k+1} = &psi;^{k+1} + x^k &minus; &psi;^k;
     * x^{k+1} = W&#772; &phi;^{k+1}; &psi;^0 = x^0. Yuan, Ying, Zhao and Sayed, "Exact Diffusion for Distributed
     * Optimization and Learning — Part I: Algorithm Development", IEEE Trans. Signal Process. 67(3), 2019.
     */
    EXACT_DIFFUSION("exact-diffusion"),
    /**
     * Gradient tracking (DIGing): x^{k+1} = W x^k &minus; d(y^k); y^{k+1} = W y^k + g(x^{k+1}) &minus; g(x^k); y^0 = g(x^0).
     * Nedić, Olshevsky and Shi, "Achieving Geometric Convergence for Distributed Optimization over Time-Varying
     * Graphs", SIAM J. Optim. 27(4), 2017.
     */
    GRADIENT_TRACKING("gradient-tracking"),
    /**
     * DecentLaM, decentralized large-batch momentum SGD: the ATC D-SGD step treated as a gradient and
     * fed to the local updater, y = W(x^k &minus; &gamma;_k g^k); g&#771;^k = (x^k &minus; y)/&gamma;_k; x^{k+1} = x^k &minus; d(g&#771;^k).
     * With the heavy-ball updater (m &larr; &beta; m + g&#771;, d = &gamma; m) this is
     * x^{k+1} = W(x^k &minus; &gamma; g^k) + &beta;(x^k &minus; x^{k&minus;1}): the momentum acts on the whole
     * D-SGD step instead of on the gradient before mixing, which removes the momentum-amplified
     * inconsistency bias of decentralized momentum SGD at large batch. Yuan, Chen, Huang, Zhang, Pan, Xu and
     * Yin, "DecentLaM: Decentralized Momentum SGD for Large-batch Deep Training", ICCV 2021.
     */
    DECENTLAM("decentlam"),
    /**
     * QG-DSGDm, quasi-global momentum (heavy-ball form of Algorithm 1 of Lin, Karimireddy, Stich and Jaggi,
     * "Quasi-Global Momentum: Accelerating Decentralized Deep Learning on Heterogeneous Data", ICML 2021):
     * m = &beta; m&#770; + g; x^{k+1} = W(x^k &minus; &gamma;_k m); m&#770; &larr; &beta; m&#770; + (1 &minus; &beta;)(x^k &minus; x^{k+1})/&gamma;_k; m&#770;^0 = 0.
     * &gamma;_k and &beta; are the local updater's rate and {@link io.bluefog.optimizers.updaters.LocalUpdater#momentum()};
     * the updater's own state is not used.
     */
    QG_DSGDM("qg-dsgdm"),
    /**
     * Push-sum / Stochastic Gradient Push on a column-stochastic P (p_ij = 1/(outdeg(j)+1) over the topology's
     * edges): x_i &larr; x_i &minus; d(g(z_i)); [x; w]_i &larr; &Sigma;_j p_ij [x; w]_j; z_i = x_i / w_i; w^0 = 1. Assran, Loizou,
     * Ballas and Rabbat, "Stochastic Gradient Push for Distributed Deep Learning", ICML 2019.
     */
    PUSH_SUM("push-sum"),
    /**
     * CHOCO-SGD: local step, then gossip of compressed differences to public copies with consensus
     * step gamma; made by {@link io.bluefog.optimizers.algorithms.ChocoSgd#factory} (it needs a
     * compressor and gamma). Koloskova, Stich and Jaggi, ICML 2019; Koloskova et al., ICLR 2020.
     */
    CHOCO("choco"),
    /**
     * DiLoCo: H local steps, then the outer gradient x_start &minus; x averaged and applied by outer
     * Nesterov momentum; made by {@link io.bluefog.optimizers.algorithms.DiLoCo#factory} (it needs the
     * outer learning rate and momentum). Douillard et al., "DiLoCo: Distributed Low-Communication
     * Training of Language Models", arXiv:2311.08105, 2023.
     */
    DILOCO("diloco"),
    /**
     * Asynchronous push-sum over a one-sided window ({@code io.bluefog.optimizers.async.AsyncPushSum}): as
     * {@link #PUSH_SUM} on the static graph, but each rank accumulates its shares into its out-neighbors'
     * buffers and collects what has arrived, with no barrier. Assran, Loizou, Ballas and Rabbat, ICML 2019
     * (asynchronous SGP); BlueFog's {@code DistributedPushSumOptimizer}.
     */
    ASYNC_PUSH_SUM("async-push-sum"),
    /**
     * Asynchronous D-SGD with window puts ({@code io.bluefog.optimizers.async.WinPut}): x_i &larr; x_i &minus; d_i;
     * put x_i to the out-neighbors; x_i &larr; uniform average of x_i and the newest copies received. Lian et al.,
     * "Asynchronous Decentralized Parallel Stochastic Gradient Descent", ICML 2018; BlueFog's
     * {@code DistributedWinPutOptimizer}.
     */
    WIN_PUT("win-put");

    private final String cliName;

    Algorithm(String cliName) {
        this.cliName = cliName;
    }

    /**
     * @return true for the asynchronous algorithms on windows ({@link #ASYNC_PUSH_SUM}, {@link #WIN_PUT}):
     *         no barrier in a step, so their iterates depend on timing and have no serial reference
     */
    public boolean asynchronous() {
        return this == ASYNC_PUSH_SUM || this == WIN_PUT;
    }

    /** @return the name used by {@code --optimizer} */
    public String cliName() {
        return cliName;
    }

    /**
     * @param name a {@link #cliName()} (case-insensitive)
     * @throws IllegalArgumentException listing the valid names
     */
    public static Algorithm fromName(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        for (Algorithm a : values()) {
            if (a.cliName.equals(n)) {
                return a;
            }
        }
        StringBuilder valid = new StringBuilder();
        for (Algorithm a : values()) {
            valid.append(valid.length() == 0 ? "" : "|").append(a.cliName);
        }
        throw new IllegalArgumentException("optimizer must be one of " + valid + ", got '" + name + "'");
    }

    @Override
    public String toString() {
        return cliName;
    }
}
