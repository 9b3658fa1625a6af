package io.bluefog.collectives.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Serial reference for the contract tests: every rank generates every rank's input from fixed
 * seeds, so it can compute the expected result of a collective in double precision by multiplying
 * with the dense mixing matrix, and compare with what the distributed operation returned.
 */
public final class SerialReference {
    /** Float32 unit roundoff times a small safety factor; multiplied by the number of summed terms. */
    public static final double FLOAT_REL_TOL_PER_TERM = 4 * Math.ulp(1.0f);
    /** Float64 unit roundoff times a small safety factor; multiplied by the number of summed terms. */
    public static final double DOUBLE_REL_TOL_PER_TERM = 4 * Math.ulp(1.0);

    private SerialReference() {
    }

    /** @return relative tolerance for a result that sums {@code terms} products in {@code dtype} */
    public static double tolerance(DataType dtype, int terms) {
        return (dtype == DataType.DOUBLE ? DOUBLE_REL_TOL_PER_TERM : FLOAT_REL_TOL_PER_TERM) * (terms + 1);
    }

    /**
     * @return rank {@code r}'s input: {@code length} uniform values in [-1, 1) from seed
     *         {@code seed * 7919 + r}, rounded to {@code dtype}
     */
    public static double[] input(long seed, int r, int length, DataType dtype) {
        Random rnd = new Random(seed * 7919 + r);
        double[] v = new double[length];
        for (int i = 0; i < length; i++) {
            double x = rnd.nextDouble() * 2 - 1;
            v[i] = dtype == DataType.FLOAT ? (double) (float) x : x;
        }
        return v;
    }

    /** @return every rank's input, {@code [n][length]} */
    public static double[][] inputs(long seed, int n, int length, DataType dtype) {
        double[][] x = new double[n][];
        for (int r = 0; r < n; r++) {
            x[r] = input(seed, r, length, dtype);
        }
        return x;
    }

    /** @return row {@code i} of W times the stacked inputs: {@code sum_j W[i][j] x[j]} */
    public static double[] mix(double[][] w, double[][] x, int i) {
        double[] out = new double[x[0].length];
        for (int j = 0; j < w.length; j++) {
            if (w[i][j] != 0) {
                for (int e = 0; e < out.length; e++) {
                    out[e] += w[i][j] * x[j][e];
                }
            }
        }
        return out;
    }

    /** @return the element-wise mean of the rows */
    public static double[] mean(double[][] x) {
        double[] out = new double[x[0].length];
        for (double[] row : x) {
            for (int e = 0; e < out.length; e++) {
                out[e] += row[e] / x.length;
            }
        }
        return out;
    }

    /** @return a C-order array of {@code shape} holding {@code v} */
    public static INDArray array(double[] v, DataType dtype, long... shape) {
        return Nd4j.create(v, shape, 'c').castTo(dtype);
    }

    /** @return an array of {@code shape} filled with {@code value} */
    public static INDArray filled(double value, DataType dtype, long... shape) {
        return Nd4j.valueArrayOf(shape, value, dtype);
    }

    /**
     * Asserts {@code |actual - expected| <= relTol * max(1, max|expected|)} element-wise and the shape.
     */
    public static void assertClose(double[] expected, INDArray actual, double relTol, String what) {
        double[] got = actual.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        if (got.length != expected.length) {
            fail(what + ": expected " + expected.length + " elements, got " + got.length);
        }
        double scale = 1;
        for (double e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        for (int i = 0; i < got.length; i++) {
            if (!(Math.abs(got[i] - expected[i]) <= relTol * scale)) {
                fail(what + ": element " + i + " is " + got[i] + ", expected " + expected[i] + " (relative tolerance "
                        + relTol + ")");
            }
        }
    }

    /** Asserts the shape of {@code actual}. */
    public static void assertShape(INDArray actual, long... shape) {
        assertArrayEquals(shape, actual.shape(), "shape");
    }
}
