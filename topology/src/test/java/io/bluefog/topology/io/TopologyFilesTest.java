package io.bluefog.topology.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.topology.RingStyle;
import io.bluefog.topology.Stochasticity;
import io.bluefog.topology.Topologies;
import io.bluefog.topology.Topology;
import io.bluefog.topology.WeightRule;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class TopologyFilesTest {

    /** Every format the tool writes is read back to an equal topology, through a file named as the tool names it. */
    @ParameterizedTest
    @EnumSource(FileFormat.class)
    void roundTripKeepsTheMatrixExactly(FileFormat format, @TempDir Path dir) throws Exception {
        String extension = switch (format) {
            case DOT -> ".dot";
            case GRAPHML -> ".graphml";
            case MATRIX -> ".matrix";
            case EDGE_LIST -> ".txt";
        };
        Topology[] doubly = {Topologies.exponential(12), Topologies.mesh2d(3, 4), Topologies.ring(1),
            Topologies.symmetricExponential(7), Topologies.star(5, 2), Topologies.ring(6, RingStyle.LEFT),
            WeightRule.MAX_DEGREE.apply(Topologies.erdosRenyi(9, 0.5, 3))};
        for (Topology t : doubly) {
            Path file = dir.resolve("t" + extension);
            try (java.io.Writer w = Files.newBufferedWriter(file)) {
                TopologyFiles.write(t, format, w);
            }
            assertEquals(format, FileFormat.of(file));
            assertEquals(t, TopologyFiles.read(file, t.size(), null, Stochasticity.DOUBLY), format + " of " + t);
        }
        // push-sum: column stochastic only (rank 0 sends half to rank 1, keeps half; rank 1 keeps all)
        Topology columnOnly = Topology.fromWeightMatrix(new double[][] {{0.5, 0.0}, {0.5, 1.0}});
        StringWriter out = new StringWriter();
        TopologyFiles.write(columnOnly, format, out);
        assertEquals(columnOnly, TopologyFiles.parse(out.toString(), format, 2, null, Stochasticity.COLUMN));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TopologyFiles.parse(out.toString(), format, 2, null, Stochasticity.DOUBLY));
        assertEquals("rank 0: row sum (self weight + receive weights) is 0.5, expected 1 for a doubly-stochastic matrix",
                e.getMessage());
    }

    @Test
    void denseMatrixFiles() {
        Topology t = TopologyFiles.parse("# 3 ranks\n0.5 0.25 0.25\n0.25,0.5,0.25\n\n0.25 0.25 0.5  # last\n",
                FileFormat.MATRIX, 3, null, Stochasticity.DOUBLY);
        assertEquals(0.25, t.weight(1, 0));
        assertEquals(0.5, t.selfWeight(2));
        assertMatrixMessage("the matrix is 3 x 3 but 4 ranks were requested", "1 0 0\n0 1 0\n0 0 1\n", 4);
        assertMatrixMessage("line 2: row 1 has 2 entries, row 0 has 3", "1 0 0\n0 1\n0 0 1\n", 0);
        assertMatrixMessage("the matrix has 2 rows of 3 entries", "1 0 0\n0 1 0\n", 0);
        assertMatrixMessage("line 1: entry 'x' is not a number", "x 1\n1 0\n", 0);
        assertMatrixMessage("rank 0: weight -0.5 of in-neighbor 1 is negative", "1.5 -0.5\n-0.5 1.5\n", 0);
        assertMatrixMessage("rank 1: self weight is 0.0", "0.5 0.5\n1 0\n", 0);
        assertMatrixMessage("rank 0: column sum (self weight + send weights) is 1.5", "1 0\n0.5 0.5\n", 0);
    }

    private static void assertMatrixMessage(String expected, String text, int size) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TopologyFiles.parse(text, FileFormat.MATRIX, size, null, Stochasticity.DOUBLY));
        assertTrue(e.getMessage().startsWith(expected), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void unweightedUndirectedEdgeListGetsTheRule() {
        Topology t = TopologyFiles.parse("# path\n0 1\n1 2\n", FileFormat.EDGE_LIST, 0, WeightRule.METROPOLIS_HASTINGS, Stochasticity.ROW);
        assertEquals(Topologies.mesh2d(1, 3), t);
    }

    @Test
    void directedWeightedEdgeListFillsSelfWeights() {
        Topology t = TopologyFiles.parse("directed\n0 1 0.5\n1 0 0.25\n", FileFormat.EDGE_LIST, 0, WeightRule.UNIFORM, Stochasticity.ROW);
        assertEquals(0.5, t.weight(1, 0));
        assertEquals(0.5, t.selfWeight(1));
        assertEquals(0.75, t.selfWeight(0));
    }

    @Test
    void undirectedGraphMlWithStringIds(@TempDir Path dir) throws Exception {
        String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\">\n"
                + "<graph id=\"G\" edgedefault=\"undirected\">\n"
                + "<node id=\"a\"/><node id=\"b\"/><node id=\"c\"/>\n"
                + "<edge source=\"a\" target=\"b\"/><edge source=\"b\" target=\"c\"/><edge source=\"c\" target=\"a\"/>\n"
                + "</graph></graphml>\n";
        Path file = dir.resolve("triangle.graphml");
        Files.writeString(file, xml);
        Topology t = TopologyFiles.read(file, 0, WeightRule.UNIFORM, Stochasticity.ROW);
        assertEquals(Topologies.fullyConnected(3), t);
    }

    @Test
    void dotDigraph() {
        Topology t = TopologyFiles.parse("digraph G { 0 -> 1; 1 -> 2; 2 -> 0; }", FileFormat.DOT, 0, WeightRule.UNIFORM, Stochasticity.ROW);
        assertArrayEquals(new int[] {0}, t.inNeighbors(1));
        assertArrayEquals(new int[] {1}, t.inNeighbors(2));
    }

    @Test
    void badFilesGiveOneClearLine(@TempDir Path dir) throws Exception {
        assertMessage("line 3: rank 9 is outside 0..3", "size 4\n0 1\n1 9\n");
        assertMessage("line 1: weight -0.5 is negative", "0 1 -0.5\n");
        assertMessage("line 2: either every edge has a weight or none has", "0 1 0.5\n1 2\n");
        assertMessage("line 1: rank 'x' is not an integer", "x 1\n");
        assertMessage("rank 0: row sum", "directed\n0 0 0.9\n1 0 0.5\n1 1 0.5\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TopologyFiles.parse("0 1\n", FileFormat.EDGE_LIST, 1, WeightRule.UNIFORM, Stochasticity.ROW));
        assertEquals("the file's ranks are 0..1 but 1 ranks were requested", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> TopologyFiles.parse("0 1\n1 2\n", FileFormat.EDGE_LIST, 4, WeightRule.UNIFORM, Stochasticity.ROW));
        assertEquals("the file's ranks are 0..2 but 4 ranks were requested", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> TopologyFiles.parse("size 3\n0 1\n", FileFormat.EDGE_LIST, 4, WeightRule.UNIFORM, Stochasticity.ROW));
        assertEquals("the file declares 3 ranks but 4 ranks were requested", e.getMessage());
        Path file = dir.resolve("broken.dot");
        Files.writeString(file, "digraph { 0 -> ");
        e = assertThrows(IllegalArgumentException.class, () -> TopologyFiles.read(file, 0, WeightRule.UNIFORM, Stochasticity.ROW));
        assertTrue(e.getMessage().startsWith(file + ": cannot parse graph"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }

    private static void assertMessage(String expected, String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TopologyFiles.parse(text, FileFormat.EDGE_LIST, 0, WeightRule.UNIFORM, Stochasticity.ROW));
        assertTrue(e.getMessage().startsWith(expected), e.getMessage());
    }
}
