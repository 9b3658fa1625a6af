package io.bluefog.examples.pipeline;

import io.bluefog.optimizers.pipeline.ChainFunction;
import io.bluefog.optimizers.pipeline.ChainFunctions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * f(θ) = ‖A_Δ ⋯ A_1 θ − b‖₁ over R^d as a chain of Δ links (issue 15's convex test problem):
 * A_i = I + 0.5 U_i/√d with U_i uniform on [−1, 1] entries (invertible for these sizes: diagonally
 * dominant), b = A_Δ⋯A_1 θ* with θ* uniform on [−1, 1]^d, so f* = 0 at θ*. L = √d ‖M‖_F bounds the
 * Lipschitz constant (‖Mu‖₁ ≤ √d ‖M‖₂ ‖u‖ ≤ √d ‖M‖_F ‖u‖); R = ‖θ*‖ from θ_0 = 0.
 *
 * @param chain     the Δ links
 * @param lipschitz L
 * @param radius    R
 */
public record L1ChainProblem(List<ChainFunction> chain, double lipschitz, double radius) {

    public static L1ChainProblem generate(int dimension, int stages, long seed) {
        if (dimension < 1 || stages < 1) {
            throw new IllegalArgumentException("dimension = " + dimension + " and stages = " + stages + " must be >= 1");
        }
        int d = dimension;
        SplittableRandom rnd = new SplittableRandom(seed);
        double[][] product = new double[d][d];
        for (int i = 0; i < d; i++) {
            product[i][i] = 1;
        }
        List<double[][]> as = new ArrayList<>();
        for (int s = 0; s < stages; s++) {
            double[][] a = new double[d][d];
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    a[i][j] = (i == j ? 1 : 0) + 0.5 * (rnd.nextDouble() * 2 - 1) / Math.sqrt(d);
                }
            }
            as.add(a);
            double[][] next = new double[d][d];
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    double v = 0;
                    for (int l = 0; l < d; l++) {
                        v += a[i][l] * product[l][j];
                    }
                    next[i][j] = v;
                }
            }
            product = next;
        }
        double[] thetaStar = new double[d];
        Arrays.setAll(thetaStar, i -> rnd.nextDouble() * 2 - 1);
        double[] b = new double[d];
        double frobenius = 0;
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                b[i] += product[i][j] * thetaStar[j];
                frobenius += product[i][j] * product[i][j];
            }
        }
        List<ChainFunction> chain = new ArrayList<>();
        for (int s = 0; s < stages - 1; s++) {
            chain.add(ChainFunctions.linear(as.get(s)));
        }
        chain.add(ChainFunctions.l1Residual(as.get(stages - 1), b));
        double radius = Math.sqrt(Arrays.stream(thetaStar).map(v -> v * v).sum());
        return new L1ChainProblem(List.copyOf(chain), Math.sqrt(d) * Math.sqrt(frobenius), radius);
    }
}
