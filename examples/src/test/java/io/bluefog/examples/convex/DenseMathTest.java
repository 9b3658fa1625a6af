package io.bluefog.examples.convex;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Closed forms for the serial references' linear algebra. */
class DenseMathTest {
    private static final double TOL = 1e-14;

    @Test
    void choleskySolveMatchesTheInverse() {
        // H = [[4, 2], [2, 3]], H^-1 = [[3, -2], [-2, 4]] / 8, so H^-1 [2, 1] = [0.5, 0]
        double[][] h = {{4, 2}, {2, 3}};
        assertArrayEquals(new double[] {0.5, 0}, DenseMath.solveSpd(h, new double[] {2, 1}), TOL);
        assertArrayEquals(new double[] {4, 2}, h[0], "H is not modified");
    }

    @Test
    void notPositiveDefiniteIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> DenseMath.solveSpd(new double[][] {{1, 2}, {2, 1}}, new double[] {1, 1}));
    }

    @Test
    void largestEigenvalueOfSymmetricMatrices() {
        assertEquals(3.0, DenseMath.largestEigenvalue(new double[][] {{2, 1}, {1, 2}}), TOL);
        // diag(1, 5, 2): 5
        assertEquals(5.0, DenseMath.largestEigenvalue(new double[][] {{1, 0, 0}, {0, 5, 0}, {0, 0, 2}}), TOL);
    }
}
