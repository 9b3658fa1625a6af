package io.bluefog.topology;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jgrapht.Graph;
import org.jgrapht.graph.DefaultEdge;
import org.jgrapht.graph.SimpleDirectedGraph;
import org.junit.jupiter.api.Test;

class TopologiesTest {
    private static final double WEIGHT_TOLERANCE = 1e-15;

    @Test
    void exponentialEightHasPowerOfTwoNeighbors() {
        Topology t = Topologies.exponential(8);
        assertArrayEquals(new int[] {1, 2, 4}, t.outNeighbors(0));
        assertArrayEquals(new int[] {4, 6, 7}, t.inNeighbors(0));
        assertEquals(0.25, t.selfWeight(3));
        assertArrayEquals(new double[] {0.25, 0.25, 0.25}, t.recvWeights(5));
    }

    @Test
    void exponentialBaseThreeUsesPowersOfThree() {
        Topology t = Topologies.exponential(10, 3);
        assertArrayEquals(new int[] {1, 3, 9}, t.outNeighbors(0));
        assertEquals(0.25, t.selfWeight(0));
    }

    @Test
    void symmetricExponentialIsSymmetric() {
        Topology t = Topologies.symmetricExponential(16, 2);
        assertArrayEquals(new int[] {1, 2, 4, 8, 12, 14, 15}, t.outNeighbors(0));
        assertTrue(TopologyValidation.isSymmetric(t));
        assertEquals(1.0 / 8, t.selfWeight(0), WEIGHT_TOLERANCE);
    }

    @Test
    void ringHasThirds() {
        Topology t = Topologies.ring(5);
        assertArrayEquals(new int[] {1, 4}, t.inNeighbors(0));
        assertEquals(1.0 / 3, t.weight(0, 4));
        assertEquals(1.0 / 3, t.selfWeight(2));
        double[][] two = Topologies.ring(2).weightMatrix();
        assertArrayEquals(new double[] {0.5, 0.5}, two[0]);
        assertArrayEquals(new double[][] {{1.0}}, Topologies.ring(1).weightMatrix());
    }

    @Test
    void meshUsesRowMajorRanksAndMetropolisWeights() {
        Topology t = Topologies.mesh2d(3, 4);
        assertArrayEquals(new int[] {1, 4}, t.inNeighbors(0));
        assertArrayEquals(new int[] {1, 4, 6, 9}, t.inNeighbors(5));
        // corner (degree 2) and edge rank 1 (degree 3): 1/(1 + 3)
        assertEquals(0.25, t.weight(0, 1), WEIGHT_TOLERANCE);
        assertEquals(1 - 0.25 - 0.25, t.selfWeight(0), WEIGHT_TOLERANCE);
        TopologyValidation.requireValid(t, Stochasticity.DOUBLY);
    }

    @Test
    void torusThreeByThreeHasFifths() {
        Topology t = Topologies.torus2d(3, 3);
        assertArrayEquals(new int[] {1, 2, 3, 6}, t.inNeighbors(0));
        assertEquals(0.2, t.selfWeight(4), WEIGHT_TOLERANCE);
        Topology thin = Topologies.torus2d(2, 4);
        assertEquals(3, thin.inDegree(0), "rows = 2: up and down neighbor coincide");
    }

    @Test
    void starMatchesBlueFogStarGraph() {
        int n = 6;
        Topology t = Topologies.star(n, 2);
        for (int i = 0; i < n; i++) {
            assertEquals(1.0 / n, t.weight(2, i), WEIGHT_TOLERANCE, "center row");
            if (i != 2) {
                assertEquals(1 - 1.0 / n, t.selfWeight(i), WEIGHT_TOLERANCE);
                assertEquals(1.0 / n, t.weight(i, 2), WEIGHT_TOLERANCE);
            }
        }
    }

    @Test
    void hypercubeFlipsOneBit() {
        Topology t = Topologies.hypercube(16);
        assertArrayEquals(new int[] {1, 2, 4, 8}, t.inNeighbors(0));
        assertArrayEquals(new int[] {4, 7, 13}, new int[] {t.inNeighbors(5)[1], t.inNeighbors(5)[2], t.inNeighbors(5)[3]});
        assertEquals(0.2, t.selfWeight(0), WEIGHT_TOLERANCE);
        assertThrows(IllegalArgumentException.class, () -> Topologies.hypercube(12));
    }

    @Test
    void randomGraphsAreSeededAndChecked() {
        Topology a = Topologies.randomRegular(20, 3, 7);
        assertEquals(a, Topologies.randomRegular(20, 3, 7));
        assertNotEquals(a, Topologies.randomRegular(20, 3, 8));
        for (int r = 0; r < 20; r++) {
            assertEquals(3, a.inDegree(r));
        }
        Topology er = Topologies.erdosRenyi(30, 0.3, 1);
        assertEquals(er, Topologies.erdosRenyi(30, 0.3, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Topologies.erdosRenyi(30, 0.0, 1));
        assertTrue(e.getMessage().contains("disconnected"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Topologies.randomRegular(7, 3, 1));
        assertTrue(e.getMessage().contains("even"), e.getMessage());
    }

    @Test
    void fromDirectedGraphFollowsEdgeDirection() {
        Graph<Integer, DefaultEdge> g = new SimpleDirectedGraph<>(DefaultEdge.class);
        for (int v = 0; v < 3; v++) {
            g.addVertex(v);
        }
        g.addEdge(0, 1);
        g.addEdge(1, 2);
        g.addEdge(2, 0);
        Topology t = Topologies.fromGraph(g, WeightRule.UNIFORM);
        assertArrayEquals(new int[] {0}, t.inNeighbors(1));
        assertArrayEquals(new int[] {2}, t.outNeighbors(1));
        assertEquals(0.5, t.weight(1, 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Topologies.fromGraph(g, WeightRule.METROPOLIS_HASTINGS));
        assertTrue(e.getMessage().contains("undirected"), e.getMessage());
    }

    @Test
    void badParametersAreNamed() {
        assertMessage("size n", () -> Topologies.ring(0));
        assertMessage("base", () -> Topologies.exponential(8, 1));
        assertMessage("rows", () -> Topologies.mesh2d(0, 3));
        assertMessage("center", () -> Topologies.star(4, 4));
        assertMessage("probability", () -> Topologies.erdosRenyi(4, 1.5, 0));
        assertMessage("degree", () -> Topologies.randomRegular(4, 4, 0));
    }

    @Test
    void lazyIsHalfIdentityPlusW() {
        // exponential(8): w_ii = w_ij = 1/4, so (I + W)/2 has 5/8 on the diagonal and 1/8 on edges
        Topology w = Topologies.exponential(8);
        Topology lazy = Topologies.lazy(w);
        assertEquals(5.0 / 8, lazy.selfWeight(3), WEIGHT_TOLERANCE);
        assertArrayEquals(w.inNeighbors(3), lazy.inNeighbors(3));
        assertArrayEquals(new double[] {1.0 / 8, 1.0 / 8, 1.0 / 8}, lazy.recvWeights(3), WEIGHT_TOLERANCE);
        Topology ring = Topologies.ring(5);
        double[][] dense = ring.weightMatrix();
        double[][] half = Topologies.lazy(ring).weightMatrix();
        for (int i = 0; i < 5; i++) {
            for (int j = 0; j < 5; j++) {
                assertEquals(((i == j ? 1 : 0) + dense[i][j]) / 2, half[i][j], WEIGHT_TOLERANCE, i + "," + j);
            }
        }
        assertTrue(TopologyValidation.isSymmetric(Topologies.lazy(ring)));
        assertEquals(1.0, Topologies.lazy(Topologies.ring(1)).selfWeight(0), WEIGHT_TOLERANCE);
        assertThrows(IllegalArgumentException.class, () -> Topologies.lazy(null));
    }

    private static void assertMessage(String fragment, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }
}
