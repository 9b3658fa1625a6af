package io.bluefog.collectives;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.bluefog.BlueFog;
import io.bluefog.BlueFogException;
import io.bluefog.collectives.window.WindowException;
import io.bluefog.config.BlueFogConfig;
import io.bluefog.collectives.window.Windows;
import io.bluefog.local.LocalCluster;
import io.bluefog.topology.Topologies;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Window failures end with a clear error, never a hang: a put into a window its destination is
 * freeing, and a rank that leaves or dies with windows open. In-JVM only (under mpirun a dead rank
 * ends the whole job).
 */
class WindowFailureTest {
    /** Timeout of these clusters; the JUnit guard allows several such waits. */
    private static final long TIMEOUT_MILLIS = 1500;
    private static final Duration GUARD = Duration.ofSeconds(60);

    /** A cluster whose windows and transport both wait {@link #TIMEOUT_MILLIS}. */
    private static LocalCluster cluster(int n) {
        return LocalCluster.builder(n).timeoutMillis(TIMEOUT_MILLIS)
                .config(BlueFogConfig.fromEnvironment().withTimeoutMillis(TIMEOUT_MILLIS)).build();
    }

    @Test
    void putIntoAWindowItsDestinationIsFreeingFailsWithWindowException() {
        LocalCluster cluster = cluster(2);
        List<String> seen = assertTimeoutPreemptively(GUARD, () -> cluster.call(bf -> {
            bf.setTopology(Topologies.ring(2));
            Windows win = Windows.of(bf);
            INDArray x = Nd4j.ones(DataType.DOUBLE, 3);
            win.winCreate("w", x, false);
            if (bf.rank() == 0) {
                win.winFree("w"); // marks the window freed at once, then waits for rank 1 in the barrier
                return "freed";
            }
            // rank 1 keeps putting until rank 0's free is seen; rank 0 starts freeing right away
            long deadline = System.nanoTime() + 10 * TIMEOUT_MILLIS * 1_000_000L;
            while (System.nanoTime() < deadline) {
                try {
                    win.winPut(x, "w");
                } catch (WindowException e) {
                    assertTrue(e.getMessage().contains("rank 0") && e.getMessage().contains("'w'"), e.getMessage());
                    win.winFree("w");
                    return "refused";
                }
            }
            win.winFree("w");
            return "never refused";
        }));
        assertEquals(List.of("freed", "refused"), seen);
    }

    @Test
    void aRankThatLeavesWithWindowsOpenMakesPeersFailWithTimeout() {
        LocalCluster cluster = cluster(3);
        Map<Integer, Throwable> errors = new ConcurrentHashMap<>();
        assertTimeoutPreemptively(GUARD, () -> cluster.run(bf -> {
            bf.setTopology(Topologies.exponential(3));
            Windows win = Windows.of(bf);
            INDArray x = Nd4j.ones(DataType.DOUBLE, 2);
            win.winCreate("w", x, false);
            if (bf.rank() == 2) {
                return; // leaves without freeing
            }
            // Puts served before rank 2's service has gone are fine; keep putting until one fails
            // (within GUARD), so the check does not depend on how fast rank 2 leaves.
            try {
                while (true) {
                    win.winPut(x, "w", 1.0, Map.of(2, 1.0));
                }
            } catch (BlueFogException e) {
                errors.put(bf.rank(), e);
            }
        }));
        assertEquals(2, errors.size(), "both peers of rank 2 got an error: " + errors);
        for (Throwable e : errors.values()) {
            assertTrue(e.getMessage().contains("2"), e.getMessage());
        }
    }

    @Test
    void aRankThatDiesWithWindowsOpenEndsEveryPeer() {
        LocalCluster cluster = cluster(3);
        Map<Integer, Throwable> errors = new ConcurrentHashMap<>();
        RuntimeException thrown = assertThrows(RuntimeException.class, () -> assertTimeoutPreemptively(GUARD,
                () -> cluster.run(bf -> {
                    bf.setTopology(Topologies.exponential(3));
                    Windows win = Windows.of(bf);
                    INDArray x = Nd4j.ones(DataType.DOUBLE, 2);
                    win.winCreate("w", x, false);
                    if (bf.rank() == 2) {
                        throw new IllegalStateException("rank 2 dies");
                    }
                    try {
                        for (int i = 0; i < 1_000_000; i++) {
                            win.winPut(x, "w");
                            win.winUpdate("w");
                        }
                    } catch (BlueFogException e) {
                        errors.put(bf.rank(), e);
                        throw e;
                    }
                })));
        assertTrue(String.valueOf(thrown.getMessage()).contains("rank 2 dies")
                || String.valueOf(thrown.getCause()).contains("rank 2 dies"), String.valueOf(thrown));
        assertEquals(2, errors.size(), "both surviving ranks ended with an error: " + errors);
    }
}
