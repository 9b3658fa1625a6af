package io.bluefog.topology;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every factory with a BlueFog counterpart against a serial reference written from the definition
 * in BlueFog's {@code topology_util.py}: a dense matrix {@code topo[i][j]} = weight of the edge
 * i -&gt; j (i sends to j), so ours is its transpose, {@code weight(j, i) == topo[i][j]}.
 */
class BlueFogGraphsTest {
    /** Reference and factory divide the same integers; a few ulps cover MH's subtraction order. */
    private static final double WEIGHT_TOLERANCE = 1e-15;

    /** BlueFog's circulant construction: {@code topo[i] = roll(x, i)}, x normalised to sum 1. */
    private static double[][] circulant(int n, IntPredicate keepOffset) {
        double[] x = new double[n];
        double sum = 0;
        for (int s = 0; s < n; s++) {
            x[s] = s == 0 || keepOffset.test(s) ? 1.0 : 0.0;
            sum += x[s];
        }
        double[][] topo = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                topo[i][j] = x[Math.floorMod(j - i, n)] / sum;
            }
        }
        return topo;
    }

    private static boolean isPowerOf(int x, int base) {
        long p = 1;
        while (p < x) {
            p *= base;
        }
        return p == x;
    }

    private static void assertMatches(double[][] topo, Topology t) {
        int n = topo.length;
        assertEquals(n, t.size());
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                assertEquals(topo[i][j], t.weight(j, i), WEIGHT_TOLERANCE, "edge " + i + " -> " + j + " of n = " + n);
            }
        }
    }

    @Test
    void symmetricExponentialKeepsOffsetsWhoseMirrorIsAPower() {
        for (int base = 2; base <= 5; base++) {
            for (int n = 1; n <= 40; n++) {
                final int size = n;
                final int b = base;
                assertMatches(circulant(n, s -> isPowerOf(Math.min(s, size - s), b)),
                        Topologies.symmetricExponential(n, base));
            }
        }
    }

    @ParameterizedTest(name = "n = {0}, base {1}")
    @CsvSource({
        "6, 4, '1, 5'",
        "7, 4, '1, 6'",
        "7, 2, '1, 2, 5, 6'",
        "11, 2, '1, 2, 4, 7, 9, 10'",
        "13, 2, '1, 2, 4, 9, 11, 12'",
        "14, 2, '1, 2, 4, 10, 12, 13'",
        "15, 2, '1, 2, 4, 11, 13, 14'"})
    void symmetricExponentialWherePowersLieBetweenHalfAndN(int n, int base, String expected) {
        int[] in = java.util.Arrays.stream(expected.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
        Topology t = Topologies.symmetricExponential(n, base);
        assertArrayEquals(in, t.inNeighbors(0));
        assertEquals(1.0 / (in.length + 1), t.selfWeight(0), WEIGHT_TOLERANCE);
    }

    @Test
    void symmetricExponentialDefaultsToBlueFogsBaseFour() {
        assertEquals(Topologies.symmetricExponential(12, 4), Topologies.symmetricExponential(12));
    }

    @Test
    void exponentialGraphsMatch() {
        for (int n = 1; n <= 40; n++) {
            assertMatches(circulant(n, s -> Integer.bitCount(s) == 1), Topologies.exponential(n));
            for (int base = 2; base <= 5; base++) {
                final int b = base;
                assertMatches(circulant(n, s -> isPowerOf(s, b)), Topologies.exponential(n, base));
            }
        }
    }

    @Test
    void ringStylesMatchRingGraph() {
        for (int n = 1; n <= 12; n++) {
            final int size = n;
            for (RingStyle style : RingStyle.values()) {
                double[][] topo;
                if (n == 1) {
                    topo = new double[][] {{1.0}};
                } else if (n == 2) {
                    topo = new double[][] {{0.5, 0.5}, {0.5, 0.5}};
                } else {
                    // connect style 0: x[0] = x[1] = x[-1] = 1/3; 1 (left): x[0] = x[-1] = 1/2; 2 (right): x[0] = x[1] = 1/2
                    IntPredicate keep = switch (style) {
                        case BIDIRECTIONAL -> s -> s == 1 || s == size - 1;
                        case LEFT -> s -> s == size - 1;
                        case RIGHT -> s -> s == 1;
                    };
                    topo = circulant(n, keep);
                }
                assertMatches(topo, Topologies.ring(n, style));
            }
            assertEquals(Topologies.ring(n, RingStyle.BIDIRECTIONAL), Topologies.ring(n));
        }
        Topology right = Topologies.ring(5, RingStyle.RIGHT);
        assertArrayEquals(new int[] {4}, right.inNeighbors(0));
        assertArrayEquals(new int[] {1}, right.outNeighbors(0));
        Topology left = Topologies.ring(5, RingStyle.LEFT);
        assertArrayEquals(new int[] {1}, left.inNeighbors(0));
        TopologyValidation.requireValid(left, Stochasticity.DOUBLY);
        assertThrows(IllegalArgumentException.class, () -> Topologies.ring(5, null));
    }

    @Test
    void fullyConnectedMatches() {
        for (int n = 1; n <= 12; n++) {
            assertMatches(circulant(n, s -> true), Topologies.fullyConnected(n));
        }
    }

    @Test
    void starMatchesStarGraph() {
        for (int n = 1; n <= 12; n++) {
            for (int center = 0; center < n; center += Math.max(1, n / 3)) {
                double[][] topo = new double[n][n];
                for (int i = 0; i < n; i++) {
                    topo[i][i] = 1 - 1.0 / n;
                    topo[center][i] = 1.0 / n;
                    topo[i][center] = 1.0 / n;
                }
                assertMatches(topo, Topologies.star(n, center));
            }
        }
    }

    @Test
    void meshMatchesMeshGrid2DGraphWithHastingsWeights() {
        for (int rows = 1; rows <= 5; rows++) {
            for (int cols = 1; cols <= 5; cols++) {
                int n = rows * cols;
                double[][] topo = new double[n][n];
                for (int i = 0; i < n; i++) {
                    topo[i][i] = 1.0;
                    if ((i + 1) % cols != 0) {
                        topo[i][i + 1] = 1.0;
                        topo[i + 1][i] = 1.0;
                    }
                    if (i + cols < n) {
                        topo[i][i + cols] = 1.0;
                        topo[i + cols][i] = 1.0;
                    }
                }
                int[] withSelf = new int[n];
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        withSelf[i] += topo[i][j] != 0 ? 1 : 0;
                    }
                }
                for (int i = 0; i < n; i++) {
                    double sum = 0;
                    for (int j = 0; j < n; j++) {
                        if (i != j && topo[i][j] != 0) {
                            topo[i][j] = 1.0 / Math.max(withSelf[i], withSelf[j]);
                            sum += topo[i][j];
                        }
                    }
                    topo[i][i] = 1.0 - sum;
                }
                assertMatches(topo, Topologies.mesh2d(rows, cols));
            }
        }
    }
}
