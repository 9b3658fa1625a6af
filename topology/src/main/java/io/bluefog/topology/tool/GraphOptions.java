package io.bluefog.topology.tool;

import picocli.CommandLine.Option;

/** Parameters of the named graphs, shared by every subcommand (a picocli mixin). */
public final class GraphOptions {
    @Option(names = "--weights", paramLabel = "RULE",
            description = "Weight rule for static graphs: uniform, metropolis, max-degree, best-constant "
                    + "(default: the graph's own rule).")
    String weights;

    @Option(names = "--base", paramLabel = "B", defaultValue = "2",
            description = "Base of the exponential graphs (default: ${DEFAULT-VALUE}).")
    int base;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1",
            description = "Seed of the random graphs (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--degree", paramLabel = "D", defaultValue = "4",
            description = "Degree of random-regular (default: ${DEFAULT-VALUE}).")
    int degree;

    @Option(names = "--probability", paramLabel = "P",
            description = "Edge probability of erdos-renyi (default: 2 ln(n)/n, capped at 1).")
    Double probability;

    @Option(names = "--center", paramLabel = "R", defaultValue = "0",
            description = "Hub of the star (default: ${DEFAULT-VALUE}).")
    int center;

    @Option(names = "--ranks-per-machine", paramLabel = "L", defaultValue = "4",
            description = "Ranks per machine of the inner-outer schedules (default: ${DEFAULT-VALUE}).")
    int ranksPerMachine;
}
