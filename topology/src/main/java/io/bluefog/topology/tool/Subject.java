package io.bluefog.topology.tool;

import io.bluefog.topology.Topology;
import io.bluefog.topology.catalog.TopologyCatalog;
import io.bluefog.topology.catalog.TopologyName;
import io.bluefog.topology.dynamic.DynamicTopology;
import io.bluefog.topology.dynamic.Schedules;

/**
 * What the tool analyses: a labelled schedule ({@code staticTopology} non-null when the graph is
 * static, so that it can be exported).
 */
record Subject(String graph, String weights, DynamicTopology schedule, Topology staticTopology) {

    /**
     * The catalogue's graph or schedule {@code name} at size n, with {@code --weights} applied to
     * a static graph.
     *
     * @throws IllegalArgumentException for a bad size or parameter, or a weight rule on a dynamic
     *                                  schedule
     */
    static Subject of(TopologyName name, int n, GraphOptions o) {
        if (n < 1) {
            throw new IllegalArgumentException("--size must be >= 1, got " + n);
        }
        if (n > SizeSpec.MAX_SIZE) {
            throw new IllegalArgumentException("--size must be <= " + SizeSpec.MAX_SIZE
                    + " (the analysis uses dense n x n matrices), got " + n);
        }
        if (name.isDynamic()) {
            if (o.weights != null) {
                throw new IllegalArgumentException("--weights applies to static graphs only; " + name
                        + " is a dynamic schedule with its own weights (" + name.weights() + ")");
            }
            return new Subject(name.id(), name.weights(), TopologyCatalog.schedule(name, n, o.parameters()), null);
        }
        Topology t = TopologyCatalog.topology(name, n, o.parameters());
        String weights = name.weights();
        if (o.weights != null) {
            t = o.weights.apply(t);
            weights = GraphOptions.ruleName(o.weights);
        }
        return new Subject(name.id(), weights, Schedules.staticTopology(t), t);
    }
}
