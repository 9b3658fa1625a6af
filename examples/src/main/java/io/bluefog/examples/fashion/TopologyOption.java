package io.bluefog.examples.fashion;

import io.bluefog.examples.consensus.TopologyNames;
import io.bluefog.topology.Topology;
import io.bluefog.topology.dynamic.DynamicTopology;
import io.bluefog.topology.dynamic.Schedules;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Parses {@code --topology}: {@code ring | exponential | one-peer-exponential | mesh | star | full | <file>}.
 * A file holds the dense n x n mixing matrix W, one row per line, entries separated by spaces or
 * commas ({@code #} starts a comment); row i lists the weights rank i gives to every rank.
 */
public final class TopologyOption {
    private TopologyOption() {
    }

    /**
     * @param spec the option value
     * @param n    number of ranks
     * @throws IllegalArgumentException naming {@code --topology} for an unknown name or a bad file
     */
    public static DynamicTopology parse(String spec, int n) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        switch (s) {
            case "one-peer-exponential":
                return Schedules.onePeerExponential(n);
            case "ring":
            case "exponential":
            case "mesh":
            case "star":
            case "full":
                return Schedules.staticTopology(TopologyNames.byName(s, n));
            default:
                return Schedules.staticTopology(fromFile(Path.of(spec), n));
        }
    }

    static Topology fromFile(Path file, int n) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("--topology must be ring|exponential|one-peer-exponential|mesh|star|full"
                    + " or a weight-matrix file; '" + file + "' is neither");
        }
        List<double[]> rows = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file)) {
                String body = line.replaceAll("#.*", "").trim();
                if (body.isEmpty()) {
                    continue;
                }
                String[] cells = body.split("[,\\s]+");
                double[] row = new double[cells.length];
                for (int j = 0; j < cells.length; j++) {
                    row[j] = Double.parseDouble(cells[j]);
                }
                rows.add(row);
            }
        } catch (IOException | NumberFormatException e) {
            throw new IllegalArgumentException("--topology file " + file + ": " + e.getMessage(), e);
        }
        if (rows.size() != n) {
            throw new IllegalArgumentException("--topology file " + file + " has " + rows.size() + " rows, the job has " + n + " ranks");
        }
        return Topology.fromWeightMatrix(rows.toArray(new double[0][]));
    }
}
