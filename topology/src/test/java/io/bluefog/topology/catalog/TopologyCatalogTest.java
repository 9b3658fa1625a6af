package io.bluefog.topology.catalog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.topology.RingStyle;
import io.bluefog.topology.Stochasticity;
import io.bluefog.topology.Topologies;
import io.bluefog.topology.Topology;
import io.bluefog.topology.WeightRule;
import io.bluefog.topology.dynamic.DynamicTopology;
import io.bluefog.topology.dynamic.Schedules;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

class TopologyCatalogTest {

    @Test
    void meshShapeIsBlueFogsRule() {
        assertArrayEquals(new int[] {4, 6}, TopologyCatalog.meshShape(24));
        assertArrayEquals(new int[] {1, 7}, TopologyCatalog.meshShape(7));
        assertArrayEquals(new int[] {4, 4}, TopologyCatalog.meshShape(16));
        assertArrayEquals(new int[] {2, 3}, TopologyCatalog.meshShape(6));
        assertArrayEquals(new int[] {1, 1}, TopologyCatalog.meshShape(1));
        assertThrows(IllegalArgumentException.class, () -> TopologyCatalog.meshShape(0));
    }

    @Test
    void namesGiveTheFactoriesGraphs() {
        assertEquals(Topologies.ring(6), TopologyCatalog.topology(TopologyName.RING, 6));
        assertEquals(Topologies.ring(6, RingStyle.LEFT), TopologyCatalog.topology(TopologyName.parse("ring-left"), 6));
        assertEquals(Topologies.ring(6, RingStyle.RIGHT), TopologyCatalog.topology(TopologyName.RING_RIGHT, 6));
        assertEquals(Topologies.exponential(6), TopologyCatalog.schedule(TopologyName.EXPONENTIAL, 6).at(3));
        assertEquals(Topologies.symmetricExponential(6, 4), TopologyCatalog.topology(TopologyName.SYMMETRIC_EXPONENTIAL, 6));
        assertEquals(Topologies.symmetricExponential(16, 2), TopologyCatalog.topology(TopologyName.SYMMETRIC_EXPONENTIAL, 16,
                new CatalogParameters(2, 1L, 4, null, 0, 4)));
        assertEquals(Topologies.mesh2d(2, 3), TopologyCatalog.topology(TopologyName.MESH, 6));
        assertEquals(Topologies.torus2d(3, 3), TopologyCatalog.topology(TopologyName.TORUS, 9));
        assertEquals(Topologies.fullyConnected(5), TopologyCatalog.topology(TopologyName.parse("full"), 5));
        assertEquals(Topologies.star(5, 2), TopologyCatalog.topology(TopologyName.STAR, 5, new CatalogParameters(null, 1L, 4, null, 2, 4)));
        assertEquals(3, TopologyCatalog.schedule(TopologyName.ONE_PEER_EXPONENTIAL, 8).period());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TopologyCatalog.topology(TopologyName.ONE_PEER_EXPONENTIAL, 8));
        assertTrue(e.getMessage().contains("dynamic"), e.getMessage());
        for (TopologyName name : TopologyName.values()) {
            assertEquals(name, TopologyName.parse(name.id().toUpperCase()));
            assertEquals(16, TopologyCatalog.schedule(name, 16).size(), name.id());
        }
    }

    @Test
    void baseGraphNamesAreTheBaseGraphSchedules() {
        TopologyName[] names = {TopologyName.BASE_2, TopologyName.BASE_3, TopologyName.BASE_4, TopologyName.BASE_5};
        for (int k = 1; k <= 4; k++) {
            TopologyName name = TopologyName.parse("base-" + (k + 1));
            assertEquals(names[k - 1], name);
            assertTrue(name.isDynamic());
            DynamicTopology byName = TopologyCatalog.load(name.id(), 12, Stochasticity.DOUBLY);
            DynamicTopology direct = Schedules.baseGraph(12, k);
            assertEquals(direct.period(), byName.period());
            for (int t = 0; t < direct.period(); t++) {
                assertEquals(direct.at(t), byName.at(t), name + " t=" + t);
            }
        }
    }

    @Test
    void onePeerSchedules() {
        DynamicTopology exp = TopologyCatalog.onePeerSchedule(TopologyName.EXPONENTIAL, 8, CatalogParameters.DEFAULTS);
        for (int k = 0; k < 6; k++) {
            assertEquals(Schedules.onePeerExponential(8).at(k), exp.at(k));
        }
        DynamicTopology ring = TopologyCatalog.onePeerSchedule(TopologyName.RING, 6, CatalogParameters.DEFAULTS);
        assertEquals(Schedules.onePeerRotation(Topologies.ring(6)).at(1), ring.at(1));
    }

    @Test
    void loadNamesAndFilesWithValidation(@TempDir Path dir) throws Exception {
        assertEquals(Topologies.ring(6), TopologyCatalog.load("ring", 6, Stochasticity.DOUBLY).at(0));
        assertEquals(3, TopologyCatalog.load("one-peer-exponential", 8, Stochasticity.DOUBLY).period());
        Path file = dir.resolve("w.matrix");
        Files.writeString(file, "# 3-rank matrix\n0.5 0.25 0.25\n0.25,0.5,0.25\n0.25 0.25 0.5\n");
        assertEquals(0.25, TopologyCatalog.load(file.toString(), 3, Stochasticity.DOUBLY).at(0).weight(1, 0), 0.0);
        IllegalArgumentException wrongSize = assertThrows(IllegalArgumentException.class,
                () -> TopologyCatalog.load(file.toString(), 4, Stochasticity.DOUBLY));
        assertEquals(file + ": the matrix is 3 x 3 but 4 ranks were requested", wrongSize.getMessage());
        Path rowOnly = dir.resolve("row-only.csv");
        Files.writeString(rowOnly, "0.5,0.5,0\n0,0.5,0.5\n0,0.5,0.5\n");
        IllegalArgumentException notDoubly = assertThrows(IllegalArgumentException.class,
                () -> TopologyCatalog.load(rowOnly.toString(), 3, Stochasticity.DOUBLY));
        assertEquals(rowOnly + ": rank 0: column sum (self weight + send weights) is 0.5, expected 1 for a "
                + "doubly-stochastic matrix", notDoubly.getMessage());
        Path pushSum = dir.resolve("push-sum.matrix");
        Files.writeString(pushSum, "0.5 0 0\n0.5 0.5 0\n0 0.5 1\n");
        Topology p = TopologyCatalog.load(pushSum.toString(), 3, Stochasticity.COLUMN).at(0);
        assertArrayEquals(new int[] {1}, p.outNeighbors(0));
        assertThrows(IllegalArgumentException.class, () -> TopologyCatalog.load(pushSum.toString(), 3, Stochasticity.DOUBLY));
        // the edge list the tool writes is read by the same loader
        Path edges = dir.resolve("ring.txt");
        Files.writeString(edges, "size 4\n0 1\n1 2\n2 3\n3 0\n");
        // an unweighted undirected file gets Metropolis–Hastings weights (1/3 on the ring)
        assertEquals(WeightRule.METROPOLIS_HASTINGS.apply(Topologies.ring(4)),
                TopologyCatalog.load(edges.toString(), 4, Stochasticity.DOUBLY).at(0));
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> TopologyCatalog.load("torus-of-doom", 4, Stochasticity.DOUBLY));
        assertTrue(unknown.getMessage().startsWith("topology 'torus-of-doom' is neither a name (ring, "), unknown.getMessage());
        IllegalArgumentException hypercube = assertThrows(IllegalArgumentException.class,
                () -> TopologyCatalog.load("hypercube", 6, Stochasticity.DOUBLY));
        assertTrue(hypercube.getMessage().contains("power of 2"), hypercube.getMessage());
    }

    @Command(name = "probe")
    static final class Probe {
        @Option(names = "--topology", converter = TopologyName.Converter.class,
                completionCandidates = TopologyName.Candidates.class, description = "${COMPLETION-CANDIDATES}")
        TopologyName topology;
    }

    @Test
    void picocliConverterAndCandidates() {
        Probe probe = new Probe();
        new CommandLine(probe).parseArgs("--topology", "full");
        assertEquals(TopologyName.FULLY_CONNECTED, probe.topology);
        CommandLine.ParameterException e = assertThrows(CommandLine.ParameterException.class,
                () -> new CommandLine(new Probe()).parseArgs("--topology", "moebius"));
        assertTrue(e.getMessage().contains("unknown topology 'moebius'"), e.getMessage());
        List<String> candidates = new ArrayList<>();
        new TopologyName.Candidates().forEach(candidates::add);
        assertEquals(TopologyName.ids(), candidates);
        assertTrue(new CommandLine(new Probe()).getUsageMessage().contains("ring, ring-left, ring-right, exponential"));
    }
}
