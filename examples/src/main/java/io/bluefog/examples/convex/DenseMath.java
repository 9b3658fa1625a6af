package io.bluefog.examples.convex;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.dense.row.factory.LinearSolverFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.ejml.interfaces.linsol.LinearSolverDense;

/**
 * The dense double-precision operations the serial references need (d is small): Cholesky solve and
 * symmetric eigenvalues from EJML, plus the vector products the problems use in their inner loops.
 */
final class DenseMath {
    private DenseMath() {
    }

    /**
     * Solves H z = r for a symmetric positive definite H by Cholesky factorisation (EJML's
     * {@code LinearSolverFactory_DDRM.chol}).
     *
     * @param h d x d, row-major, not modified
     * @param r length d
     * @throws IllegalArgumentException if H is not (numerically) positive definite
     */
    static double[] solveSpd(double[][] h, double[] r) {
        int d = r.length;
        LinearSolverDense<DMatrixRMaj> chol = LinearSolverFactory_DDRM.chol(d);
        if (!chol.setA(new DMatrixRMaj(h))) {
            throw new IllegalArgumentException("matrix is not positive definite (Cholesky factorisation failed)");
        }
        DMatrixRMaj z = new DMatrixRMaj(d, 1);
        chol.solve(new DMatrixRMaj(d, 1, true, r), z);
        return z.getData().clone();
    }

    /**
     * @return the largest eigenvalue of a symmetric matrix (EJML's symmetric eigenvalue decomposition)
     * @throws IllegalStateException if the decomposition does not converge
     */
    static double largestEigenvalue(double[][] h) {
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(h.length, false, true);
        if (!eig.decompose(new DMatrixRMaj(h))) {
            throw new IllegalStateException("eigenvalue decomposition of a " + h.length + "x" + h.length
                    + " symmetric matrix did not converge");
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < eig.getNumberOfEigenvalues(); i++) {
            max = Math.max(max, eig.getEigenvalue(i).getReal());
        }
        return max;
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
