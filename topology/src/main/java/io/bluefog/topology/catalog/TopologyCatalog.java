package io.bluefog.topology.catalog;

import io.bluefog.topology.RingStyle;
import io.bluefog.topology.Stochasticity;
import io.bluefog.topology.Topologies;
import io.bluefog.topology.Topology;
import io.bluefog.topology.TopologyValidation;
import io.bluefog.topology.dynamic.DynamicTopology;
import io.bluefog.topology.dynamic.Schedules;
import io.bluefog.topology.io.TopologyFiles;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one catalogue of named topologies: {@link TopologyName} to a static {@link Topology} or a
 * {@link DynamicTopology} schedule at a given number of ranks, the mesh-shape rule, and
 * {@link #load(String, int, Stochasticity) loading} a name or a file (any format of
 * {@link TopologyFiles}) validated for a job. Used by the topology tool and the examples.
 */
public final class TopologyCatalog {
    private TopologyCatalog() {
    }

    /**
     * BlueFog's {@code MeshGrid2DGraph} shape rule: {@code rows} is the largest divisor of n not
     * above {@code sqrt(n)}, {@code cols = n / rows} (24 gives 4 x 6; a prime n gives 1 x n).
     *
     * @param n number of ranks, &ge; 1
     * @return {@code {rows, cols}}
     */
    public static int[] meshShape(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("size n must be >= 1, got " + n);
        }
        int rows = (int) Math.sqrt(n);
        while (n % rows != 0) {
            rows--;
        }
        return new int[] {rows, n / rows};
    }

    /**
     * The static graph called {@code name} over n ranks, with the weights its factory in
     * {@link Topologies} gives (see {@link TopologyName#weights()}).
     *
     * @throws IllegalArgumentException if {@code name} is a dynamic schedule, or on a bad size or
     *                                  parameter (naming it)
     */
    public static Topology topology(TopologyName name, int n, CatalogParameters p) {
        if (name.isDynamic()) {
            throw new IllegalArgumentException(name + " is a dynamic schedule, not a static graph");
        }
        switch (name) {
            case RING:
                return Topologies.ring(n);
            case RING_LEFT:
                return Topologies.ring(n, RingStyle.LEFT);
            case RING_RIGHT:
                return Topologies.ring(n, RingStyle.RIGHT);
            case EXPONENTIAL:
                return Topologies.exponential(n, p.base() != null ? p.base() : 2);
            case SYMMETRIC_EXPONENTIAL:
                return Topologies.symmetricExponential(n,
                        p.base() != null ? p.base() : Topologies.SYMMETRIC_EXPONENTIAL_DEFAULT_BASE);
            case MESH: {
                int[] shape = meshShape(n);
                return Topologies.mesh2d(shape[0], shape[1]);
            }
            case TORUS: {
                int[] shape = meshShape(n);
                return Topologies.torus2d(shape[0], shape[1]);
            }
            case STAR:
                return Topologies.star(n, p.center());
            case FULLY_CONNECTED:
                return Topologies.fullyConnected(n);
            case HYPERCUBE:
                return Topologies.hypercube(n);
            case RANDOM_REGULAR:
                return Topologies.randomRegular(n, p.degree(), p.seed());
            case ERDOS_RENYI: {
                double prob = p.probability() != null ? p.probability() : Math.min(1.0, 2 * Math.log(Math.max(n, 2)) / n);
                return Topologies.erdosRenyi(n, prob, p.seed());
            }
            default:
                throw new AssertionError(name);
        }
    }

    /** {@link #topology(TopologyName, int, CatalogParameters)} with {@link CatalogParameters#DEFAULTS}. */
    public static Topology topology(TopologyName name, int n) {
        return topology(name, n, CatalogParameters.DEFAULTS);
    }

    /**
     * The schedule called {@code name}: a dynamic one as such, a static graph as the schedule of
     * period 1.
     *
     * @throws IllegalArgumentException on a bad size or parameter (naming it)
     */
    public static DynamicTopology schedule(TopologyName name, int n, CatalogParameters p) {
        switch (name) {
            case ONE_PEER_EXPONENTIAL:
                return Schedules.onePeerExponential(n);
            case INNER_OUTER_RING:
                return Schedules.innerOuterRing(n, p.ranksPerMachine());
            case INNER_OUTER_EXPONENTIAL:
                return Schedules.innerOuterExponential(n, p.ranksPerMachine());
            case BASE_2:
                return Schedules.baseGraph(n, 1);
            case BASE_3:
                return Schedules.baseGraph(n, 2);
            case BASE_4:
                return Schedules.baseGraph(n, 3);
            case BASE_5:
                return Schedules.baseGraph(n, 4);
            default:
                return Schedules.staticTopology(topology(name, n, p));
        }
    }

    /** {@link #schedule(TopologyName, int, CatalogParameters)} with {@link CatalogParameters#DEFAULTS}. */
    public static DynamicTopology schedule(TopologyName name, int n) {
        return schedule(name, n, CatalogParameters.DEFAULTS);
    }

    /**
     * The one-peer schedule of {@code name} (BlueFog's dynamic topologies): the one-peer
     * exponential graph for {@code exponential}, {@link Schedules#onePeerRotation(Topology)} over
     * any other static graph, and a dynamic schedule itself.
     */
    public static DynamicTopology onePeerSchedule(TopologyName name, int n, CatalogParameters p) {
        if (name.isDynamic()) {
            return schedule(name, n, p);
        }
        if (name == TopologyName.EXPONENTIAL && (p.base() == null || p.base() == 2)) {
            return Schedules.onePeerExponential(n);
        }
        return Schedules.onePeerRotation(topology(name, n, p));
    }

    /**
     * What a job's {@code --topology NAME|FILE} gives: the named schedule (default parameters),
     * or the topology in a file ({@link TopologyFiles#read}: edge list, DOT, GraphML or dense
     * matrix, unweighted graphs with their default rule), validated with
     * {@link TopologyValidation#requireValid(DynamicTopology, int, Stochasticity)}.
     *
     * @param nameOrFile a {@link TopologyName} or the path of a file
     * @param ranks      the number of ranks of the job
     * @param required   the sums the job's algorithm needs ({@link Stochasticity#COLUMN} for
     *                   push-sum, {@link Stochasticity#DOUBLY} otherwise)
     * @throws IllegalArgumentException with one line: an unknown name that is no file either
     *                                  (listing the names), or what is wrong with the file or matrix
     */
    public static DynamicTopology load(String nameOrFile, int ranks, Stochasticity required) {
        TopologyName name = TopologyName.find(nameOrFile);
        DynamicTopology schedule;
        if (name != null) {
            schedule = schedule(name, ranks, CatalogParameters.DEFAULTS);
        } else {
            Path file = Path.of(nameOrFile);
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("topology '" + nameOrFile + "' is neither a name ("
                        + String.join(", ", TopologyName.ids()) + ") nor a file");
            }
            schedule = Schedules.staticTopology(TopologyFiles.read(file, ranks, null, required));
        }
        TopologyValidation.requireValid(schedule, ranks, required);
        return schedule;
    }
}
