package io.bluefog.topology.tool;

import io.bluefog.topology.Stochasticity;
import io.bluefog.topology.Topology;
import io.bluefog.topology.WeightRule;
import io.bluefog.topology.analysis.AnalysisReport;
import io.bluefog.topology.analysis.TopologyAnalysis;
import io.bluefog.topology.catalog.TopologyName;
import io.bluefog.topology.dynamic.Schedules;
import io.bluefog.topology.io.TopologyFiles;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code analyze}: every quantity of {@link AnalysisReport} for one graph, as a table or JSON. */
@Command(name = "analyze", mixinStandardHelpOptions = true,
        description = "Analyse one topology: rho, spectral gap, degrees, diameter, stochasticity, "
                + "exact-averaging steps, simulated consensus, D-SGD transient iterations, bytes per rank.")
final class AnalyzeCommand implements Callable<Integer> {

    static final class Source {
        @Option(names = "--graph", paramLabel = "NAME", converter = TopologyName.Converter.class,
                completionCandidates = TopologyName.Candidates.class,
                description = "A named graph or schedule: ${COMPLETION-CANDIDATES}.")
        TopologyName graph;

        @Option(names = "--file", paramLabel = "FILE",
                description = "A topology file: .dot/.gv, .graphml/.xml, a dense matrix (.matrix/.csv) or an edge list (any other name).")
        Path file;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--size", paramLabel = "N", defaultValue = "0",
            description = "Number of ranks (required with --graph; with --file it must match the file).")
    int size;

    @Mixin
    GraphOptions graphOptions;

    @Option(names = "--require", paramLabel = "SUMS", defaultValue = "row",
            description = "Sums a --file matrix must have equal to 1: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Stochasticity require;

    @Option(names = "--model-floats", paramLabel = "D", defaultValue = "1000000",
            description = "Model size in 32-bit floats for the byte counts (default: ${DEFAULT-VALUE}).")
    long modelFloats;

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        AnalysisReport report;
        if (source.graph != null) {
            if (size < 1) {
                throw new IllegalArgumentException("--size must be >= 1 with --graph, got " + size);
            }
            Subject s = Subject.of(source.graph, size, graphOptions);
            report = TopologyAnalysis.analyze(s.graph(), s.weights(), s.schedule(), modelFloats);
        } else {
            if (size < 0) {
                throw new IllegalArgumentException("--size must be >= 1, got " + size);
            }
            WeightRule rule = graphOptions.weights;
            Topology t = TopologyFiles.read(source.file, size, rule, require);
            if (t.size() > SizeSpec.MAX_SIZE) {
                throw new IllegalArgumentException(source.file + " has " + t.size() + " ranks; at most "
                        + SizeSpec.MAX_SIZE + " can be analysed (dense n x n matrices)");
            }
            String weights = rule == null ? "from file or default" : GraphOptions.ruleName(rule);
            report = TopologyAnalysis.analyze(source.file.getFileName().toString(), weights,
                    Schedules.staticTopology(t), modelFloats);
        }
        spec.commandLine().getOut().print(json ? report.toJson() + System.lineSeparator() : report.toTable());
        return 0;
    }
}
