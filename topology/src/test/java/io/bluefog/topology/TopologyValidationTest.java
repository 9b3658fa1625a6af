package io.bluefog.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
}
