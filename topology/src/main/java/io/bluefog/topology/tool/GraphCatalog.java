package io.bluefog.topology.tool;

import io.bluefog.topology.Topologies;
import io.bluefog.topology.Topology;
import io.bluefog.topology.WeightRule;
import io.bluefog.topology.dynamic.DynamicTopology;
import io.bluefog.topology.dynamic.Schedules;
import java.util.List;

/** The graphs the tool knows by name, built at a given size from {@link GraphOptions}. */
final class GraphCatalog {
    static final List<String> STATIC = List.of("ring", "exponential", "symmetric-exponential", "mesh", "torus",
            "star", "fully-connected", "hypercube", "random-regular", "erdos-renyi");
    static final List<String> DYNAMIC = List.of("one-peer-exponential", "inner-outer-ring", "inner-outer-exponential");

    private GraphCatalog() {
    }

    /**
     * @throws IllegalArgumentException for an unknown name, a bad size or parameter, or a weight
     *                                  rule on a dynamic schedule
     */
    static Subject build(String name, int n, GraphOptions o) {
        if (n < 1) {
            throw new IllegalArgumentException("--size must be >= 1, got " + n);
        }
        if (n > SizeSpec.MAX_SIZE) {
            throw new IllegalArgumentException("--size must be <= " + SizeSpec.MAX_SIZE
                    + " (the analysis uses dense n x n matrices), got " + n);
        }
        if (DYNAMIC.contains(name)) {
            if (o.weights != null) {
                throw new IllegalArgumentException("--weights applies to static graphs only; " + name
                        + " is a dynamic schedule with one-peer weights 1/2");
            }
            DynamicTopology s;
            switch (name) {
                case "one-peer-exponential":
                    s = Schedules.onePeerExponential(n);
                    break;
                case "inner-outer-ring":
                    s = Schedules.innerOuterRing(n, o.ranksPerMachine);
                    break;
                default:
                    s = Schedules.innerOuterExponential(n, o.ranksPerMachine);
                    break;
            }
            return new Subject(name, "one-peer", s, null);
        }
        Topology t = buildStatic(name, n, o);
        String weights = defaultRule(name);
        if (o.weights != null) {
            WeightRule rule = WeightRule.parse(o.weights);
            t = rule.apply(t);
            weights = ruleName(rule);
        }
        return new Subject(name, weights, Schedules.staticTopology(t), t);
    }

    static String ruleName(WeightRule rule) {
        return rule == WeightRule.METROPOLIS_HASTINGS ? "metropolis" : rule.name().toLowerCase().replace('_', '-');
    }

    private static String defaultRule(String name) {
        switch (name) {
            case "mesh":
            case "star":
            case "erdos-renyi":
                return "metropolis";
            default:
                return "uniform";
        }
    }

    private static Topology buildStatic(String name, int n, GraphOptions o) {
        switch (name) {
            case "ring":
                return Topologies.ring(n);
            case "exponential":
                return Topologies.exponential(n, o.base);
            case "symmetric-exponential":
                return Topologies.symmetricExponential(n, o.base);
            case "mesh": {
                int rows = squarestRows(n);
                return Topologies.mesh2d(rows, n / rows);
            }
            case "torus": {
                int rows = squarestRows(n);
                return Topologies.torus2d(rows, n / rows);
            }
            case "star":
                return Topologies.star(n, o.center);
            case "fully-connected":
                return Topologies.fullyConnected(n);
            case "hypercube":
                return Topologies.hypercube(n);
            case "random-regular":
                return Topologies.randomRegular(n, o.degree, o.seed);
            case "erdos-renyi": {
                double p = o.probability != null ? o.probability : Math.min(1.0, 2 * Math.log(Math.max(n, 2)) / n);
                return Topologies.erdosRenyi(n, p, o.seed);
            }
            default:
                throw new IllegalArgumentException("unknown graph '" + name + "' (expected one of "
                        + String.join(", ", STATIC) + ", " + String.join(", ", DYNAMIC) + ")");
        }
    }

    /** @return the largest divisor of n not above sqrt(n): the most square rows x cols layout */
    static int squarestRows(int n) {
        int rows = (int) Math.sqrt(n);
        while (n % rows != 0) {
            rows--;
        }
        return rows;
    }
}
