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
        double max = 0;
        for (double v : symmetricEigenvalues(minusAverage(w))) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
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
        double[] lambda = symmetricEigenvalues(new DMatrixRMaj(t.weightMatrix()));
        return lambda[lambda.length - 2];
    }

    /** @return the eigenvalues of a symmetric matrix in ascending order */
    static double[] symmetricEigenvalues(DMatrixRMaj a) {
        int n = a.numRows;
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(n, false, true);
        if (!eig.decompose(a)) {
            throw new IllegalStateException("EJML symmetric eigen decomposition of a " + n + "x" + n
                    + " matrix did not converge");
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
