package io.bluefog.optimizers.pipeline;

/**
 * Immutable settings of {@link Pprs} (Algorithm 1 of Colin, Dos Santos and Scaman, "Theoretical
 * Limits of Pipeline Parallel Optimization and Application to Distributed Deep Learning",
 * NeurIPS 2019).
 *
 * @param iterations T &ge; 1
 * @param samples    K &ge; 1, perturbations per iteration (= micro-batches of one pipeline pass)
 * @param stepSize   η &gt; 0
 * @param smoothing  γ &ge; 0 (0: no smoothing, then K = 1 is enough)
 * @param momentum   μ_t: {@link Momentum#nesterov()} (the λ sequence), a constant, or none
 * @param seed       seed of the Gaussian perturbations X_k (see {@link Pprs#perturbations})
 */
public record PprsConfig(int iterations, int samples, double stepSize, double smoothing, Momentum momentum, long seed) {

    /** μ_t of Algorithm 1, step 6. */
    public sealed interface Momentum permits Momentum.Constant, Momentum.NesterovLambda {
        /** @return μ_t for iteration t = 0, 1, ... */
        double at(int t);

        /** μ_t = μ for every t; μ = 0 is gradient descent on the smoothed function. */
        record Constant(double mu) implements Momentum {
            public Constant {
                if (!(mu >= 0 && mu < 1)) {
                    throw new IllegalArgumentException("momentum mu = " + mu + " must be in [0, 1)");
                }
            }

            @Override
            public double at(int t) {
                return mu;
            }
        }

        /**
         * Nesterov's sequence as in the supplement's Lemma 1, which is Bubeck's Theorem 3.19
         * ("Convex Optimization: Algorithms and Complexity", 2015): λ_0 = 0,
         * λ_s = (1 + √(1 + 4λ_{s−1}²))/2 and μ = (λ_s − 1)/λ_{s+1}. Bubeck numbers the steps from
         * s = 1 (starting point y_1 = x_1), Algorithm 1 from t = 0 (y_0 = x_0), so step t uses
         * s = t + 1: μ_t = (λ_{t+1} − 1)/λ_{t+2}, hence μ_0 = 0, μ_1 = (λ_2 − 1)/λ_3 ≈ 0.28, → 1.
         * (The main text's Theorem 3 writes λ_{t−1}/λ_{t+1}; the issue asks for the supplement's.)
         */
        record NesterovLambda() implements Momentum {
            @Override
            public double at(int t) {
                double lambda = 0; // λ_0
                double cur = 0;
                for (int s = 1; s <= t + 1; s++) {
                    lambda = (1 + Math.sqrt(1 + 4 * lambda * lambda)) / 2;
                }
                cur = lambda; // λ_{t+1}
                double next = (1 + Math.sqrt(1 + 4 * cur * cur)) / 2; // λ_{t+2}
                return (cur - 1) / next;
            }
        }

        static Momentum nesterov() {
            return new NesterovLambda();
        }

        static Momentum constant(double mu) {
            return new Constant(mu);
        }

        static Momentum none() {
            return new Constant(0);
        }
    }

    /** @throws IllegalArgumentException naming the first invalid parameter */
    public PprsConfig {
        if (iterations < 1) {
            throw new IllegalArgumentException("iterations T = " + iterations + " must be >= 1");
        }
        if (samples < 1) {
            throw new IllegalArgumentException("samples K = " + samples + " must be >= 1");
        }
        if (!(stepSize > 0) || Double.isInfinite(stepSize)) {
            throw new IllegalArgumentException("stepSize eta = " + stepSize + " must be positive and finite");
        }
        if (!(smoothing >= 0) || Double.isInfinite(smoothing)) {
            throw new IllegalArgumentException("smoothing gamma = " + smoothing + " must be >= 0 and finite");
        }
        if (momentum == null) {
            throw new IllegalArgumentException("momentum must not be null");
        }
    }

    /**
     * Theorem 3's preset (supplement, eq. 13): γ = R d^{−1/4}/(T + 1), η = γ/L,
     * K = ⌈(T + 1)/√d⌉, μ_t from Nesterov's λ sequence; then E f(y_T) − f* ≤
     * 3LRd^{1/4}/(T + 1) + LRd^{−1/4}/(2K) for f convex and L-Lipschitz with ‖x_0 − θ*‖ ≤ R.
     *
     * @param iterations T
     * @param dimension  d, the number of parameters
     * @param radius     R &gt; 0
     * @param lipschitz  L &gt; 0
     */
    public static PprsConfig theorem3(int iterations, int dimension, double radius, double lipschitz, long seed) {
        if (dimension < 1 || !(radius > 0) || !(lipschitz > 0)) {
            throw new IllegalArgumentException("dimension = " + dimension + ", radius = " + radius + ", lipschitz = "
                    + lipschitz + ": all must be positive");
        }
        double gamma = radius * Math.pow(dimension, -0.25) / (iterations + 1);
        int k = (int) Math.ceil((iterations + 1) / Math.sqrt(dimension));
        return new PprsConfig(iterations, k, gamma / lipschitz, gamma, Momentum.nesterov(), seed);
    }

    /** The right-hand side of eq. 13 for this config's T and K. */
    public static double theorem3Bound(int iterations, int samples, int dimension, double radius, double lipschitz) {
        double q = Math.pow(dimension, 0.25);
        return 3 * lipschitz * radius * q / (iterations + 1) + lipschitz * radius / q / (2.0 * samples);
    }

    /** Gradient descent baseline: γ = 0, K = 1, μ = 0. */
    public static PprsConfig gradientDescent(int iterations, double stepSize) {
        return new PprsConfig(iterations, 1, stepSize, 0, Momentum.none(), 0);
    }

    /** Nesterov's accelerated gradient baseline: γ = 0, K = 1, μ_t from the λ sequence. */
    public static PprsConfig nesterov(int iterations, double stepSize) {
        return new PprsConfig(iterations, 1, stepSize, 0, Momentum.nesterov(), 0);
    }

    /** @return 2T(K + Δ − 1), the stage-steps of the whole run over Δ stages (the paper's time unit) */
    public long stageSteps(int stages) {
        return 2L * iterations * (samples + stages - 1);
    }
}
