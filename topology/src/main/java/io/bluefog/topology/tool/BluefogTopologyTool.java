package io.bluefog.topology.tool;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code bluefog-topology}: how well does a graph mix? Subcommands {@code analyze},
 * {@code compare} and {@code export} (picocli). Exit status: 0 on success, 2 on bad input
 * (unknown graph, bad size or parameter, bad file), 1 when a file cannot be read or written; every
 * error is one line on stderr.
 */
@Command(name = "bluefog-topology", mixinStandardHelpOptions = true, version = "bluefog-topology 0.1.0",
        description = "Spectral gap, transient iterations and communication cost of decentralized topologies.",
        subcommands = {AnalyzeCommand.class, CompareCommand.class, ExportCommand.class,
                CommandLine.HelpCommand.class})
public final class BluefogTopologyTool implements Runnable {
    /** Exit status for bad input. */
    public static final int EXIT_BAD_INPUT = 2;
    /** Exit status for I/O failures. */
    public static final int EXIT_IO = 1;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "missing subcommand: analyze, compare or export");
    }

    /** Runs the tool and exits with its status. */
    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /**
     * Runs the tool in-process (used by tests).
     *
     * @return the exit status
     */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new BluefogTopologyTool());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("bluefog-topology: " + oneLine(ex.getMessage()) + " (see --help)");
            err.flush();
            return EXIT_BAD_INPUT;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            if (ex instanceof IllegalArgumentException) {
                err.println("bluefog-topology: " + oneLine(ex.getMessage()));
                err.flush();
                return EXIT_BAD_INPUT;
            }
            if (ex instanceof UncheckedIOException) {
                err.println("bluefog-topology: " + oneLine(ex.getMessage()));
                err.flush();
                return EXIT_IO;
            }
            throw ex;
        });
        int status = cl.execute(args);
        out.flush();
        return status;
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").trim();
    }
}
