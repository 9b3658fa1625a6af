package io.bluefog.examples.consensus;

import io.bluefog.topology.Topologies;
import io.bluefog.topology.Topology;
import io.bluefog.topology.dynamic.DynamicTopology;
import io.bluefog.topology.dynamic.Schedules;
import java.util.List;

/** The topology names the examples accept on their command line, and the dynamic schedule of each. */
public final class TopologyNames {
    /** Accepted values of {@code --topology}. */
    public static final List<String> NAMES = List.of("exponential", "symmetric-exponential", "ring", "star", "mesh",
            "torus", "hypercube", "fully-connected");

    private TopologyNames() {
    }

    /** @return true if {@link #byName} knows {@code name} ({@code full} is short for {@code fully-connected}) */
    public static boolean isName(String name) {
        return NAMES.contains(name) || name.equals("full");
    }

    /**
     * @return the static topology called {@code name} over {@code n} ranks (mesh and torus use the
     *         most nearly square {@code rows x cols = n})
     * @throws IllegalArgumentException naming the accepted values if {@code name} is unknown
     */
    public static Topology byName(String name, int n) {
        return switch (name) {
            case "exponential" -> Topologies.exponential(n);
            case "symmetric-exponential" -> Topologies.symmetricExponential(n, 2);
            case "ring" -> Topologies.ring(n);
            case "star" -> Topologies.star(n);
            case "mesh" -> Topologies.mesh2d(rows(n), n / rows(n));
            case "torus" -> Topologies.torus2d(rows(n), n / rows(n));
            case "hypercube" -> Topologies.hypercube(n);
            case "fully-connected", "full" -> Topologies.fullyConnected(n);
            default -> throw new IllegalArgumentException("unknown topology '" + name + "'; use one of " + NAMES);
        };
    }

    /**
     * @return the one-peer schedule of {@code name}: the one-peer exponential graph for
     *         {@code exponential}, otherwise a one-peer rotation over the static graph's neighbors
     */
    public static DynamicTopology dynamic(String name, int n) {
        return name.equals("exponential") ? Schedules.onePeerExponential(n)
                : Schedules.onePeerRotation(byName(name, n));
    }

    /** @return the largest divisor of n that is at most sqrt(n) */
    static int rows(int n) {
        int r = (int) Math.sqrt(n);
        while (n % r != 0) {
            r--;
        }
        return r;
    }
}
