package io.bluefog.topology.dynamic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.topology.Topologies;
import io.bluefog.topology.Topology;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SchedulesTest {
    /** Products of tau matrices of halves: entries are dyadic, so exact up to rounding of sums. */
    private static final double EXACT_TOLERANCE = 1e-15;

    @Test
    void onePeerRotationOfExponential8MatchesBlueFogSequenceAtRank0() {
        DynamicTopology schedule = Schedules.onePeerRotation(Topologies.exponential(8));
        int[][] expected = {{1, 7}, {2, 6}, {4, 4}, {1, 7}, {2, 6}, {4, 4}};
        for (int k = 0; k < expected.length; k++) {
            Topology t = schedule.at(k);
            assertArrayEquals(new int[] {expected[k][0]}, t.outNeighbors(0), "send at k=" + k);
            assertArrayEquals(new int[] {expected[k][1]}, t.inNeighbors(0), "recv at k=" + k);
            assertEquals(0.5, t.selfWeight(0));
            assertArrayEquals(new double[] {0.5}, t.recvWeights(0));
        }
        assertEquals(3, schedule.period());
    }

    @Test
    void onePeerExponentialSendsToPowersOfTwo() {
        DynamicTopology schedule = Schedules.onePeerExponential(12);
        assertEquals(4, schedule.period());
        for (int k = 0; k < 9; k++) {
            int shift = 1 << (k % 4);
            Topology t = schedule.at(k);
            for (int i = 0; i < 12; i++) {
                assertArrayEquals(new int[] {(i + shift) % 12}, t.outNeighbors(i));
                assertArrayEquals(new double[] {0.5}, t.sendWeights(i));
                assertEquals(0.5, t.selfWeight(i));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {8, 16, 32, 64})
    void onePeerExponentialProductIsExactAverageForPowersOfTwo(int n) {
        double[][] p = periodProduct(Schedules.onePeerExponential(n), n);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                // Dyadic entries: the product is exactly 1/n in floating point, no tolerance.
                assertEquals(1.0 / n, p[i][j], 0.0, "entry (" + i + ", " + j + ")");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {6, 12})
    void onePeerExponentialProductIsNotExactAverageOtherwise(int n) {
        double[][] p = periodProduct(Schedules.onePeerExponential(n), n);
        double maxDev = 0;
        for (double[] row : p) {
            for (double v : row) {
                maxDev = Math.max(maxDev, Math.abs(v - 1.0 / n));
            }
        }
        assertTrue(maxDev > 1e-3, "max deviation from 1/n is " + maxDev);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 5, 8})
    void innerOuterRingMatchesBlueFogRule(int perMachine) {
        int machines = 3;
        DynamicTopology schedule = Schedules.innerOuterRing(machines * perMachine, perMachine);
        assertEquals(perMachine, schedule.period());
        for (int k = 0; k < 2 * perMachine + 1; k++) {
            Topology t = schedule.at(k);
            for (int r = 0; r < machines * perMachine; r++) {
                int expected = blueFogInnerOuterTarget(r, k, machines, perMachine, false);
                int[] out = t.outNeighbors(r);
                if (expected == r) {
                    assertEquals(0, out.length, "rank " + r + " idles at k=" + k);
                    assertEquals(1.0, t.selfWeight(r));
                } else {
                    assertArrayEquals(new int[] {expected}, out, "rank " + r + " at k=" + k);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 4, 5, 6, 8})
    void innerOuterExponentialMatchesBlueFogRule(int perMachine) {
        for (int machines : new int[] {2, 3, 5, 8}) {
            DynamicTopology schedule = Schedules.innerOuterExponential(machines * perMachine, perMachine);
            for (int k = 0; k < 3 * perMachine * 4; k++) {
                Topology t = schedule.at(k);
                for (int r = 0; r < machines * perMachine; r++) {
                    int expected = blueFogInnerOuterTarget(r, k, machines, perMachine, true);
                    assertArrayEquals(new int[] {expected}, t.outNeighbors(r),
                            "machines " + machines + ", rank " + r + " at k=" + k);
                    assertArrayEquals(new double[] {0.5}, t.recvWeights(r));
                }
            }
            int p = schedule.period();
            assertEquals(schedule.at(1), schedule.at(1 + p));
        }
    }

    @Test
    void onePeerRotationOfStarIsRowStochasticOnly() {
        // Leaves have one out-neighbor (the hub); the hub cycles through the leaves 1..4.
        DynamicTopology schedule = Schedules.onePeerRotation(Topologies.star(5));
        assertEquals(4, schedule.period());
        Topology t = schedule.at(1);
        assertArrayEquals(new int[] {1, 2, 3, 4}, t.inNeighbors(0));
        assertEquals(0.2, t.selfWeight(0), EXACT_TOLERANCE);
        assertArrayEquals(new int[] {2}, t.outNeighbors(0));
        assertArrayEquals(new int[] {0}, t.inNeighbors(2));
        assertEquals(0.5, t.selfWeight(2));
        assertEquals(1.0, t.selfWeight(3), "a leaf nobody sends to keeps its value");
        io.bluefog.topology.TopologyValidation.requireValid(t, io.bluefog.topology.Stochasticity.ROW);
        assertTrue(!io.bluefog.topology.TopologyValidation.isColumnStochastic(t));
    }

    @Test
    void staticScheduleRepeatsTheTopology() {
        Topology ring = Topologies.ring(5);
        DynamicTopology schedule = Schedules.staticTopology(ring);
        assertEquals(1, schedule.period());
        assertEquals(ring, schedule.at(12345678901L));
    }

    @Test
    void badArgumentsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Schedules.innerOuterRing(10, 4));
        assertTrue(e.getMessage().contains("ranksPerMachine"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Schedules.onePeerExponential(0));
        assertTrue(e.getMessage().startsWith("n "), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Schedules.onePeerExponential(4).at(-1));
        assertTrue(e.getMessage().contains("iteration"), e.getMessage());
        assertNotEquals(Schedules.onePeerExponential(4).at(0), Schedules.onePeerExponential(4).at(1));
    }

    /** Product W(tau-1) ... W(1) W(0) over one period. */
    static double[][] periodProduct(DynamicTopology schedule, int n) {
        double[][] p = identity(n);
        for (int k = 0; k < schedule.period(); k++) {
            p = multiply(schedule.at(k).weightMatrix(), p);
        }
        return p;
    }

    /**
     * The send target of BlueFog's GetInnerOuterRing/Exp2DynamicSendRecvRanks, written from its
     * definition (distance skipping the outgoing rank); the rank itself where our version idles.
     */
    private static int blueFogInnerOuterTarget(int rank, int k, int machines, int perMachine, boolean exp) {
        int machine = rank / perMachine;
        int local = rank % perMachine;
        int out = k % perMachine;
        if (local == out) {
            int dist = exp ? 1 << (k % (floorLog2(machines - 1) + 1)) : 1;
            return ((machine + dist) % machines) * perMachine + local;
        }
        if (perMachine == 2) {
            return rank;
        }
        int dist = exp ? 1 << (k % (floorLog2(perMachine - 2) + 1)) : 1;
        int distToOut = Math.floorMod(out - local, perMachine);
        if (dist >= distToOut) {
            dist++;
        }
        return machine * perMachine + (local + dist) % perMachine;
    }

    private static int floorLog2(int v) {
        return 31 - Integer.numberOfLeadingZeros(v);
    }

    static double[][] identity(int n) {
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) {
            m[i][i] = 1;
        }
        return m;
    }

    static double[][] multiply(double[][] a, double[][] b) {
        int n = a.length;
        double[][] c = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < n; k++) {
                if (a[i][k] != 0) {
                    for (int j = 0; j < n; j++) {
                        c[i][j] += a[i][k] * b[k][j];
                    }
                }
            }
        }
        return c;
    }
}
