package io.bluefog.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.topology.dynamic.DynamicTopology;
import io.bluefog.topology.dynamic.Schedules;
import org.junit.jupiter.api.Test;

class TopologyValidationTest {

    @Test
    void rowSumErrorNamesRankAndSum() {
        Topology t = Topology.fromWeightMatrix(new double[][] {{0.5, 0.5, 0}, {0, 0.5, 0.25}, {0.5, 0, 0.5}});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TopologyValidation.requireValid(t, Stochasticity.ROW));
        assertEquals("rank 1: row sum (self weight + receive weights) is 0.75, expected 1 for a row-stochastic matrix",
                e.getMessage());
    }

    @Test
    void columnSumErrorNamesRankAndSum() {
        Topology t = Topology.fromWeightMatrix(new double[][] {{0.5, 0.5}, {0.5, 0.5}, });
        TopologyValidation.requireValid(t, Stochasticity.DOUBLY);
        Topology skew = Topology.fromWeightMatrix(new double[][] {{0.5, 0.5}, {0.0, 1.0}});
        TopologyValidation.requireValid(skew, Stochasticity.ROW);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TopologyValidation.requireValid(skew, Stochasticity.DOUBLY));
        assertEquals("rank 0: column sum (self weight + send weights) is 0.5, expected 1 for a doubly-stochastic matrix",
                e.getMessage());
    }

    @Test
    void negativeWeightAndMissingSelfLoopAreNamed() {
        Topology negative = Topology.fromWeightMatrix(new double[][] {{1.5, -0.5}, {-0.5, 1.5}});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TopologyValidation.requireValid(negative, Stochasticity.DOUBLY));
        assertEquals("rank 0: weight -0.5 of in-neighbor 1 is negative", e.getMessage());
        Topology swap = Topology.fromWeightMatrix(new double[][] {{0, 1}, {1, 0}});
        e = assertThrows(IllegalArgumentException.class, () -> TopologyValidation.requireValid(swap, Stochasticity.DOUBLY));
        assertEquals("rank 0: self weight is 0.0; a positive self weight (self loop) is required", e.getMessage());
    }

    @Test
    void zeroSelfWeightOnlyWhenAllowed() {
        Topology swap = Topology.fromWeightMatrix(new double[][] {{0, 1}, {1, 0}});
        TopologyValidation.requireValid(swap, Stochasticity.DOUBLY, true);
        assertThrows(IllegalArgumentException.class, () -> TopologyValidation.requireValid(swap, Stochasticity.DOUBLY, false));
        Topology negative = Topology.fromWeightMatrix(new double[][] {{-0.5, 1.5}, {1.5, -0.5}});
        assertThrows(IllegalArgumentException.class, () -> TopologyValidation.requireValid(negative, Stochasticity.DOUBLY, true));
    }

    @Test
    void schedulesAreCheckedForSizeAndEveryIterationOfThePeriod() {
        TopologyValidation.requireValid(Schedules.onePeerExponential(8), 8, Stochasticity.DOUBLY);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TopologyValidation.requireValid(Schedules.staticTopology(Topologies.ring(3)), 4, Stochasticity.DOUBLY));
        assertEquals("the mixing matrix is 3 x 3 but the job has 4 ranks", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TopologyValidation.requireSize(Topologies.ring(5), 4));
        assertEquals("the mixing matrix is 5 x 5 but the job has 4 ranks", e.getMessage());
        // one-peer rotation over the star: at iteration 0 the center keeps 1/4 and sends only to rank 1 (weight 1/2)
        DynamicTopology star = Schedules.onePeerRotation(Topologies.star(4));
        TopologyValidation.requireValid(star, 4, Stochasticity.ROW);
        e = assertThrows(IllegalArgumentException.class, () -> TopologyValidation.requireValid(star, 4, Stochasticity.DOUBLY));
        assertTrue(e.getMessage().startsWith("iteration 0: rank 0: column sum (self weight + send weights) is 0.75"),
                e.getMessage());
    }
}
