package io.bluefog.optimizers;

import java.util.Random;

/**
 * The dense serial references' shared problem and arithmetic: rank i minimises
 * ½‖x − c_i‖² with heterogeneous centers c_i, its state is row i of an n × dim matrix, and one
 * mixing step is W·X (rows combined in index order, so the references are deterministic).
 */
final class SerialQuadratics {
    private SerialQuadratics() {
    }

    /** c_i[k] = (i + 1)(k − 1) + i²/2: different for every rank, so the average of the optima is not a rank's. */
    static double[][] centers(int n, int dim) {
        double[][] c = new double[n][dim];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < dim; k++) {
                c[i][k] = (i + 1) * (k - 1.0) + 0.5 * i * i;
            }
        }
        return c;
    }

    /** Standard normal starting points from {@code new Random(seed)}, row by row. */
    static double[][] starts(int n, int dim, long seed) {
        Random r = new Random(seed);
        double[][] x = new double[n][dim];
        for (double[] row : x) {
            for (int k = 0; k < dim; k++) {
                row[k] = r.nextGaussian();
            }
        }
        return x;
    }

    /** W·X. */
    static double[][] mul(double[][] w, double[][] x) {
        int n = x.length;
        int dim = x[0].length;
        double[][] y = new double[n][dim];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                for (int k = 0; k < dim; k++) {
                    y[i][k] += w[i][j] * x[j][k];
                }
            }
        }
        return y;
    }

    /** a·X + b·Y. */
    static double[][] lin(double a, double[][] x, double b, double[][] y) {
        double[][] z = new double[x.length][x[0].length];
        for (int i = 0; i < x.length; i++) {
            for (int k = 0; k < x[i].length; k++) {
                z[i][k] = a * x[i][k] + b * y[i][k];
            }
        }
        return z;
    }

    /** The n × n identity (no communication). */
    static double[][] identity(int n) {
        double[][] w = new double[n][n];
        for (int i = 0; i < n; i++) {
            w[i][i] = 1;
        }
        return w;
    }
}
