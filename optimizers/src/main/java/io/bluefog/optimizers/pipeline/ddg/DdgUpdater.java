package io.bluefog.optimizers.pipeline.ddg;

/**
 * The update rule of one module with its (delayed) gradient g_k^t, applied in place to the flat
 * vector w_G(k). Keeps the module's optimizer state (velocity, moment vectors); one instance per
 * module.
 *
 * <ul>
 *   <li>{@link #sgd}: w ← w − γ g (thesis Algorithm 9, SGD-DDG, equation 5.9);</li>
 *   <li>{@link #momentum}: v ← μ v + g, w ← w − γ v (heavy-ball momentum, Polyak 1964, in the form
 *       PyTorch's SGD uses; the thesis's experiments train with SGD with momentum);</li>
 *   <li>{@link #adam}: thesis Algorithm 10, Adam-DDG: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
 *       m̂ = m/(1−β₁^{t+1}), v̂ = v/(1−β₂^{t+1}), w ← w − γ m̂/(√v̂ + ε), with t the global
 *       iteration (Kingma and Ba, ICLR 2015).</li>
 * </ul>
 * When the delayed iteration t − K + k is negative the gradient is 0 (equation 5.8) and the rule is
 * still applied (it moves nothing for SGD and momentum; Adam's moments decay, as in Algorithm 10).
 */
public final class DdgUpdater {
    /** The rule. */
    public enum Rule {
        SGD, MOMENTUM, ADAM
    }

    private final Rule rule;
    private final double learningRate;
    private final double momentum;
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private double[] first;
    private double[] second;

    private DdgUpdater(Rule rule, double learningRate, double momentum, double beta1, double beta2, double epsilon) {
        if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
            throw new IllegalArgumentException("learningRate = " + learningRate + " must be positive and finite");
        }
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("momentum = " + momentum + " must be in [0, 1)");
        }
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("beta1 = " + beta1 + ", beta2 = " + beta2 + " must be in [0, 1)");
        }
        if (!(epsilon > 0)) {
            throw new IllegalArgumentException("epsilon = " + epsilon + " must be positive");
        }
        this.rule = rule;
        this.learningRate = learningRate;
        this.momentum = momentum;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
    }

    /** Plain SGD with learning rate γ &gt; 0. */
    public static DdgUpdater sgd(double learningRate) {
        return new DdgUpdater(Rule.SGD, learningRate, 0, 0, 0, 1);
    }

    /** Heavy-ball momentum μ ∈ [0, 1) with learning rate γ &gt; 0. */
    public static DdgUpdater momentum(double learningRate, double momentum) {
        return new DdgUpdater(Rule.MOMENTUM, learningRate, momentum, 0, 0, 1);
    }

    /** Adam-DDG with the thesis's constants β₁ = 0.9, β₂ = 0.999, ε = 1e−8. */
    public static DdgUpdater adam(double learningRate) {
        return adam(learningRate, 0.9, 0.999, 1e-8);
    }

    /** Adam-DDG with the given constants. */
    public static DdgUpdater adam(double learningRate, double beta1, double beta2, double epsilon) {
        return new DdgUpdater(Rule.ADAM, learningRate, 0, beta1, beta2, epsilon);
    }

    /** @return a fresh updater with the same rule and constants and no state */
    public DdgUpdater copy() {
        return new DdgUpdater(rule, learningRate, momentum, beta1, beta2, epsilon);
    }

    public Rule rule() {
        return rule;
    }

    public double learningRate() {
        return learningRate;
    }

    /**
     * w ← update(w, g) in place.
     *
     * @param weights   w_G(k)^t, replaced by w_G(k)^{t+1}
     * @param gradient  g_k^t, the same length
     * @param iteration t &ge; 0, the global iteration (Adam's bias correction)
     * @throws IllegalArgumentException if the lengths differ from each other or from the first call
     */
    public void update(double[] weights, double[] gradient, long iteration) {
        if (weights.length != gradient.length) {
            throw new IllegalArgumentException("weights have " + weights.length + " entries but the gradient " + gradient.length);
        }
        if (iteration < 0) {
            throw new IllegalArgumentException("iteration = " + iteration + " must be >= 0");
        }
        int n = weights.length;
        if (first == null) {
            first = new double[n];
            second = rule == Rule.ADAM ? new double[n] : null;
        } else if (first.length != n) {
            throw new IllegalArgumentException("this updater holds state for " + first.length + " parameters, got " + n);
        }
        switch (rule) {
            case SGD -> {
                for (int i = 0; i < n; i++) {
                    weights[i] -= learningRate * gradient[i];
                }
            }
            case MOMENTUM -> {
                for (int i = 0; i < n; i++) {
                    first[i] = momentum * first[i] + gradient[i];
                    weights[i] -= learningRate * first[i];
                }
            }
            case ADAM -> {
                double c1 = 1 - Math.pow(beta1, iteration + 1);
                double c2 = 1 - Math.pow(beta2, iteration + 1);
                for (int i = 0; i < n; i++) {
                    double g = gradient[i];
                    first[i] = beta1 * first[i] + (1 - beta1) * g;
                    second[i] = beta2 * second[i] + (1 - beta2) * g * g;
                    double mHat = first[i] / c1;
                    double vHat = second[i] / c2;
                    weights[i] -= learningRate * mHat / (Math.sqrt(vHat) + epsilon);
                }
            }
            default -> throw new AssertionError(rule);
        }
    }
}
