package io.bluefog.topology.tool;

import io.bluefog.topology.Topology;
import io.bluefog.topology.dynamic.DynamicTopology;

/**
 * What the tool analyses: a labelled schedule ({@code staticTopology} non-null when the graph is
 * static, so that it can be exported).
 */
record Subject(String graph, String weights, DynamicTopology schedule, Topology staticTopology) {
}
