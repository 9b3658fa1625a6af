package io.bluefog.examples.convex;

/** The few dense double-precision operations the serial references need (d is small). */
final class DenseMath {
    private DenseMath() {
    }

    /**
     * Solves H z = r for a symmetric positive definite H by Cholesky factorisation.
     *
     * @throws IllegalArgumentException if H is not (numerically) positive definite
     */
    static double[] solveSpd(double[][] h, double[] r) {
        int d = r.length;
        double[][] l = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j <= i; j++) {
                double s = h[i][j];
                for (int k = 0; k < j; k++) {
                    s -= l[i][k] * l[j][k];
                }
                if (i == j) {
                    if (!(s > 0)) {
                        throw new IllegalArgumentException("matrix is not positive definite (pivot " + i + " = " + s + ")");
                    }
                    l[i][i] = Math.sqrt(s);
                } else {
                    l[i][j] = s / l[j][j];
                }
            }
        }
        double[] y = new double[d];
        for (int i = 0; i < d; i++) {
            double s = r[i];
            for (int k = 0; k < i; k++) {
                s -= l[i][k] * y[k];
            }
            y[i] = s / l[i][i];
        }
        double[] z = new double[d];
        for (int i = d - 1; i >= 0; i--) {
            double s = y[i];
            for (int k = i + 1; k < d; k++) {
                s -= l[k][i] * z[k];
            }
            z[i] = s / l[i][i];
        }
        return z;
    }

    /** @return the largest eigenvalue of a symmetric positive semi-definite matrix (power iteration to 1e-14) */
    static double largestEigenvalue(double[][] h) {
        int d = h.length;
        double[] v = new double[d];
        java.util.Arrays.fill(v, 1.0 / Math.sqrt(d));
        double lambda = 0;
        for (int it = 0; it < 100_000; it++) {
            double[] w = multiply(h, v);
            double norm = norm(w);
            if (norm == 0) {
                return 0;
            }
            for (int i = 0; i < d; i++) {
                w[i] /= norm;
            }
            double next = dot(w, multiply(h, w));
            v = w;
            if (Math.abs(next - lambda) <= 1e-14 * Math.abs(next)) {
                return next;
            }
            lambda = next;
        }
        return lambda;
    }

    static double[] multiply(double[][] a, double[] x) {
        double[] y = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            y[i] = dot(a[i], x);
        }
        return y;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    static double norm(double[] a) {
        return Math.sqrt(dot(a, a));
    }
}
