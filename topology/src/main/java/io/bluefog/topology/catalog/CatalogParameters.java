package io.bluefog.topology.catalog;

/**
 * The parameters of the named graphs of {@link TopologyCatalog}. A null {@code base} or
 * {@code probability} means the graph's own default (base 2 for {@code exponential}, BlueFog's 4
 * for {@code symmetric-exponential}; {@code p = min(1, 2 ln(n)/n)} for {@code erdos-renyi}).
 *
 * @param base            base of the exponential graphs, &ge; 2, or null
 * @param seed            seed of the random graphs
 * @param degree          degree of {@code random-regular}
 * @param probability     edge probability of {@code erdos-renyi} in [0, 1], or null
 * @param center          hub of {@code star}
 * @param ranksPerMachine ranks per machine of the inner-outer schedules
 */
public record CatalogParameters(Integer base, long seed, int degree, Double probability, int center,
        int ranksPerMachine) {
    /** Every graph's default: seed 1, degree 4, center 0, 4 ranks per machine. */
    public static final CatalogParameters DEFAULTS = new CatalogParameters(null, 1L, 4, null, 0, 4);
}
