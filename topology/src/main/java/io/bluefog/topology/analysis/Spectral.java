package io.bluefog.topology.analysis;

import io.bluefog.topology.Topology;
import io.bluefog.topology.TopologyValidation;
import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * Spectral quantities of mixing matrices, computed with EJML's dense decompositions (values only,
 * no vectors, so n = 1024 takes about a second).
 *
 * <p>{@code rho = ||W - 11^T/n||_2}, the largest singular value of {@code W - J}; the spectral gap
 * is {@code 1 - rho} (Koloskova et al., "A Unified Theory of Decentralized SGD with Changing
 * Topology and Local Updates", ICML 2020; lecture {@code 004}, "spectral gap"). For symmetric W the
 * singular values of the symmetric matrix {@code W - J} are the absolute values of its
 * eigenvalues, which EJML's symmetric solver finds several times faster than an SVD.
 */
public final class Spectral {
    private Spectral() {
    }

    /**
     * @param t mixing matrix, any size
     * @return {@code ||W - 11^T/n||_2}
     */
    public static double rho(Topology t) {
        return TopologyValidation.isSymmetric(t) ? rhoSymmetric(t.weightMatrix()) : rho(t.weightMatrix());
    }

    /**
     * @param w square matrix {@code n x n} (not modified)
     * @return the largest singular value of {@code W - 11^T/n}
     * @throws IllegalArgumentException if {@code w} is not square
     */
    public static double rho(double[][] w) {
        DMatrixRMaj a = minusAverage(w);
        int n = w.length;
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(n, n, false, false, true);
        if (!svd.decompose(a)) {
            throw new IllegalStateException("EJML SVD of a " + n + "x" + n + " matrix did not converge");
        }
        double max = 0;
        for (double s : svd.getSingularValues()) {
            max = Math.max(max, s);
        }
        return max;
    }

    /**
     * @param w symmetric matrix {@code n x n} (symmetry is the caller's promise; not checked)
     * @return the largest absolute eigenvalue of {@code W - 11^T/n}, which equals its spectral norm
     */
    public static double rhoSymmetric(double[][] w) {
        double[] lambda = symmetricEigenvalues(minusAverage(w));
        if (lambda == null) {
            // EJML's symmetric QR gives up on some highly degenerate spectra (seen on (I + P)/2 with P
            // the shift by n/2, n = 1024); the SVD converges there.
            return rho(w);
        }
        double max = 0;
        for (double v : lambda) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }

    /** Power iterations of {@link #rhoByPowerIteration} at most. */
    public static final int POWER_ITERATIONS = 5000;
    /** Relative change of the Rayleigh quotient at which {@link #rhoByPowerIteration} stops. */
    public static final double POWER_TOLERANCE = 1e-13;

    /**
     * {@code ||W - 11^T/n||_2} by power iteration on {@code (W - J)^T (W - J)} using the sparse rows
     * and columns of W: O(iterations * (n + E)) instead of a dense O(n^3) decomposition. The result
     * is a lower bound that converges to rho; when the top singular values are clustered within
     * {@code delta} (e.g. one shift of a long ring) it is accurate to about {@code delta}. Used for
     * the single-step diagnostics of schedules, where a dense SVD per matrix would dominate the run
     * time at n = 1024.
     *
     * @param t    mixing matrix
     * @param seed seed of the start vector
     */
    public static double rhoByPowerIteration(Topology t, long seed) {
        int n = t.size();
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = random.nextDouble() - 0.5;
        }
        normalize(x);
        double lambda = 0;
        double[] y = new double[n];
        double[] z = new double[n];
        for (int it = 0; it < POWER_ITERATIONS; it++) {
            applyMinusAverage(t, x, y, false);
            double next = dot(y, y);
            applyMinusAverage(t, y, z, true);
            double norm = Math.sqrt(dot(z, z));
            if (norm == 0) {
                return Math.sqrt(next);
            }
            for (int i = 0; i < n; i++) {
                x[i] = z[i] / norm;
            }
            boolean converged = Math.abs(next - lambda) <= POWER_TOLERANCE * next;
            lambda = next;
            if (converged) {
                break;
            }
        }
        return Math.sqrt(lambda);
    }

    /** out = (W - J) x, or (W - J)^T x when {@code transpose}. */
    private static void applyMinusAverage(Topology t, double[] x, double[] out, boolean transpose) {
        int n = t.size();
        double mean = 0;
        for (double v : x) {
            mean += v;
        }
        mean /= n;
        for (int i = 0; i < n; i++) {
            double v = t.selfWeight(i) * x[i];
            int[] nb = transpose ? t.outNeighbors(i) : t.inNeighbors(i);
            double[] w = transpose ? t.sendWeights(i) : t.recvWeights(i);
            for (int k = 0; k < nb.length; k++) {
                v += w[k] * x[nb[k]];
            }
            out[i] = v - mean;
        }
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static void normalize(double[] x) {
        double norm = Math.sqrt(dot(x, x));
        for (int i = 0; i < x.length; i++) {
            x[i] /= norm;
        }
    }

    /**
     * The second largest eigenvalue {@code lambda_2(W)} of a symmetric mixing matrix (for a
     * doubly stochastic W, {@code lambda_1 = 1}).
     *
     * @param t symmetric mixing matrix with n &ge; 2
     * @throws IllegalArgumentException if W is not symmetric or n &lt; 2
     */
    public static double secondLargestEigenvalue(Topology t) {
        if (t.size() < 2) {
            throw new IllegalArgumentException("second eigenvalue needs n >= 2, got n = " + t.size());
        }
        if (!TopologyValidation.isSymmetric(t)) {
            throw new IllegalArgumentException("second eigenvalue is defined here for symmetric W only");
        }
        DMatrixRMaj w = new DMatrixRMaj(t.weightMatrix());
        double[] lambda = symmetricEigenvalues(w.copy());
        if (lambda == null) {
            lambda = generalEigenvalues(w);
        }
        return lambda[lambda.length - 2];
    }

    /**
     * rho and lambda_2 of a symmetric, row-stochastic W from one symmetric eigen decomposition of W:
     * W1 = 1 and symmetry make 1 an eigenvector orthogonal to the others, so the spectrum of
     * {@code W - J} is that of W with one eigenvalue 1 replaced by 0.
     *
     * @param t symmetric, row-stochastic W (the caller's promise), n &ge; 2
     * @return {@code {rho, lambda_2}}
     */
    public static double[] rhoAndSecondEigenvalue(Topology t) {
        DMatrixRMaj w = new DMatrixRMaj(t.weightMatrix());
        double[] lambda = symmetricEigenvalues(w.copy());
        if (lambda == null) {
            return new double[] {rho(t.weightMatrix()), generalEigenvalues(w)[t.size() - 2]};
        }
        int one = 0;
        for (int k = 1; k < lambda.length; k++) {
            if (Math.abs(lambda[k] - 1) < Math.abs(lambda[one] - 1)) {
                one = k;
            }
        }
        double rho = 0;
        for (int k = 0; k < lambda.length; k++) {
            if (k != one) {
                rho = Math.max(rho, Math.abs(lambda[k]));
            }
        }
        return new double[] {rho, lambda[lambda.length - 2]};
    }

    /** @return the eigenvalues of a symmetric matrix in ascending order, or null if EJML did not converge */
    static double[] symmetricEigenvalues(DMatrixRMaj a) {
        int n = a.numRows;
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(n, false, true);
        if (!eig.decompose(a)) {
            return null;
        }
        double[] lambda = new double[n];
        for (int k = 0; k < n; k++) {
            lambda[k] = eig.getEigenvalue(k).getReal();
        }
        Arrays.sort(lambda);
        return lambda;
    }

    /** Real parts of the eigenvalues by EJML's general solver, ascending (fallback for symmetric input). */
    private static double[] generalEigenvalues(DMatrixRMaj a) {
        int n = a.numRows;
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(n, false, false);
        if (!eig.decompose(a)) {
            throw new IllegalStateException("EJML eigen decompositions of a " + n + "x" + n + " matrix did not converge");
        }
        double[] lambda = new double[n];
        for (int k = 0; k < n; k++) {
            lambda[k] = eig.getEigenvalue(k).getReal();
        }
        Arrays.sort(lambda);
        return lambda;
    }

    private static DMatrixRMaj minusAverage(double[][] w) {
        int n = w.length;
        DMatrixRMaj a = new DMatrixRMaj(n, n);
        double avg = 1.0 / n;
        for (int i = 0; i < n; i++) {
            if (w[i].length != n) {
                throw new IllegalArgumentException("matrix must be square: row " + i + " has " + w[i].length
                        + " columns, expected " + n);
            }
            for (int j = 0; j < n; j++) {
                a.unsafe_set(i, j, w[i][j] - avg);
            }
        }
        return a;
    }
}
