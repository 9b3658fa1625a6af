package io.bluefog.topology.io;

import java.nio.file.Path;
import java.util.Locale;

/** Graph file formats understood by {@link TopologyFiles}. */
public enum FileFormat {
    /** Plain text, one edge per line; see {@link TopologyFiles}. Extensions other than below. */
    EDGE_LIST,
    /** Graphviz DOT ({@code .dot}, {@code .gv}), through JGraphT's DOT importer/exporter. */
    DOT,
    /** GraphML ({@code .graphml}, {@code .xml}), through JGraphT's GraphML importer/exporter. */
    GRAPHML,
    /** Dense n x n weight matrix, one row per line ({@code .matrix}, {@code .csv}); see {@link TopologyFiles}. */
    MATRIX;

    /** @return the format implied by the file name's extension (edge list when unknown) */
    public static FileFormat of(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".dot") || name.endsWith(".gv")) {
            return DOT;
        }
        if (name.endsWith(".graphml") || name.endsWith(".xml")) {
            return GRAPHML;
        }
        if (name.endsWith(".matrix") || name.endsWith(".csv")) {
            return MATRIX;
        }
        return EDGE_LIST;
    }

    /**
     * Parses a format name: {@code dot}, {@code graphml}, {@code edgelist} (or {@code edge-list}),
     * {@code matrix}.
     *
     * @throws IllegalArgumentException naming the unknown format
     */
    public static FileFormat parse(String name) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "dot":
            case "gv":
                return DOT;
            case "graphml":
                return GRAPHML;
            case "edgelist":
            case "edge-list":
            case "edges":
                return EDGE_LIST;
            case "matrix":
                return MATRIX;
            default:
                throw new IllegalArgumentException("unknown format '" + name + "' (expected dot, graphml, edgelist or matrix)");
        }
    }
}
