package io.bluefog.optimizers.pipeline;

/**
 * One link f_i : R^m → R^n of a chain of functions f = f_Δ ∘ ⋯ ∘ f_1, the computation graphs of
 * Colin, Dos Santos and Scaman, "Theoretical Limits of Pipeline Parallel Optimization and
 * Application to Distributed Deep Learning" (NeurIPS 2019), given by its value and its
 * vector-Jacobian product (a subgradient where f_i is not differentiable). The last link returns
 * a vector of length 1, the objective.
 */
public interface ChainFunction {
    /** @return f_i(x) */
    double[] apply(double[] x);

    /**
     * @param x              the point
     * @param outputGradient v, length n
     * @return vᵀ J_{f_i}(x), length m
     */
    double[] vjp(double[] x, double[] outputGradient);
}
