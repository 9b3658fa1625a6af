package io.bluefog.examples.pipeline;

import io.bluefog.optimizers.pipeline.ChainFunction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The supplement's hard non-smooth function (eq. 8 of the supplement to Colin, Dos Santos and
 * Scaman, NeurIPS 2019) with k = 0 and β = 0, f(θ) = δ max_i θ_i + (α/2)‖θ‖² over R^d (all d
 * coordinates in the max), as the supplement's chain of Δ links: f_1(θ) = (θ, δ max_i θ_i) ∈ R^{d+1},
 * identities, and f_Δ(θ, s) = s + (α/2)‖θ‖². The function does not depend on Δ. Its minimum is at
 * θ*_i = −δ/(αd), f* = −δ²/(2αd); a subgradient method from 0 moves one coordinate per step (the
 * first index of the maximum), so it needs at least d steps, while the Gaussian smoothing of PPRS
 * spreads the gradient over all coordinates. R = ‖θ*‖ = δ/(α√d) from θ_0 = 0, and L = δ + 2αR bounds
 * the Lipschitz constant on the ball of radius 2R around 0.
 *
 * @param chain the Δ links
 */
record MaxChainProblem(List<ChainFunction> chain, int dimension, double delta, double alpha) {

    /** @param stages Δ &ge; 2 (the first and the last link are different) */
    static MaxChainProblem generate(int dimension, int stages, double delta, double alpha) {
        if (dimension < 1 || stages < 2 || !(delta > 0) || !(alpha > 0)) {
            throw new IllegalArgumentException("dimension = " + dimension + " >= 1, stages = " + stages + " >= 2, delta = " + delta
                    + " > 0 and alpha = " + alpha + " > 0 are required");
        }
        int d = dimension;
        List<ChainFunction> chain = new ArrayList<>();
        chain.add(new ChainFunction() {
            @Override
            public double[] apply(double[] x) {
                double[] y = Arrays.copyOf(x, d + 1);
                y[d] = delta * x[argmax(x)];
                return y;
            }

            @Override
            public double[] vjp(double[] x, double[] g) {
                double[] v = Arrays.copyOf(g, d);
                v[argmax(x)] += delta * g[d];
                return v;
            }
        });
        for (int s = 1; s < stages - 1; s++) {
            chain.add(new ChainFunction() {
                @Override
                public double[] apply(double[] x) {
                    return x.clone();
                }

                @Override
                public double[] vjp(double[] x, double[] g) {
                    return g.clone();
                }
            });
        }
        chain.add(new ChainFunction() {
            @Override
            public double[] apply(double[] x) {
                double sq = 0;
                for (int i = 0; i < d; i++) {
                    sq += x[i] * x[i];
                }
                return new double[] {x[d] + alpha / 2 * sq};
            }

            @Override
            public double[] vjp(double[] x, double[] g) {
                double[] v = new double[d + 1];
                for (int i = 0; i < d; i++) {
                    v[i] = g[0] * alpha * x[i];
                }
                v[d] = g[0];
                return v;
            }
        });
        return new MaxChainProblem(List.copyOf(chain), d, delta, alpha);
    }

    /** @return the first index of the largest coordinate */
    static int argmax(double[] x) {
        int arg = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[arg]) {
                arg = i;
            }
        }
        return arg;
    }

    double optimum() {
        return -delta * delta / (2 * alpha * dimension);
    }

    double radius() {
        return delta / (alpha * Math.sqrt(dimension));
    }

    double lipschitz() {
        return delta + 2 * alpha * radius();
    }
}
