package io.bluefog.topology.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.topology.Topologies;
import io.bluefog.topology.Topology;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class SpectralTest {
    /** The issue's closed forms are given to 6 decimals. */
    private static final double SIX_DECIMALS = 5e-7;
    /** Decomposition accuracy for exact closed forms. */
    private static final double SPECTRAL_TOLERANCE = 1e-10;

    @ParameterizedTest
    @CsvSource({"8, 0.804738", "16, 0.949253"})
    void ringRhoMatchesIssue(int n, double expected) {
        assertEquals(expected, Spectral.rho(Topologies.ring(n)), SIX_DECIMALS);
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 5, 8, 11, 16, 33})
    void ringRhoIsLargestCosineEigenvalue(int n) {
        double expected = 0;
        for (int k = 1; k < n; k++) {
            expected = Math.max(expected, Math.abs(1.0 / 3 + 2.0 / 3 * Math.cos(2 * Math.PI * k / n)));
        }
        assertEquals(expected, Spectral.rho(Topologies.ring(n)), SPECTRAL_TOLERANCE);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 6, 8, 10, 16, 24, 64, 100})
    void exponentialRhoForEvenN(int n) {
        int tau = 32 - Integer.numberOfLeadingZeros(n - 1);
        double expected = 1 - 2.0 / (1 + tau);
        assertEquals(expected, Spectral.rho(Topologies.exponential(n)), SPECTRAL_TOLERANCE);
    }

    @ParameterizedTest
    @CsvSource({"8, 0.5", "16, 0.6", "64, 0.714286"})
    void exponentialRhoMatchesIssue(int n, double expected) {
        assertEquals(expected, Spectral.rho(Topologies.exponential(n)), SIX_DECIMALS);
    }

    @Test
    void torusThreeByThree() {
        assertEquals(0.4, Spectral.rho(Topologies.torus2d(3, 3)), SPECTRAL_TOLERANCE);
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 4, 7, 20})
    void starRhoIsOneMinusOneOverN(int n) {
        assertEquals(1 - 1.0 / n, Spectral.rho(Topologies.star(n)), SPECTRAL_TOLERANCE);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 5, 32})
    void fullyConnectedRhoIsZero(int n) {
        assertEquals(0.0, Spectral.rho(Topologies.fullyConnected(n)), SPECTRAL_TOLERANCE);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 8, 64})
    void hypercubeRho(int n) {
        int d = Integer.numberOfTrailingZeros(n);
        assertEquals((d - 1.0) / (d + 1), Spectral.rho(Topologies.hypercube(n)), SPECTRAL_TOLERANCE);
    }

    @Test
    void nonSymmetricMatrixUsesSvd() {
        // W = [[1, 0], [1, 0]]: W - J = [[1/2, -1/2], [1/2, -1/2]] has singular value 1.
        assertEquals(1.0, Spectral.rho(new double[][] {{1, 0}, {1, 0}}), SPECTRAL_TOLERANCE);
        // The exponential graph is not symmetric: SVD and the closed form agree.
        assertEquals(0.5, Spectral.rho(Topologies.exponential(8).weightMatrix()), SPECTRAL_TOLERANCE);
    }

    @Test
    void secondEigenvalueOfRing() {
        // lambda_2 = 1/3 + 2/3 cos(2 pi / n)
        assertEquals(1.0 / 3 + 2.0 / 3 * Math.cos(2 * Math.PI / 8),
                Spectral.secondLargestEigenvalue(Topologies.ring(8)), SPECTRAL_TOLERANCE);
        Topology directed = Topologies.exponential(8);
        assertThrows(IllegalArgumentException.class, () -> Spectral.secondLargestEigenvalue(directed));
    }

    /** Power iteration stops on a relative change of 1e-13 in rho^2; well-separated spectra converge far below this. */
    private static final double POWER_TOLERANCE = 1e-6;

    @Test
    void powerIterationAgreesWithDenseDecomposition() {
        Topology[] cases = {Topologies.ring(16), Topologies.exponential(12), Topologies.star(9),
            io.bluefog.topology.dynamic.Schedules.onePeerExponential(12).at(2), Topologies.mesh2d(3, 5)};
        for (Topology t : cases) {
            double dense = Spectral.rho(t.weightMatrix());
            double power = Spectral.rhoByPowerIteration(t, 1);
            assertEquals(dense, power, POWER_TOLERANCE, t.toString());
            assertTrue(power <= dense + 1e-12, "the Rayleigh quotient is a lower bound");
        }
    }

    @Test
    void degenerateSymmetricMatrixFallsBackToSvd() {
        // (I + P)/2 with P the shift by n/2 at n = 1024: EJML's symmetric QR does not converge on
        // W - J (eigenvalues 1 and 0, each 511/513 times); rho must still be 1.
        Topology t = io.bluefog.topology.dynamic.Schedules.onePeerExponential(1024).at(9);
        assertEquals(1.0, Spectral.rho(t), SPECTRAL_TOLERANCE);
    }
}
