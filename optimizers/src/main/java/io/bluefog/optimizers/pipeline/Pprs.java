package io.bluefog.optimizers.pipeline;

import io.bluefog.collectives.pipeline.StageTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.sampling.distribution.ZigguratSampler;
import org.apache.commons.rng.simple.RandomSource;

/**
 * Pipeline Parallel Random Smoothing, Algorithm 1 of Colin, Dos Santos and Scaman, "Theoretical
 * Limits of Pipeline Parallel Optimization and Application to Distributed Deep Learning",
 * NeurIPS 2019:
 * <pre>
 * x_0 = y_0 = θ_0
 * for t = 0..T−1:
 *   g_k = ∇f(x_t + γX_k), X_k ~ N(0, I), k = 1..K   (the K micro-batches of one GPipe pass)
 *   G_t = (1/K) Σ_k g_k
 *   y_{t+1} = x_t − η G_t
 *   x_{t+1} = (1 + μ_t) y_{t+1} − μ_t y_t
 * return y_T
 * </pre>
 * with μ_t from {@link PprsConfig.Momentum} (Nesterov's λ sequence as in the supplement's Lemma 1,
 * i.e. Bubeck's Theorem 3.19, or a constant). γ = 0, K = 1 is gradient descent (μ = 0) or
 * Nesterov's accelerated gradient ({@link PprsConfig#nesterov}) over the same pipeline, the
 * paper's baselines. The paper starts from x_0 = 0; here θ_0 is an argument.
 *
 * <p>The function is the chain f = f_Δ ∘ ⋯ ∘ f_1 of the {@link GPipeEngine}'s stages, differentiated
 * with respect to the pipeline's input, so θ is the input of stage 0 and lives on stage 0's rank;
 * the other stages only take part in the passes. Every rank of the pipeline calls
 * {@link #run(GPipeEngine, double[])} with the same config (one pass per iteration, T in all).
 * {@link #runSerial} computes the same iterates with all stages in this thread (for reference and
 * for simulated-time experiments).
 */
public final class Pprs {
    private final PprsConfig config;

    /** Called on stage 0 after each iteration t (0-based) with G_t and y_{t+1}. */
    @FunctionalInterface
    public interface IterationListener {
        void iteration(int t, double[] averagedGradient, double[] y);
    }

    /** What a run produced on this rank; y and history are empty except on stage 0. */
    public record Result(double[] y, List<double[]> history, double[] lastStageLosses) {
        public Result {
            y = y.clone();
            history = List.copyOf(history);
            lastStageLosses = lastStageLosses.clone();
        }

        @Override
        public double[] y() {
            return y.clone();
        }

        @Override
        public double[] lastStageLosses() {
            return lastStageLosses.clone();
        }
    }

    public Pprs(PprsConfig config) {
        if (config == null) {
            throw new IllegalArgumentException("config must not be null");
        }
        this.config = config;
    }

    public PprsConfig config() {
        return config;
    }

    /**
     * The perturbations X_1..X_K of iteration t: standard Gaussian vectors drawn with Commons RNG's
     * ziggurat sampler from a XO_RO_SHI_RO_128_PP stream seeded with (seed, t), X_1's d coordinates
     * first. The same on every rank and every run.
     *
     * @return K arrays of length d
     */
    public static double[][] perturbations(long seed, int t, int samples, int dimension) {
        UniformRandomProvider rng = RandomSource.XO_RO_SHI_RO_128_PP.create(new long[] {seed, t});
        ZigguratSampler.NormalizedGaussian gauss = ZigguratSampler.NormalizedGaussian.of(rng);
        double[][] x = new double[samples][dimension];
        for (double[] row : x) {
            for (int i = 0; i < dimension; i++) {
                row[i] = gauss.sample();
            }
        }
        return x;
    }

    /**
     * Runs T iterations over the pipeline. Every rank of the pipeline calls this.
     *
     * @param engine this rank's engine (its stages must be differentiable with respect to their input)
     * @param theta0 stage 0: the starting point x_0 = y_0 (length d); other stages: ignored (may be null)
     * @return stage 0: y_T and the history y_1..y_T; last stage: the losses f(x_t + γX_k) of the final pass
     */
    public Result run(GPipeEngine engine, double[] theta0) {
        return run(engine, theta0, (t, g, y) -> { });
    }

    /** As {@link #run(GPipeEngine, double[])}, calling {@code listener} on stage 0 after each iteration. */
    public Result run(GPipeEngine engine, double[] theta0, IterationListener listener) {
        boolean first = engine.stageIndex() == 0;
        if (first && (theta0 == null || theta0.length == 0)) {
            throw new IllegalArgumentException("stage 0 needs a non-empty starting point theta0");
        }
        double[] weights = new double[config.samples()];
        Arrays.fill(weights, 1.0 / config.samples());
        double[] losses = new double[0];
        if (!first) {
            for (int t = 0; t < config.iterations(); t++) {
                losses = engine.run(null, weights).losses();
            }
            return new Result(new double[0], List.of(), losses);
        }
        return iterate(theta0, listener, points -> {
            List<StageTensor> inputs = new ArrayList<>(points.length);
            for (double[] p : points) {
                inputs.add(StageTensor.vector(p));
            }
            GPipeEngine.Pass pass = engine.run(inputs, weights);
            return new Object[] {pass.inputGradientSum(), pass.losses()};
        });
    }

    /**
     * Computes G_t for one iteration from its K points in whatever way the caller likes (e.g. the K
     * points as one batch of a network, for simulated-time experiments such as the paper's Section 6).
     */
    @FunctionalInterface
    public interface GradientOracle {
        /**
         * @param points the K points x_t + γX_k (x_t itself when γ = 0), each of length d; not to be modified
         * @return G_t = (1/K) Σ_k ∇f(points[k]), length d
         */
        double[] averagedGradient(double[][] points);
    }

    /**
     * The same iterates (x_t, y_t, the perturbations and μ_t of this config) with G_t from
     * {@code oracle}, in this thread.
     *
     * @throws IllegalArgumentException if theta0 is empty or the oracle is null
     * @throws IllegalStateException    if the oracle returns a gradient whose length is not d
     */
    public Result run(GradientOracle oracle, double[] theta0, IterationListener listener) {
        if (oracle == null) {
            throw new IllegalArgumentException("oracle must not be null");
        }
        if (theta0 == null || theta0.length == 0) {
            throw new IllegalArgumentException("theta0 must be non-empty");
        }
        return iterate(theta0, listener, points -> new Object[] {oracle.averagedGradient(points), new double[0]});
    }

    /**
     * The same iterates with the whole chain in this thread: g_k by the serial chain rule, weighted
     * 1/K and summed in micro-batch order as {@link GPipeEngine} does, so the two agree exactly.
     *
     * @param chain f_1..f_Δ; the last returns a vector of length 1
     */
    public Result runSerial(List<ChainFunction> chain, double[] theta0, IterationListener listener) {
        if (chain == null || chain.isEmpty()) {
            throw new IllegalArgumentException("chain must hold at least one function");
        }
        if (theta0 == null || theta0.length == 0) {
            throw new IllegalArgumentException("theta0 must be non-empty");
        }
        double w = 1.0 / config.samples();
        return iterate(theta0, listener, points -> {
            double[] sum = new double[theta0.length];
            double[] losses = new double[points.length];
            for (int k = 0; k < points.length; k++) {
                double[] g = gradient(chain, points[k], w, losses, k);
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += g[i];
                }
            }
            return new Object[] {sum, losses};
        });
    }

    /** The chain rule through {@code chain} at {@code x}, seeded with {@code seed}; the value goes to losses[k]. */
    static double[] gradient(List<ChainFunction> chain, double[] x, double seed, double[] losses, int k) {
        List<double[]> inputs = new ArrayList<>(chain.size());
        double[] h = x;
        for (ChainFunction f : chain) {
            inputs.add(h);
            h = f.apply(h);
        }
        losses[k] = h[0];
        double[] g = {seed};
        for (int i = chain.size() - 1; i >= 0; i--) {
            g = chain.get(i).vjp(inputs.get(i), g);
        }
        return g;
    }

    /** Evaluates f at x through the chain, in this thread. */
    public static double value(List<ChainFunction> chain, double[] x) {
        double[] h = x;
        for (ChainFunction f : chain) {
            h = f.apply(h);
        }
        return h[0];
    }

    @FunctionalInterface
    private interface Oracle {
        /** @return {Σ_k g_k/K (double[]), losses (double[])} */
        Object[] gradients(double[][] points);
    }

    private Result iterate(double[] theta0, IterationListener listener, Oracle oracle) {
        int d = theta0.length;
        double[] x = theta0.clone();
        double[] yPrev = theta0.clone();
        List<double[]> history = new ArrayList<>();
        double[] losses = new double[0];
        double gamma = config.smoothing();
        for (int t = 0; t < config.iterations(); t++) {
            double[][] points = new double[config.samples()][];
            double[][] noise = gamma == 0 ? null : perturbations(config.seed(), t, config.samples(), d);
            for (int k = 0; k < points.length; k++) {
                double[] p = x.clone();
                if (noise != null) {
                    for (int i = 0; i < d; i++) {
                        p[i] += gamma * noise[k][i];
                    }
                }
                points[k] = p;
            }
            Object[] out = oracle.gradients(points);
            double[] g = (double[]) out[0];
            losses = (double[]) out[1];
            if (g.length != d) {
                throw new IllegalStateException("the pipeline returned a gradient of length " + g.length + " for d = " + d);
            }
            double[] y = new double[d];
            double mu = config.momentum().at(t);
            for (int i = 0; i < d; i++) {
                y[i] = x[i] - config.stepSize() * g[i];
            }
            for (int i = 0; i < d; i++) {
                x[i] = (1 + mu) * y[i] - mu * yPrev[i];
            }
            yPrev = y;
            history.add(y.clone());
            listener.iteration(t, g.clone(), y.clone());
        }
        return new Result(yPrev, history, losses);
    }
}
