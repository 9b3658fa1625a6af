package io.bluefog.topology.tool;

import io.bluefog.topology.analysis.TopologyAnalysis;
import io.bluefog.topology.analysis.TransientIterations;
import io.bluefog.topology.catalog.TopologyName;
import io.bluefog.topology.dynamic.DynamicTopology;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code compare}: rho and transient iterations of several graphs over a range of sizes, as a table and a PNG. */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Compare graphs over sizes: a table and a PNG plot of rho and D-SGD transient iterations against n.")
final class CompareCommand implements Callable<Integer> {
    @Option(names = "--graphs", paramLabel = "NAMES", split = ",", converter = TopologyName.Converter.class,
            completionCandidates = TopologyName.Candidates.class,
            defaultValue = "ring,exponential,one-peer-exponential,mesh",
            description = "Comma-separated names among ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    List<TopologyName> graphs;

    @Option(names = "--sizes", paramLabel = "SPEC", defaultValue = "4..1024", converter = SizeSpec.Converter.class,
            description = "Sizes: 'a..b' doubles from a up to b, or a comma list (default: ${DEFAULT-VALUE}).")
    SizeSpec sizes;

    @Option(names = {"-o", "--output"}, paramLabel = "PNG", defaultValue = "bluefog-topology-compare.png",
            description = "PNG file of the plot (default: ${DEFAULT-VALUE}).")
    Path output;

    @Option(names = "--no-plot", description = "Print the table only.")
    boolean noPlot;

    @Option(names = "--json", description = "Print the rows as a JSON array instead of a table.")
    boolean json;

    @Mixin
    GraphOptions graphOptions;

    @Spec
    CommandSpec spec;

    /** One point of the comparison. */
    record Row(String graph, int size, double rho, double transientIid, double transientNonIid, int maxMessages) {
    }

    @Override
    public Integer call() {
        int[] ns = sizes.sizes();
        List<Row> rows = new ArrayList<>();
        for (TopologyName g : graphs) {
            for (int n : ns) {
                Subject s = Subject.of(g, n, graphOptions);
                DynamicTopology schedule = s.schedule();
                double rho = TopologyAnalysis.perIterationRho(schedule);
                int maxMessages = 0;
                for (int k = 0; k < TopologyAnalysis.windowOf(schedule); k++) {
                    var t = schedule.at(k);
                    for (int r = 0; r < n; r++) {
                        maxMessages = Math.max(maxMessages, t.outDegree(r));
                    }
                }
                rows.add(new Row(g.id(), n, rho, TransientIterations.iid(rho, n),
                        TransientIterations.nonIid(rho, n), maxMessages));
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(toJson(rows));
        } else {
            out.printf(Locale.ROOT, "%-24s %6s %10s %12s %14s %16s %9s%n", "graph", "n", "rho", "spectral_gap",
                    "transient_iid", "transient_noniid", "msgs/rank");
            for (Row r : rows) {
                out.printf(Locale.ROOT, "%-24s %6d %10.6f %12.6f %14.4e %16.4e %9d%n", r.graph(), r.size(), r.rho(),
                        1 - r.rho(), r.transientIid(), r.transientNonIid(), r.maxMessages());
            }
        }
        if (!noPlot) {
            ComparePlot.write(rows, graphs.stream().map(TopologyName::id).toList(), output);
            out.println("plot written to " + output.toAbsolutePath());
        }
        out.flush();
        return 0;
    }

    private static String toJson(List<Row> rows) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT,
                    "{\"graph\": \"%s\", \"size\": %d, \"rho\": %s, \"spectral_gap\": %s, \"transient_iterations_iid\": %s, "
                            + "\"transient_iterations_non_iid\": %s, \"max_messages_per_rank\": %d}",
                    r.graph(), r.size(), num(r.rho()), num(1 - r.rho()), num(r.transientIid()),
                    num(r.transientNonIid()), r.maxMessages()));
        }
        return sb.append(']').toString();
    }

    private static String num(double v) {
        return Double.isFinite(v) ? Double.toString(v) : "\"" + v + "\"";
    }
}
