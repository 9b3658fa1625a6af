package io.bluefog.collectives.engine;

import static org.bytedeco.openblas.global.openblas_nolapack.cblas_daxpy;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_dcopy;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_dscal;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_saxpy;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_scopy;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_sscal;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * BLAS level 1 ({@code copy}, {@code scal}, {@code axpy}) on element ranges of flat, contiguous
 * float32/float64 ND4J CPU arrays, called straight into OpenBLAS (the library ND4J's CPU backend
 * itself calls for these operations). A range is a pointer position, so a pipelined exchange can
 * be combined chunk by chunk without creating an ND4J view per chunk. Counts are BLAS ints: callers
 * pass at most one pipeline chunk.
 */
final class FlatBlas {
    private FlatBlas() {
    }

    /**
     * @return a pointer of our own to {@code a}'s first element, typed by its dtype (ND4J's own
     *         pointer object is shared, so its position must not be moved)
     */
    static Pointer pointer(INDArray a) {
        Pointer base = a.data().addressPointer();
        return a.dataType() == DataType.DOUBLE ? new DoublePointer(base) : new FloatPointer(base);
    }

    /** y[yFrom..yFrom+n) = x[xFrom..xFrom+n) */
    static void copy(int n, Pointer x, long xFrom, Pointer y, long yFrom) {
        if (x instanceof DoublePointer dx) {
            cblas_dcopy(n, dx.position(xFrom), 1, ((DoublePointer) y).position(yFrom), 1);
        } else {
            cblas_scopy(n, ((FloatPointer) x).position(xFrom), 1, ((FloatPointer) y).position(yFrom), 1);
        }
    }

    /** x[from..from+n) *= a */
    static void scal(int n, double a, Pointer x, long from) {
        if (x instanceof DoublePointer dx) {
            cblas_dscal(n, a, dx.position(from), 1);
        } else {
            cblas_sscal(n, (float) a, ((FloatPointer) x).position(from), 1);
        }
    }

    /** a[..] *= f over the whole flat array, in BLAS-sized pieces. */
    static void scalAll(INDArray a, double f) {
        Pointer p = pointer(a);
        long n = a.length();
        for (long from = 0; from < n; from += Integer.MAX_VALUE) {
            scal((int) Math.min(Integer.MAX_VALUE, n - from), f, p, from);
        }
    }

    /** y[yFrom..yFrom+n) += a * x[xFrom..xFrom+n) */
    static void axpy(int n, double a, Pointer x, long xFrom, Pointer y, long yFrom) {
        if (x instanceof DoublePointer dx) {
            cblas_daxpy(n, a, dx.position(xFrom), 1, ((DoublePointer) y).position(yFrom), 1);
        } else {
            cblas_saxpy(n, (float) a, ((FloatPointer) x).position(xFrom), 1, ((FloatPointer) y).position(yFrom), 1);
        }
    }
}
