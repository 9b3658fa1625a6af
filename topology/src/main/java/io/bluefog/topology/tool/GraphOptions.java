package io.bluefog.topology.tool;

import io.bluefog.topology.WeightRule;
import io.bluefog.topology.catalog.CatalogParameters;
import io.bluefog.topology.catalog.ParsingConverter;
import picocli.CommandLine.Option;

/** Parameters of the named graphs, shared by every subcommand (a picocli mixin). */
public final class GraphOptions {
    @Option(names = "--weights", paramLabel = "RULE", converter = RuleConverter.class,
            description = "Weight rule for static graphs: uniform, metropolis, max-degree, best-constant "
                    + "(default: the graph's own rule).")
    WeightRule weights;

    @Option(names = "--base", paramLabel = "B",
            description = "Base of the exponential graphs (default: 2 for exponential, BlueFog's 4 for "
                    + "symmetric-exponential).")
    Integer base;

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

    /** @return the catalogue's parameters of these options */
    CatalogParameters parameters() {
        return new CatalogParameters(base, seed, degree, probability, center, ranksPerMachine);
    }

    /** @return the rule's name as the tool prints it */
    static String ruleName(WeightRule rule) {
        return rule == WeightRule.METROPOLIS_HASTINGS ? "metropolis" : rule.name().toLowerCase().replace('_', '-');
    }

    /** picocli converter of {@code --weights}: {@link WeightRule#parse(String)}. */
    static final class RuleConverter extends ParsingConverter<WeightRule> {
        RuleConverter() {
            super(WeightRule::parse);
        }
    }
}
