package io.bluefog.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class WeightRuleTest {
    private static final double WEIGHT_TOLERANCE = 1e-12;

    /** Path 0 - 1 - 2: degrees 1, 2, 1. */
    private static Topology path3() {
        return Topologies.structure(3, i -> i == 1 ? new int[] {0, 2} : new int[] {1});
    }

    @Test
    void uniformPath() {
        Topology t = WeightRule.UNIFORM.apply(path3());
        assertEquals(0.5, t.selfWeight(0));
        assertEquals(1.0 / 3, t.weight(1, 0), WEIGHT_TOLERANCE);
        assertTrue(TopologyValidation.isRowStochastic(t));
        assertTrue(!TopologyValidation.isColumnStochastic(t), "uniform on an irregular graph is row stochastic only");
    }

    @Test
    void metropolisHastingsPath() {
        Topology t = WeightRule.METROPOLIS_HASTINGS.apply(path3());
        assertEquals(1.0 / 3, t.weight(0, 1), WEIGHT_TOLERANCE);
        assertEquals(2.0 / 3, t.selfWeight(0), WEIGHT_TOLERANCE);
        assertEquals(1.0 / 3, t.selfWeight(1), WEIGHT_TOLERANCE);
        TopologyValidation.requireValid(t, Stochasticity.DOUBLY);
    }

    @Test
    void maxDegreePath() {
        Topology t = WeightRule.MAX_DEGREE.apply(path3());
        assertEquals(1.0 / 3, t.weight(0, 1), WEIGHT_TOLERANCE);
        assertEquals(2.0 / 3, t.selfWeight(0), WEIGHT_TOLERANCE);
        assertEquals(1.0 / 3, t.selfWeight(1), WEIGHT_TOLERANCE);
    }

    @Test
    void bestConstantPath() {
        // Laplacian of the 3-path has eigenvalues 0, 1, 3: alpha = 2/(3 + 1) = 1/2.
        Topology t = WeightRule.BEST_CONSTANT.apply(path3());
        assertEquals(0.5, t.weight(0, 1), WEIGHT_TOLERANCE);
        assertEquals(0.5, t.selfWeight(0), WEIGHT_TOLERANCE);
        assertEquals(0.0, t.selfWeight(1), WEIGHT_TOLERANCE);
        TopologyValidation.requireSums(t, Stochasticity.DOUBLY);
    }

    @Test
    void bestConstantStarHasNegativeCenterWeight() {
        // Star with n = 5: Laplacian eigenvalues 0, 1, 1, 1, 5: alpha = 1/3, center keeps 1 - 4/3.
        Topology t = WeightRule.BEST_CONSTANT.apply(Topologies.star(5));
        assertEquals(1 - 4.0 / 3, t.selfWeight(0), WEIGHT_TOLERANCE);
        TopologyValidation.requireSums(t, Stochasticity.DOUBLY);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TopologyValidation.requireValid(t, Stochasticity.DOUBLY));
        assertTrue(e.getMessage().startsWith("rank 0: self weight"), e.getMessage());
    }

    @Test
    void bestConstantRejectsDisconnectedGraph() {
        Topology twoPairs = Topologies.structure(4, i -> new int[] {i ^ 1});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WeightRule.BEST_CONSTANT.apply(twoPairs));
        assertTrue(e.getMessage().contains("disconnected"), e.getMessage());
    }

    @Test
    void parseNames() {
        assertEquals(WeightRule.METROPOLIS_HASTINGS, WeightRule.parse("metropolis"));
        assertEquals(WeightRule.MAX_DEGREE, WeightRule.parse("max-degree"));
        assertEquals(WeightRule.BEST_CONSTANT, WeightRule.parse("BEST_CONSTANT"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WeightRule.parse("equal"));
        assertTrue(e.getMessage().contains("'equal'"), e.getMessage());
    }
}
