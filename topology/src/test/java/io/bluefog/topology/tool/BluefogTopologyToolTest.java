package io.bluefog.topology.tool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.topology.Stochasticity;
import io.bluefog.topology.Topologies;
import io.bluefog.topology.WeightRule;
import io.bluefog.topology.io.FileFormat;
import io.bluefog.topology.io.TopologyFiles;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The CLI run in-process through picocli: exit status, stdout and the one-line errors on stderr. */
class BluefogTopologyToolTest {

    /** Output of one run. */
    private record Run(int status, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = BluefogTopologyTool.execute(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(status, out.toString(), err.toString());
    }

    private static String value(String table, String key) {
        for (String line : table.split("\\R")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 2 && f[0].equals(key)) {
                return f[1];
            }
        }
        throw new AssertionError("no " + key + " in\n" + table);
    }

    @Test
    void analyzeExponential64() {
        Run r = run("analyze", "--graph", "exponential", "--size", "64");
        assertEquals(0, r.status(), r.err());
        assertEquals("", r.err());
        assertEquals("0.714286", value(r.out(), "rho"));
        assertEquals("6", value(r.out(), "max_out_degree"));
        assertEquals("true", value(r.out(), "doubly_stochastic"));
    }

    @Test
    void analyzeRingWithMetropolisAsJson() {
        Run r = run("analyze", "--graph", "ring", "--size", "8", "--weights", "metropolis", "--json");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().startsWith("{\"graph\": \"ring\", \"weights\": \"metropolis\", \"size\": 8"), r.out());
        // Metropolis on the ring is also 1/3 everywhere: rho = 1/3 + 2/3 cos(pi/4).
        assertTrue(r.out().contains("\"rho\": 0.80473785412436"), r.out());
    }

    @Test
    void analyzeOnePeerExponential() {
        Run r = run("analyze", "--graph", "one-peer-exponential", "--size", "16");
        assertEquals(0, r.status(), r.err());
        assertEquals("4", value(r.out(), "steps_to_exact_average"));
        assertEquals("0.000000", value(r.out(), "rho_product"));
        assertEquals("0.750000", value(r.out(), "rho"));
        assertEquals("1", value(r.out(), "max_messages_per_rank"));
    }

    @Test
    void analyzeBase2ReportsStepsToExactAverageWhereOnePeerExponentialHasNone() {
        // 12 = 8 + 4 in base 2 (k = 1): the schedule's own period reaches 11^T/12.
        Run base = run("analyze", "--graph", "base-2", "--size", "12");
        assertEquals(0, base.status(), base.err());
        String period = value(base.out(), "period");
        assertEquals(period, value(base.out(), "steps_to_exact_average"));
        assertEquals("1", value(base.out(), "max_messages_per_rank"));
        assertEquals("base-graph", value(base.out(), "weights"));
        Run exp = run("analyze", "--graph", "one-peer-exponential", "--size", "12");
        assertEquals(0, exp.status(), exp.err());
        assertEquals("-1", value(exp.out(), "steps_to_exact_average"));
    }

    @Test
    void analyzeFileAndExportRoundTrip(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("torus.graphml");
        Run export = run("export", "--graph", "torus", "--size", "9", "--format", "graphml", "-o", file.toString());
        assertEquals(0, export.status(), export.err());
        assertEquals(Topologies.torus2d(3, 3), TopologyFiles.read(file, 0, WeightRule.UNIFORM, Stochasticity.ROW));
        Run r = run("analyze", "--file", file.toString());
        assertEquals(0, r.status(), r.err());
        assertEquals("0.400000", value(r.out(), "rho"));
    }

    /** Every format export writes is read back by analyze --file (the jobs' reader) to the same graph. */
    @ParameterizedTest
    @ValueSource(strings = {"g.dot", "g.graphml", "g.matrix", "g.csv", "g.txt"})
    void everyExportedFormatIsReadBack(String name, @TempDir Path dir) {
        Path file = dir.resolve(name);
        Run export = run("export", "--graph", "symmetric-exponential", "--size", "12", "-o", file.toString());
        assertEquals(0, export.status(), export.err());
        assertEquals(Topologies.symmetricExponential(12, 4),
                TopologyFiles.read(file, 12, null, Stochasticity.DOUBLY));
        Run r = run("analyze", "--file", file.toString(), "--require", "doubly", "--json");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("\"size\": 12"), r.out());
    }

    @Test
    void exportDotToStdout() {
        Run r = run("export", "--graph", "ring", "--size", "3", "--format", "dot");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("digraph"), r.out());
        assertTrue(r.out().contains("2 -> 0 [ weight=\"0.3333333333333333\" ];"), r.out());
        assertEquals(Topologies.ring(3), TopologyFiles.parse(r.out(), FileFormat.DOT, 0, WeightRule.UNIFORM, Stochasticity.ROW));
    }

    @Test
    void compareWritesTableAndPng(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("cmp.png");
        Run r = run("compare", "--graphs", "ring,exponential,one-peer-exponential,mesh", "--sizes", "4..32",
                "-o", png.toString());
        assertEquals(0, r.status(), r.err());
        String[] lines = r.out().split("\\R");
        assertEquals(1 + 4 * 4 + 1, lines.length, r.out());
        assertTrue(lines[1].startsWith("ring") && lines[1].contains(" 4 "), lines[1]);
        assertTrue(r.out().contains("exponential                  16   0.600000"), r.out());
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(3 * 640, image.getWidth());
        assertEquals(480, image.getHeight());
    }

    @Test
    void compareJsonWithoutPlot() {
        Run r = run("compare", "--graphs", "fully-connected", "--sizes", "2,3", "--no-plot", "--json");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().startsWith("[{\"graph\": \"fully-connected\", \"size\": 2, \"rho\": 0.0,"), r.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "analyze --graph petersen --size 8|unknown topology 'petersen'",
        "analyze --graph ring --size 0|--size must be >= 1",
        "analyze --graph ring --size -3|--size must be >= 1",
        "analyze --graph exponential --size 8 --base 1|base must be >= 2",
        "analyze --graph ring --size abc|Invalid value for option '--size'",
        "analyze --graph hypercube --size 12|n must be a power of 2",
        "analyze --graph erdos-renyi --size 50 --probability 0.01|is disconnected",
        "analyze --graph ring --size 8 --weights best-guess|unknown weight rule 'best-guess'",
        "analyze --graph one-peer-exponential --size 8 --weights metropolis|--weights applies to static graphs only",
        "analyze --size 8|Error: Missing required argument",
        "compare --sizes 8..4|the start exceeds the end",
        "export --graph ring --size 4 --format svg|unknown format 'svg'",
        "frobnicate|Unmatched argument"})
    void badInputGivesOneLineAndExitTwo(String spec) {
        String[] parts = spec.split("\\|");
        Run r = run(parts[0].split(" "));
        assertEquals(BluefogTopologyTool.EXIT_BAD_INPUT, r.status(), r.out() + r.err());
        assertTrue(r.err().contains(parts[1]), r.err());
        assertEquals(1, r.err().trim().split("\\R").length, "one line: " + r.err());
        assertTrue(r.err().startsWith("bluefog-topology: "), r.err());
    }

    @Test
    void badFilesGiveOneLine(@TempDir Path dir) throws Exception {
        Path edges = dir.resolve("bad.txt");
        Files.writeString(edges, "size 4\n0 1\n1 7\n");
        Run r = run("analyze", "--file", edges.toString());
        assertEquals(2, r.status());
        assertEquals("bluefog-topology: " + edges + ": line 3: rank 7 is outside 0..3", r.err().trim());
        Files.writeString(edges, "0 1 0.5\n1 2 -0.25\n");
        r = run("analyze", "--file", edges.toString());
        assertEquals(2, r.status());
        assertTrue(r.err().trim().endsWith("line 2: weight -0.25 is negative"), r.err());
        r = run("analyze", "--file", dir.resolve("missing.graphml").toString());
        assertEquals(BluefogTopologyTool.EXIT_IO, r.status());
        assertTrue(r.err().contains("cannot read") && r.err().trim().split("\\R").length == 1, r.err());
        Path huge = dir.resolve("huge.txt");
        Files.writeString(huge, "size 100000\n0 1\n");
        r = run("analyze", "--file", huge.toString());
        assertEquals(2, r.status());
        assertTrue(r.err().contains("has 100000 ranks; at most 8192"), r.err());
        Path split = dir.resolve("split.txt");
        Files.writeString(split, "0 1\n2 3\n");
        r = run("analyze", "--file", split.toString(), "--weights", "best-constant");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("disconnected"), r.err());
    }
}
