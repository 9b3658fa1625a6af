package io.bluefog.examples.data;

import java.util.Random;

/**
 * Gamma and Dirichlet sampling. Gamma(shape, 1) by Marsaglia and Tsang, "A Simple Method for
 * Generating Gamma Variables", ACM TOMS 26(3), 2000, with the boost
 * {@code Gamma(a) = Gamma(a + 1) * U^(1/a)} for shape &lt; 1; a Dirichlet vector is independent
 * gammas normalised to sum 1.
 */
final class Gamma {
    private Gamma() {
    }

    static double sample(double shape, Random rnd) {
        if (shape < 1) {
            double u = rnd.nextDouble();
            return sample(shape + 1, rnd) * Math.pow(u, 1.0 / shape);
        }
        double d = shape - 1.0 / 3.0;
        double c = 1.0 / Math.sqrt(9 * d);
        while (true) {
            double x;
            double v;
            do {
                x = rnd.nextGaussian();
                v = 1 + c * x;
            } while (v <= 0);
            v = v * v * v;
            double u = rnd.nextDouble();
            if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) {
                return d * v;
            }
        }
    }

    /** @return a draw of Dir(alpha, ..., alpha) of dimension k (non-negative, sums to 1) */
    static double[] dirichlet(double alpha, int k, Random rnd) {
        double[] g = new double[k];
        double sum = 0;
        for (int i = 0; i < k; i++) {
            g[i] = sample(alpha, rnd);
            sum += g[i];
        }
        if (sum == 0) {
            // All draws underflowed (tiny alpha): the limit of Dir(alpha) as alpha -> 0 puts all mass on one coordinate.
            g[rnd.nextInt(k)] = 1;
            return g;
        }
        for (int i = 0; i < k; i++) {
            g[i] /= sum;
        }
        return g;
    }
}
