package io.bluefog.topology.tool;

import io.bluefog.topology.Topology;
import io.bluefog.topology.catalog.ParsingConverter;
import io.bluefog.topology.catalog.TopologyName;
import io.bluefog.topology.io.FileFormat;
import io.bluefog.topology.io.TopologyFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code export}: writes a named graph (or one iteration of a schedule) as DOT, GraphML or an edge list. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write a topology with its weights as DOT, GraphML or an edge list.")
final class ExportCommand implements Callable<Integer> {
    @Option(names = "--graph", paramLabel = "NAME", required = true, converter = TopologyName.Converter.class,
            completionCandidates = TopologyName.Candidates.class,
            description = "A named graph or schedule: ${COMPLETION-CANDIDATES}.")
    TopologyName graph;

    @Option(names = "--size", paramLabel = "N", required = true, description = "Number of ranks.")
    int size;

    @Option(names = "--format", paramLabel = "FORMAT", converter = FormatConverter.class,
            description = "dot, graphml, edgelist or matrix (default: the one the -o file's extension names, "
                    + "as the reader picks it; dot on stdout).")
    FileFormat format;

    @Option(names = "--iteration", paramLabel = "K", defaultValue = "0",
            description = "For a dynamic schedule: the iteration whose matrix is written (default: ${DEFAULT-VALUE}).")
    long iteration;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Output file (default: stdout).")
    Path output;

    @Mixin
    GraphOptions graphOptions;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        FileFormat f = format != null ? format : output != null ? FileFormat.of(output) : FileFormat.DOT;
        Subject s = Subject.of(graph, size, graphOptions);
        Topology t = s.staticTopology() != null ? s.staticTopology() : s.schedule().at(iteration);
        if (output == null) {
            PrintWriter out = spec.commandLine().getOut();
            TopologyFiles.write(t, f, out);
            out.println();
            out.flush();
            return 0;
        }
        try (Writer w = Files.newBufferedWriter(output, StandardCharsets.UTF_8)) {
            TopologyFiles.write(t, f, w);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + output + ": " + e.getMessage(), e);
        }
        return 0;
    }

    /** picocli converter of {@code --format}: {@link FileFormat#parse(String)}. */
    static final class FormatConverter extends ParsingConverter<FileFormat> {
        FormatConverter() {
            super(FileFormat::parse);
        }
    }
}
