package io.bluefog.optimizers.pipeline;

/**
 * Links for the convex test problem of issue 15, f(θ) = ‖A_Δ ⋯ A_1 θ − b‖₁ as the chain
 * f_i(h) = A_i h (i &lt; Δ), f_Δ(h) = ‖A_Δ h − b‖₁: convex, non-smooth, √m ‖A_Δ⋯A_1‖₂-Lipschitz,
 * minimum 0 at θ* = (A_Δ⋯A_1)^{−1} b when the A_i are invertible. Matrices are row-major
 * {@code double[rows][columns]}, copied on construction.
 */
public final class ChainFunctions {
    private ChainFunctions() {
    }

    private static double[][] copy(double[][] a) {
        if (a == null || a.length == 0 || a[0].length == 0) {
            throw new IllegalArgumentException("matrix must be non-empty");
        }
        double[][] c = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            if (a[i].length != a[0].length) {
                throw new IllegalArgumentException("matrix row " + i + " has " + a[i].length + " columns, row 0 has " + a[0].length);
            }
            c[i] = a[i].clone();
        }
        return c;
    }

    static double[] multiply(double[][] a, double[] x) {
        if (x.length != a[0].length) {
            throw new IllegalArgumentException("vector of length " + x.length + " for a matrix with " + a[0].length + " columns");
        }
        double[] y = new double[a.length];
        for (int r = 0; r < a.length; r++) {
            double s = 0;
            for (int c = 0; c < x.length; c++) {
                s += a[r][c] * x[c];
            }
            y[r] = s;
        }
        return y;
    }

    static double[] multiplyTransposed(double[][] a, double[] v) {
        double[] y = new double[a[0].length];
        for (int r = 0; r < a.length; r++) {
            for (int c = 0; c < y.length; c++) {
                y[c] += a[r][c] * v[r];
            }
        }
        return y;
    }

    /** h ↦ A h; vjp: v ↦ Aᵀ v. */
    public static ChainFunction linear(double[][] matrix) {
        double[][] a = copy(matrix);
        return new ChainFunction() {
            @Override
            public double[] apply(double[] x) {
                return multiply(a, x);
            }

            @Override
            public double[] vjp(double[] x, double[] g) {
                return multiplyTransposed(a, g);
            }
        };
    }

    /**
     * h ↦ [‖A h − b‖₁]; vjp: v ↦ v_0 Aᵀ sign(A h − b), with sign(0) = 0 (a subgradient).
     *
     * @throws IllegalArgumentException if b's length differs from A's rows
     */
    public static ChainFunction l1Residual(double[][] matrix, double[] b) {
        double[][] a = copy(matrix);
        double[] target = b.clone();
        if (target.length != a.length) {
            throw new IllegalArgumentException("b has length " + target.length + ", A has " + a.length + " rows");
        }
        return new ChainFunction() {
            @Override
            public double[] apply(double[] x) {
                double[] r = multiply(a, x);
                double s = 0;
                for (int i = 0; i < r.length; i++) {
                    s += Math.abs(r[i] - target[i]);
                }
                return new double[] {s};
            }

            @Override
            public double[] vjp(double[] x, double[] g) {
                double[] r = multiply(a, x);
                double[] v = new double[r.length];
                for (int i = 0; i < r.length; i++) {
                    v[i] = Math.signum(r[i] - target[i]) * g[0];
                }
                return multiplyTransposed(a, v);
            }
        };
    }
}
