package io.bluefog.topology.catalog;

import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * The names of the topologies and schedules in the {@link TopologyCatalog}, as written on command
 * lines ({@code --topology ring}, {@code --graph one-peer-exponential}). Each knows whether it is
 * a static graph or a dynamic schedule and which weights it gets.
 */
public enum TopologyName {
    /** {@code ring}: {@link io.bluefog.topology.Topologies#ring(int)}, weights 1/3. */
    RING("ring", false, "uniform"),
    /** {@code ring-left}: BlueFog's left-connected ring, rank i sends to i-1; weights 1/2. */
    RING_LEFT("ring-left", false, "uniform"),
    /** {@code ring-right}: BlueFog's right-connected ring, rank i sends to i+1; weights 1/2. */
    RING_RIGHT("ring-right", false, "uniform"),
    /** {@code exponential}: {@link io.bluefog.topology.Topologies#exponential(int, int)}, base 2 unless given. */
    EXPONENTIAL("exponential", false, "uniform"),
    /** {@code symmetric-exponential}: base 4 (BlueFog's default) unless given. */
    SYMMETRIC_EXPONENTIAL("symmetric-exponential", false, "uniform"),
    /** {@code mesh}: 2-D mesh in the shape of {@link TopologyCatalog#meshShape(int)}; Metropolis–Hastings. */
    MESH("mesh", false, "metropolis"),
    /** {@code torus}: 2-D torus in the shape of {@link TopologyCatalog#meshShape(int)}; uniform. */
    TORUS("torus", false, "uniform"),
    /** {@code star}: around the center rank (0 unless given); Metropolis–Hastings (BlueFog's StarGraph). */
    STAR("star", false, "metropolis"),
    /** {@code fully-connected} (also {@code full}): {@code W = 11^T/n}. */
    FULLY_CONNECTED("fully-connected", false, "uniform"),
    /** {@code hypercube}: n a power of 2. */
    HYPERCUBE("hypercube", false, "uniform"),
    /** {@code random-regular}: seeded random d-regular graph. */
    RANDOM_REGULAR("random-regular", false, "uniform"),
    /** {@code erdos-renyi}: seeded G(n, p); Metropolis–Hastings. */
    ERDOS_RENYI("erdos-renyi", false, "metropolis"),
    /** {@code one-peer-exponential}: {@link io.bluefog.topology.dynamic.Schedules#onePeerExponential(int)}. */
    ONE_PEER_EXPONENTIAL("one-peer-exponential", true, "one-peer"),
    /** {@code inner-outer-ring}: {@link io.bluefog.topology.dynamic.Schedules#innerOuterRing(int, int)}. */
    INNER_OUTER_RING("inner-outer-ring", true, "one-peer"),
    /** {@code inner-outer-exponential}: {@link io.bluefog.topology.dynamic.Schedules#innerOuterExponential(int, int)}. */
    INNER_OUTER_EXPONENTIAL("inner-outer-exponential", true, "one-peer"),
    /** {@code base-2}: {@link io.bluefog.topology.dynamic.Schedules#baseGraph(int, int)} with k = 1 (one peer). */
    BASE_2("base-2", true, "base-graph"),
    /** {@code base-3}: {@link io.bluefog.topology.dynamic.Schedules#baseGraph(int, int)} with k = 2. */
    BASE_3("base-3", true, "base-graph"),
    /** {@code base-4}: {@link io.bluefog.topology.dynamic.Schedules#baseGraph(int, int)} with k = 3. */
    BASE_4("base-4", true, "base-graph"),
    /** {@code base-5}: {@link io.bluefog.topology.dynamic.Schedules#baseGraph(int, int)} with k = 4. */
    BASE_5("base-5", true, "base-graph");

    private final String id;
    private final boolean dynamic;
    private final String weights;

    TopologyName(String id, boolean dynamic, String weights) {
        this.id = id;
        this.dynamic = dynamic;
        this.weights = weights;
    }

    /** @return the command-line name, e.g. {@code symmetric-exponential} */
    public String id() {
        return id;
    }

    /** @return whether the name is a dynamic schedule rather than a static graph */
    public boolean isDynamic() {
        return dynamic;
    }

    /** @return the name of the weights the catalogue gives it: uniform, metropolis, one-peer or base-graph */
    public String weights() {
        return weights;
    }

    @Override
    public String toString() {
        return id;
    }

    /** @return every command-line name, in declaration order */
    public static List<String> ids() {
        return Arrays.stream(values()).map(TopologyName::id).toList();
    }

    /**
     * Parses a command-line name (case-insensitive; {@code full} is short for
     * {@code fully-connected}).
     *
     * @throws IllegalArgumentException naming the unknown name and listing the known ones
     */
    public static TopologyName parse(String name) {
        String s = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        if (s.equals("full")) {
            return FULLY_CONNECTED;
        }
        for (TopologyName t : values()) {
            if (t.id.equals(s)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown topology '" + name + "' (expected one of "
                + String.join(", ", ids()) + ")");
    }

    /** @return the name if {@code name} is one, else null */
    static TopologyName find(String name) {
        try {
            return parse(name);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** picocli converter: {@code @Option(converter = TopologyName.Converter.class)}. */
    public static final class Converter extends ParsingConverter<TopologyName> {
        /** The converter picocli instantiates. */
        public Converter() {
            super(TopologyName::parse);
        }
    }

    /** The names for picocli's {@code completionCandidates} and {@code ${COMPLETION-CANDIDATES}}. */
    public static final class Candidates implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return ids().iterator();
        }
    }
}
