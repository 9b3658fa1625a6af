package io.bluefog.topology.io;

import io.bluefog.topology.Stochasticity;
import io.bluefog.topology.Topology;
import io.bluefog.topology.TopologyValidation;
import io.bluefog.topology.WeightRule;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jgrapht.Graph;
import org.jgrapht.graph.DefaultWeightedEdge;
import org.jgrapht.graph.builder.GraphTypeBuilder;
import org.jgrapht.nio.Attribute;
import org.jgrapht.nio.BaseEventDrivenImporter;
import org.jgrapht.nio.DefaultAttribute;
import org.jgrapht.nio.ImportException;
import org.jgrapht.nio.dot.DOTExporter;
import org.jgrapht.nio.dot.DOTImporter;
import org.jgrapht.nio.graphml.GraphMLExporter;
import org.jgrapht.nio.graphml.GraphMLImporter;

/**
 * The one reader and writer of topology files: a plain edge list, Graphviz DOT, GraphML (the
 * latter two through JGraphT's importers and exporters) and a dense weight matrix. Every format
 * {@link #write} produces is read back by {@link #read} to an equal topology, and every topology
 * read is validated ({@link TopologyValidation}) against the sums the caller requires.
 *
 * <p><b>Edge list.</b> One entry per line; {@code #} starts a comment. Optional directives:
 * {@code size N} (number of ranks; otherwise the largest rank + 1) and {@code directed}
 * (otherwise edges are undirected). An entry {@code u v} is an edge between u and v (directed:
 * u sends to v, i.e. v receives from u); {@code u v w} gives it the weight w, that is
 * {@code w_vu = w} (and {@code w_uv = w} when undirected); {@code r r w} sets the self weight of r.
 *
 * <p><b>DOT and GraphML.</b> Vertex ids that are all integers are ranks; otherwise vertices are
 * numbered in the order the file declares them. {@code digraph} / {@code edgedefault="directed"}
 * make edges directed. A {@code weight} attribute on the edges sets the weights as above.
 *
 * <p><b>Dense matrix.</b> One row of W per line, n rows of n numbers separated by spaces or
 * commas ({@code #} starts a comment): row i holds {@code w_i0 .. w_i(n-1)}, the weights rank i
 * receives with (column j: what rank j's value contributes to every rank), {@code w_ii} its self
 * weight. Zero entries off the diagonal are not edges.
 *
 * <p><b>Weights.</b> In the graph formats either every edge has a weight or none has. Without
 * weights the given {@link WeightRule} assigns them (when the rule is null: Metropolis–Hastings
 * for an undirected graph, uniform for a directed one). With weights a missing self weight is
 * {@code 1 - (row sum)}. The result must then pass
 * {@link TopologyValidation#requireValid(Topology, Stochasticity)} with the required
 * {@link Stochasticity} (non-negative weights, positive self weights, the required sums equal to
 * 1); a rule that may give negative weights ({@link WeightRule#nonNegative()} false) is checked
 * for its sums only.
 *
 * <p>Every problem with the input throws {@link IllegalArgumentException} with one line naming
 * the file, the line (edge lists) and the offending rank or weight.
 */
public final class TopologyFiles {
    private static final Pattern DOT_DIGRAPH = Pattern.compile("^\\s*(strict\\s+)?digraph\\b", Pattern.CASE_INSENSITIVE);
    private static final Pattern GRAPHML_DIRECTED = Pattern.compile("edgedefault\\s*=\\s*\"directed\"");

    private TopologyFiles() {
    }

    /**
     * Reads a topology; the format follows the file name ({@link FileFormat#of(Path)}).
     *
     * @param file         the file
     * @param expectedSize the number of ranks the caller expects, or 0 to take it from the file
     * @param rule         weight rule for files without weights; null for the default (see above)
     * @param required     the sums that must equal 1 (column for push-sum, doubly for D-SGD)
     * @throws IllegalArgumentException with one line naming the file and the line, rank, row or
     *                                  column at fault: malformed content, ranks outside
     *                                  {@code 0..n-1}, a size (declared, or the largest rank + 1)
     *                                  other than {@code expectedSize},
     *                                  negative weights, or weights that fail validation
     * @throws UncheckedIOException     if the file cannot be read
     */
    public static Topology read(Path file, int expectedSize, WeightRule rule, Stochasticity required) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + " (" + e.getClass().getSimpleName() + ")", e);
        }
        try {
            return parse(text, FileFormat.of(file), expectedSize, rule, required);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Parses a topology from text; see {@link #read(Path, int, WeightRule, Stochasticity)}.
     */
    public static Topology parse(String text, FileFormat format, int expectedSize, WeightRule rule,
            Stochasticity required) {
        if (required == null) {
            throw new IllegalArgumentException("the required stochasticity must not be null");
        }
        Edges edges;
        switch (format) {
            case MATRIX:
                return parseMatrix(text, expectedSize, required);
            case EDGE_LIST:
                edges = parseEdgeList(text);
                break;
            case DOT:
                edges = importGraph(text, new DOTImporter<>(), DOT_DIGRAPH.matcher(text).find());
                break;
            case GRAPHML:
                GraphMLImporter<String, DefaultWeightedEdge> importer = new GraphMLImporter<>();
                importer.setSchemaValidation(false);
                edges = importGraph(text, importer, GRAPHML_DIRECTED.matcher(text).find());
                break;
            default:
                throw new AssertionError(format);
        }
        return edges.toTopology(expectedSize, rule, required);
    }

    /**
     * Writes a topology: every edge {@code j -> i} with its weight {@code w_ij} and every self weight as
     * a self loop {@code i -> i}, so that {@link #parse} gives back the same matrix.
     *
     * @throws UncheckedIOException if writing fails
     */
    public static void write(Topology t, FileFormat format, Writer out) {
        try {
            if (format == FileFormat.MATRIX) {
                out.write("# bluefog-jvm mixing matrix: row i holds the weights w_ij rank i receives with\n");
                for (double[] row : t.weightMatrix()) {
                    StringBuilder line = new StringBuilder();
                    for (int j = 0; j < row.length; j++) {
                        line.append(j == 0 ? "" : " ").append(row[j]);
                    }
                    out.write(line.append('\n').toString());
                }
                out.flush();
                return;
            }
            if (format == FileFormat.EDGE_LIST) {
                out.write("# bluefog-jvm topology: 'u v w' means rank v receives from rank u with weight w\n");
                out.write("size " + t.size() + "\ndirected\n");
                for (int i = 0; i < t.size(); i++) {
                    out.write(i + " " + i + " " + t.selfWeight(i) + "\n");
                    int[] in = t.inNeighbors(i);
                    double[] w = t.recvWeights(i);
                    for (int k = 0; k < in.length; k++) {
                        out.write(in[k] + " " + i + " " + w[k] + "\n");
                    }
                }
                out.flush();
                return;
            }
            Graph<Integer, DefaultWeightedEdge> g = GraphTypeBuilder.<Integer, DefaultWeightedEdge>directed()
                    .allowingSelfLoops(true).allowingMultipleEdges(false).weighted(true)
                    .edgeClass(DefaultWeightedEdge.class).buildGraph();
            for (int i = 0; i < t.size(); i++) {
                g.addVertex(i);
            }
            for (int i = 0; i < t.size(); i++) {
                g.setEdgeWeight(g.addEdge(i, i), t.selfWeight(i));
                int[] in = t.inNeighbors(i);
                double[] w = t.recvWeights(i);
                for (int k = 0; k < in.length; k++) {
                    g.setEdgeWeight(g.addEdge(in[k], i), w[k]);
                }
            }
            if (format == FileFormat.DOT) {
                DOTExporter<Integer, DefaultWeightedEdge> dot = new DOTExporter<>(String::valueOf);
                dot.setEdgeAttributeProvider(e -> {
                    Map<String, Attribute> a = new LinkedHashMap<>();
                    a.put("weight", DefaultAttribute.createAttribute(g.getEdgeWeight(e)));
                    return a;
                });
                dot.exportGraph(g, out);
            } else {
                GraphMLExporter<Integer, DefaultWeightedEdge> graphml = new GraphMLExporter<>(String::valueOf);
                graphml.setExportEdgeWeights(true);
                graphml.exportGraph(g, out);
            }
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Topology parseMatrix(String text, int expectedSize, Stochasticity required) {
        List<double[]> rows = new ArrayList<>();
        String[] lines = text.split("\\R", -1);
        for (int ln = 0; ln < lines.length; ln++) {
            String line = lines[ln];
            int hash = line.indexOf('#');
            String body = (hash >= 0 ? line.substring(0, hash) : line).trim();
            if (body.isEmpty()) {
                continue;
            }
            String[] cells = body.split("[\\s,]+");
            double[] row = new double[cells.length];
            for (int j = 0; j < cells.length; j++) {
                try {
                    row[j] = Double.parseDouble(cells[j]);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("line " + (ln + 1) + ": entry '" + cells[j] + "' is not a number");
                }
            }
            if (!rows.isEmpty() && row.length != rows.get(0).length) {
                throw new IllegalArgumentException("line " + (ln + 1) + ": row " + rows.size() + " has " + row.length
                        + " entries, row 0 has " + rows.get(0).length);
            }
            rows.add(row);
        }
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("no rows: the matrix file is empty");
        }
        if (rows.get(0).length != rows.size()) {
            throw new IllegalArgumentException("the matrix has " + rows.size() + " rows of " + rows.get(0).length
                    + " entries; a mixing matrix is n x n");
        }
        if (expectedSize > 0 && rows.size() != expectedSize) {
            throw new IllegalArgumentException("the matrix is " + rows.size() + " x " + rows.size() + " but "
                    + expectedSize + " ranks were requested");
        }
        Topology t = Topology.fromWeightMatrix(rows.toArray(new double[0][]));
        TopologyValidation.requireValid(t, required);
        return t;
    }

    private static Edges parseEdgeList(String text) {
        Edges edges = new Edges();
        String[] lines = text.split("\\R", -1);
        for (int ln = 0; ln < lines.length; ln++) {
            String line = lines[ln];
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            line = line.trim();
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split("[\\s,]+");
            String where = "line " + (ln + 1);
            if (f[0].equalsIgnoreCase("directed") && f.length == 1) {
                edges.directed = true;
            } else if (f[0].equalsIgnoreCase("size") && f.length == 2) {
                edges.declaredSize = parseInt(f[1], where, "size");
                if (edges.declaredSize < 1) {
                    throw new IllegalArgumentException(where + ": size must be >= 1, got " + edges.declaredSize);
                }
            } else if (f.length == 2 || f.length == 3) {
                int u = parseInt(f[0], where, "rank");
                int v = parseInt(f[1], where, "rank");
                Double w = f.length == 3 ? parseWeight(f[2], where) : null;
                edges.add(u, v, w, where);
            } else {
                throw new IllegalArgumentException(where + ": expected 'u v', 'u v weight', 'size N' or 'directed', got '"
                        + line + "'");
            }
        }
        return edges;
    }

    private static <I extends BaseEventDrivenImporter<String, DefaultWeightedEdge>> Edges importGraph(
            String text, I importer, boolean directed) {
        Graph<String, DefaultWeightedEdge> g = (directed
                ? GraphTypeBuilder.<String, DefaultWeightedEdge>directed()
                : GraphTypeBuilder.<String, DefaultWeightedEdge>undirected())
                .allowingSelfLoops(true).allowingMultipleEdges(true).weighted(true)
                .edgeClass(DefaultWeightedEdge.class).buildGraph();
        Map<DefaultWeightedEdge, Double> weights = new HashMap<>();
        // Per-attribute events: JGraphT's importers report every edge attribute this way.
        importer.addEdgeAttributeConsumer((edgeAndKey, a) -> {
            if ("weight".equals(edgeAndKey.getSecond())) {
                weights.put(edgeAndKey.getFirst(), parseWeight(a.getValue(), "edge weight"));
            }
        });
        try (Reader r = new StringReader(text)) {
            if (importer instanceof DOTImporter) {
                DOTImporter<String, DefaultWeightedEdge> dot = (DOTImporter<String, DefaultWeightedEdge>) importer;
                dot.setVertexFactory(id -> id);
                dot.importGraph(g, r);
            } else {
                GraphMLImporter<String, DefaultWeightedEdge> graphml = (GraphMLImporter<String, DefaultWeightedEdge>) importer;
                graphml.setVertexFactory(id -> id);
                graphml.importGraph(g, r);
            }
        } catch (ImportException | IOException e) {
            throw new IllegalArgumentException("cannot parse graph: " + oneLine(e.getMessage()), e);
        }
        Map<String, Integer> rank = new LinkedHashMap<>();
        boolean numeric = g.vertexSet().stream().allMatch(v -> v.matches("\\d{1,9}"));
        int next = 0;
        for (String v : g.vertexSet()) {
            rank.put(v, numeric ? Integer.parseInt(v) : next++);
        }
        Edges edges = new Edges();
        edges.directed = directed;
        if (!numeric) {
            edges.declaredSize = rank.size();
        } else {
            edges.maxRank = rank.values().stream().mapToInt(Integer::intValue).max().orElse(-1);
        }
        for (DefaultWeightedEdge e : g.edgeSet()) {
            int u = rank.get(g.getEdgeSource(e));
            int v = rank.get(g.getEdgeTarget(e));
            edges.add(u, v, weights.get(e), "edge " + g.getEdgeSource(e) + " -> " + g.getEdgeTarget(e));
        }
        return edges;
    }

    private static int parseInt(String s, String where, String what) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(where + ": " + what + " '" + s + "' is not an integer");
        }
    }

    private static double parseWeight(String s, String where) {
        double w;
        try {
            w = Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(where + ": weight '" + s + "' is not a number");
        }
        if (!Double.isFinite(w)) {
            throw new IllegalArgumentException(where + ": weight " + s + " is not finite");
        }
        if (w < 0) {
            throw new IllegalArgumentException(where + ": weight " + s + " is negative");
        }
        return w;
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").trim();
    }

    /** Edges collected from any format, before they become a topology. */
    private static final class Edges {
        boolean directed;
        int declaredSize;
        int maxRank = -1;
        final List<int[]> pairs = new ArrayList<>();
        final List<Double> weights = new ArrayList<>();
        final List<String> origins = new ArrayList<>();
        Boolean weighted;

        void add(int u, int v, Double w, String where) {
            if (u < 0 || v < 0) {
                throw new IllegalArgumentException(where + ": rank " + Math.min(u, v) + " is negative");
            }
            boolean hasWeight = w != null;
            if (weighted == null) {
                weighted = hasWeight;
            } else if (weighted != hasWeight) {
                throw new IllegalArgumentException(where + ": either every edge has a weight or none has");
            }
            pairs.add(new int[] {u, v});
            weights.add(w);
            origins.add(where);
            maxRank = Math.max(maxRank, Math.max(u, v));
        }

        Topology toTopology(int expectedSize, WeightRule rule, Stochasticity required) {
            int n = declaredSize > 0 ? declaredSize : maxRank + 1;
            if (n < 1) {
                throw new IllegalArgumentException("no ranks: the file has no edges and declares no size");
            }
            for (int k = 0; k < pairs.size(); k++) {
                int[] p = pairs.get(k);
                int bad = Math.max(p[0], p[1]);
                if (bad >= n) {
                    throw new IllegalArgumentException(origins.get(k) + ": rank " + bad + " is outside 0.." + (n - 1));
                }
            }
            if (expectedSize > 0 && n != expectedSize) {
                throw new IllegalArgumentException((declaredSize > 0 ? "the file declares " + n + " ranks"
                        : "the file's ranks are 0.." + (n - 1)) + " but " + expectedSize + " ranks were requested");
            }
            // Sparse rows (rank -> weight): a file may declare a large size with few edges.
            List<TreeMap<Integer, Double>> rows = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                rows.add(new TreeMap<>());
            }
            double[] self = new double[n];
            boolean[] selfGiven = new boolean[n];
            boolean isWeighted = Boolean.TRUE.equals(weighted);
            for (int k = 0; k < pairs.size(); k++) {
                int u = pairs.get(k)[0];
                int v = pairs.get(k)[1];
                double weight = isWeighted ? weights.get(k) : 1.0;
                if (u == v) {
                    selfGiven[u] = true;
                    self[u] = weight;
                    continue;
                }
                rows.get(v).put(u, weight);
                if (!directed) {
                    rows.get(u).put(v, weight);
                }
            }
            int[][] in = new int[n][];
            double[][] w = new double[n][];
            for (int i = 0; i < n; i++) {
                if (isWeighted) {
                    // Explicit zero weights are not edges.
                    rows.get(i).values().removeIf(x -> x == 0.0);
                }
                in[i] = rows.get(i).keySet().stream().mapToInt(Integer::intValue).toArray();
                w[i] = rows.get(i).values().stream().mapToDouble(Double::doubleValue).toArray();
                if (!isWeighted) {
                    self[i] = 1.0;
                } else if (!selfGiven[i]) {
                    self[i] = 1.0 - Arrays.stream(w[i]).sum();
                }
            }
            if (!isWeighted) {
                WeightRule r = rule != null ? rule : directed ? WeightRule.UNIFORM : WeightRule.METROPOLIS_HASTINGS;
                Topology t = r.apply(Topology.of(self, in, w));
                if (r.nonNegative()) {
                    TopologyValidation.requireValid(t, required);
                } else {
                    TopologyValidation.requireSums(t, required);
                }
                return t;
            }
            Topology t = Topology.of(self, in, w);
            TopologyValidation.requireValid(t, required);
            return t;
        }
    }

}
