package io.bluefog.topology.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    @ParameterizedTest
    @EnumSource(FileFormat.class)
    void roundTripKeepsTheMatrixExactly(FileFormat format) {
        for (Topology t : new Topology[] {Topologies.exponential(12), Topologies.mesh2d(3, 4), Topologies.ring(1)}) {
            StringWriter out = new StringWriter();
            TopologyFiles.write(t, format, out);
            Topology back = TopologyFiles.parse(out.toString(), format, 0, WeightRule.UNIFORM);
            assertEquals(t, back, format + " of " + t + ":\n" + out);
        }
    }

    @Test
    void unweightedUndirectedEdgeListGetsTheRule() {
        Topology t = TopologyFiles.parse("# path\n0 1\n1 2\n", FileFormat.EDGE_LIST, 0, WeightRule.METROPOLIS_HASTINGS);
        assertEquals(Topologies.mesh2d(1, 3), t);
    }

    @Test
    void directedWeightedEdgeListFillsSelfWeights() {
        Topology t = TopologyFiles.parse("directed\n0 1 0.5\n1 0 0.25\n", FileFormat.EDGE_LIST, 0, WeightRule.UNIFORM);
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
        Topology t = TopologyFiles.read(file, 0, WeightRule.UNIFORM);
        assertEquals(Topologies.fullyConnected(3), t);
    }

    @Test
    void dotDigraph() {
        Topology t = TopologyFiles.parse("digraph G { 0 -> 1; 1 -> 2; 2 -> 0; }", FileFormat.DOT, 0, WeightRule.UNIFORM);
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
                () -> TopologyFiles.parse("0 1\n", FileFormat.EDGE_LIST, 1, WeightRule.UNIFORM));
        assertTrue(e.getMessage().contains("rank 1 is outside 0..0"), e.getMessage());
        Path file = dir.resolve("broken.dot");
        Files.writeString(file, "digraph { 0 -> ");
        e = assertThrows(IllegalArgumentException.class, () -> TopologyFiles.read(file, 0, WeightRule.UNIFORM));
        assertTrue(e.getMessage().startsWith(file + ": cannot parse graph"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }

    private static void assertMessage(String expected, String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TopologyFiles.parse(text, FileFormat.EDGE_LIST, 0, WeightRule.UNIFORM));
        assertTrue(e.getMessage().startsWith(expected), e.getMessage());
    }
}
