package io.bluefog.collectives;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.config.BlueFogConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Validation of the value objects. */
class ValuesTest {
    @Test
    void neighborWeightsSortsAndValidates() {
        NeighborWeights w = NeighborWeights.of(0.5, new int[] {3, 1}, new double[] {0.2, 0.3});
        assertArrayEquals(new int[] {1, 3}, w.sources());
        assertArrayEquals(new double[] {0.3, 0.2}, w.sourceWeights());
        assertEquals(w, NeighborWeights.of(0.5, Map.of(3, 0.2, 1, 0.3)));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> NeighborWeights.of(1, new int[] {2, 2}, new double[] {1, 1})).getMessage().contains("2"));
        assertThrows(IllegalArgumentException.class, () -> NeighborWeights.of(1, new int[] {-1}, new double[] {1}));
        assertThrows(IllegalArgumentException.class, () -> NeighborWeights.of(Double.NaN, new int[0], new double[0]));
        assertThrows(IllegalArgumentException.class, () -> NeighborWeights.of(1, new int[] {1}, new double[0]));
    }

    @Test
    void dynamicNeighborsKeepsSourceOrderAndValidates() {
        DynamicNeighbors d = DynamicNeighbors.builder().selfWeight(0).source(5, 1).source(2, 0.5)
                .destination(7, 0.25).destination(1).checkConsistency(true).build();
        assertArrayEquals(new int[] {5, 2}, d.sources());
        assertArrayEquals(new int[] {1, 7}, d.destinations());
        assertArrayEquals(new double[] {1, 0.25}, d.destinationWeights());
        assertTrue(d.checkConsistency());
        assertThrows(IllegalArgumentException.class, () -> DynamicNeighbors.builder().source(1, 1).source(1, 2));
        assertThrows(IllegalArgumentException.class, () -> DynamicNeighbors.builder().destination(-2));
        assertThrows(IllegalArgumentException.class, () -> DynamicNeighbors.builder().destination(1, Double.POSITIVE_INFINITY));
    }

    @Test
    void configValidates() {
        assertThrows(IllegalArgumentException.class, () -> new CollectivesConfig(-1, 10));
        assertThrows(IllegalArgumentException.class, () -> new CollectivesConfig(10, 0));
        assertThrows(IllegalArgumentException.class, () -> new CollectivesConfig(1L << 31, 10));
        assertThrows(IllegalArgumentException.class, () -> new CollectivesConfig(10, 10, 4, false));
        assertThrows(IllegalArgumentException.class, () -> new CollectivesConfig(10, 10, 1L << 31, false));
        CollectivesConfig fromRuntime = CollectivesConfig.from(
                BlueFogConfig.defaults().withFusionThresholdBytes(1234).withTimeoutMillis(567));
        assertEquals(new CollectivesConfig(1234, 567), fromRuntime);
        assertEquals(8L << 20, CollectivesConfig.from(BlueFogConfig.defaults()).fusionThresholdBytes());
    }
}
