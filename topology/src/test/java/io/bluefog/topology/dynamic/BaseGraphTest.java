package io.bluefog.topology.dynamic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.topology.Topology;
import io.bluefog.topology.TopologyValidation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Schedules.baseGraph against its defining properties (Takezawa et al., NeurIPS 2023). */
class BaseGraphTest {
    /**
     * Weights such as (k+1)^p / n are not dyadic, so the product over one period equals 1/n up to
     * rounding: a few dozen products and sums of doubles, each off by at most 2^-53 relative.
     */
    private static final double EXACT_AVERAGE_TOLERANCE = 1e-12;

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4})
    void productOverOnePeriodIsExactAverageForEverySizeUpTo64(int k) {
        for (int n = 1; n <= 64; n++) {
            DynamicTopology s = Schedules.baseGraph(n, k);
            double[][] p = product(s, s.period());
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    assertEquals(1.0 / n, p[i][j], EXACT_AVERAGE_TOLERANCE,
                            "n=" + n + " k=" + k + " entry (" + i + ", " + j + ")");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4})
    void everyMatrixIsSymmetricDoublyStochasticWithAtMostKNeighbors(int k) {
        for (int n = 1; n <= 64; n++) {
            DynamicTopology s = Schedules.baseGraph(n, k);
            for (int t = 0; t < s.period(); t++) {
                Topology w = s.at(t);
                String where = "n=" + n + " k=" + k + " t=" + t;
                assertTrue(TopologyValidation.isSymmetric(w), where);
                assertTrue(TopologyValidation.isRowStochastic(w), where);
                assertTrue(TopologyValidation.isColumnStochastic(w), where);
                assertTrue(TopologyValidation.isNonNegative(w), where);
                for (int i = 0; i < n; i++) {
                    assertTrue(w.inNeighbors(i).length <= k, where + " rank " + i + " has "
                            + w.inNeighbors(i).length + " neighbors");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4})
    void periodIsAtMostTwiceTheNumberOfDigitsPlusTwo(int k) {
        for (int n = 2; n <= 64; n++) {
            int digits = 0;
            for (long p = k + 1; p <= n; p *= k + 1) {
                digits++;
            }
            int period = Schedules.baseGraph(n, k).period();
            assertTrue(period <= 2 * digits + 2, "n=" + n + " k=" + k + " period " + period);
            assertTrue(period >= Math.ceil(Math.log(n) / Math.log(k + 1)) - 1e-9,
                    "n=" + n + " k=" + k + ": a degree-k graph cannot average n ranks in " + period + " steps");
        }
    }

    @Test
    void powersOfTheBaseAreTheHypercube() {
        // n = 8, k = 1: three rounds; at round r rank i pairs with i xor 2^r, weights 1/2.
        DynamicTopology s = Schedules.baseGraph(8, 1);
        assertEquals(3, s.period());
        for (int r = 0; r < 3; r++) {
            for (int i = 0; i < 8; i++) {
                assertEquals(i ^ (1 << r), s.at(r).inNeighbors(i)[0]);
                assertEquals(0.5, s.at(r).selfWeight(i));
            }
        }
    }

    @Test
    void base2With5RanksTakesFiveSteps() {
        // 5 = 4 + 1: two hypercube rounds on {0..3}, rank 4 joins with weight 4/5 to one rank of
        // each block (one block), then the block of 4 re-averages in two rounds.
        DynamicTopology s = Schedules.baseGraph(5, 1);
        assertEquals(5, s.period(), s.toString());
        assertEquals(0.2, s.at(2).selfWeight(4), 1e-15);
        assertEquals(0.8, s.at(2).recvWeights(4)[0], 1e-15);
    }

    @Test
    void badArgumentsNameTheParameter() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Schedules.baseGraph(0, 1))
                .getMessage().contains("n"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Schedules.baseGraph(4, 0))
                .getMessage().contains("maxDegree"));
    }

    static double[][] product(DynamicTopology s, int steps) {
        int n = s.size();
        double[][] p = new double[n][n];
        for (int i = 0; i < n; i++) {
            p[i][i] = 1;
        }
        for (int t = 0; t < steps; t++) {
            double[][] w = s.at(t).weightMatrix();
            double[][] q = new double[n][n];
            for (int i = 0; i < n; i++) {
                for (int m = 0; m < n; m++) {
                    if (w[i][m] != 0) {
                        for (int j = 0; j < n; j++) {
                            q[i][j] += w[i][m] * p[m][j];
                        }
                    }
                }
            }
            p = q;
        }
        return p;
    }
}
