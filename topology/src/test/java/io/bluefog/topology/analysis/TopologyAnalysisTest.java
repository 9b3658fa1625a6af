package io.bluefog.topology.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.topology.Topologies;
import io.bluefog.topology.Topology;
import io.bluefog.topology.dynamic.Schedules;
import org.junit.jupiter.api.Test;

class TopologyAnalysisTest {
    private static final double SPECTRAL_TOLERANCE = 1e-10;
    private static final long MODEL_FLOATS = 1_000_000;

    @Test
    void ringOfEight() {
        AnalysisReport r = TopologyAnalysis.analyze("ring", "uniform", Topologies.ring(8), MODEL_FLOATS);
        assertEquals(8, r.size());
        assertEquals(1, r.period());
        assertEquals(16, r.edgesPerIteration());
        assertEquals(4, r.diameter());
        assertTrue(r.symmetric());
        assertTrue(r.doublyStochastic());
        double rho = 1.0 / 3 + 2.0 / 3 * Math.cos(Math.PI / 4);
        assertEquals(rho, r.rho(), SPECTRAL_TOLERANCE);
        assertEquals(rho, r.secondEigenvalue(), SPECTRAL_TOLERANCE);
        assertEquals(1 - rho, r.spectralGap(), SPECTRAL_TOLERANCE);
        assertEquals(Math.pow(rho, 4) * 512 / Math.pow(1 - rho, 2), r.transientIid(), 1e-6);
        assertEquals(Math.pow(rho, 4) * 512 / Math.pow(1 - rho, 4), r.transientNonIid(), 1e-6);
        assertEquals(-1, r.stepsToExactAverage());
        assertEquals(2, r.maxMessagesPerRank());
        assertEquals(2 * 4.0 * MODEL_FLOATS, r.maxBytesPerRank());
        assertEquals(2.0 * 7 / 8 * 4.0 * MODEL_FLOATS, r.ringAllreduceBytesPerRank());
        double[] err = r.consensusError();
        assertTrue(err[0] < 1 && err[1] < err[0] && err[2] < err[1], java.util.Arrays.toString(err));
        // The error after k steps is bounded by rho^k for symmetric W.
        assertTrue(err[2] <= Math.pow(rho, 100) + 1e-12, "error after 100 steps " + err[2]);
    }

    @Test
    void fullyConnectedAveragesInOneStep() {
        AnalysisReport r = TopologyAnalysis.analyze("fully-connected", "uniform", Topologies.fullyConnected(6), 10);
        assertEquals(1, r.stepsToExactAverage());
        assertEquals(0.0, r.rho(), SPECTRAL_TOLERANCE);
        assertEquals(0.0, r.transientIid(), SPECTRAL_TOLERANCE);
        assertEquals(1, r.diameter());
    }

    @Test
    void onePeerExponentialOf64AveragesExactlyAfterSixSteps() {
        AnalysisReport r = TopologyAnalysis.analyze("one-peer-exponential", "one-peer",
                Schedules.onePeerExponential(64), MODEL_FLOATS);
        assertEquals(6, r.period());
        assertEquals(6, r.window());
        assertEquals(6, r.stepsToExactAverage());
        assertEquals(0.0, r.rhoProduct());
        assertEquals(1 - 1.0 / 6, r.rho(), 1e-15, "gap 1 spread over tau = 6 iterations");
        assertEquals(1, r.maxMessagesPerRank());
        assertEquals(1.0, r.meanMessagesPerRank());
        assertFalse(r.symmetric());
        assertTrue(r.doublyStochastic());
        assertEquals(6, r.diameter(), "union graph over a period is the exponential graph: diameter log2 n");
        assertEquals(0.0, r.consensusError()[1], 1e-12, "10 >= 6 steps: exact average");
        // A single step (I + P)/2 with a shift: rho = |(1 + e^{2 pi i s/n})/2| max = 1 for n even.
        assertEquals(1.0, r.rhoStepMax(), 1e-9);
    }

    @Test
    void onePeerExponentialOfTwelveDoesNotAverageExactly() {
        AnalysisReport r = TopologyAnalysis.analyze("one-peer-exponential", "one-peer",
                Schedules.onePeerExponential(12), MODEL_FLOATS);
        assertEquals(-1, r.stepsToExactAverage());
        assertTrue(r.rhoProduct() > 0.01 && r.rhoProduct() < 1, "rho of product " + r.rhoProduct());
        assertEquals(1 - (1 - r.rhoProduct()) / 4, r.rho(), 1e-12);
    }

    @Test
    void directedGraphWithoutReturnPathHasNoDiameter() {
        Topology oneWay = Topology.fromWeightMatrix(new double[][] {{1, 0}, {0.5, 0.5}});
        AnalysisReport r = TopologyAnalysis.analyze("custom", "explicit", oneWay, 1);
        assertEquals(-1, r.diameter());
        assertTrue(r.rowStochastic());
        assertFalse(r.columnStochastic());
    }

    @Test
    void jsonAndTableCarryEveryEntry() {
        AnalysisReport r = TopologyAnalysis.analyze("ring", "uniform", Topologies.ring(4), 1);
        String json = r.toJson();
        assertTrue(json.startsWith("{\"graph\": \"ring\", \"weights\": \"uniform\", \"size\": 4"), json);
        assertTrue(json.contains("\"rho\": "), json);
        assertTrue(r.toTable().contains("transient_iterations_non_iid"));
    }
}
