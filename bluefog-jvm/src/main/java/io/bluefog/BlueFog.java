package io.bluefog;

import io.bluefog.comm.Communicator;
import io.bluefog.comm.TransportProvider;
import io.bluefog.config.BlueFogConfig;
import io.bluefog.local.LocalCluster;
import io.bluefog.timeline.Timeline;
import io.bluefog.topology.Topologies;
import io.bluefog.topology.Topology;
import java.util.Objects;
import java.util.ServiceLoader;

/**
 * The per-rank BlueFog context: who this rank is, its communicator and the current (static)
 * topology. Obtain it with {@link #init(String[])} in a program launched by {@code bfrun}/{@code mpirun}
 * (or {@link #of(Communicator)} inside a {@code LocalCluster}) and close it at the end; closing
 * shuts the transport down.
 *
 * <p>The default topology is the exponential graph over all ranks, as in BlueFog, averaged
 * uniformly ({@link Weighting#UNIFORM}); the default machine topology (for
 * {@code Collectives.hierarchicalNeighborAllreduce}) is the exponential graph over machines, also
 * uniform. BlueFog has no default machine topology ({@code hierarchical_neighbor_allreduce} fails
 * until {@code set_machine_topology} is called); we give one so the call works on any job.
 */
public final class BlueFog implements AutoCloseable {
    /**
     * Environment variable that forces a transport by name (e.g. {@code mpi}); unset: auto-detect.
     * Read and checked by {@link BlueFogConfig} ({@link BlueFogConfig#TRANSPORT}).
     */
    public static final String TRANSPORT_ENV = BlueFogConfig.TRANSPORT;
    /** Name of the in-JVM transport a one-rank {@link #init} falls back to. */
    public static final String LOCAL_TRANSPORT = "local";

    /** slf4j-simple's per-logger level property for our packages, set from {@code BLUEFOG_LOG_LEVEL}. */
    public static final String SLF4J_SIMPLE_LEVEL_PROPERTY = "org.slf4j.simpleLogger.log.io.bluefog";

    private final Communicator communicator;
    private final BlueFogConfig config;
    private final Timeline timeline;
    /** A static topology, how it is weighted, and the topology whose weights neighbor averages use. */
    private record Static(Topology topology, Weighting weighting, Topology mixing) {
        static Static of(Topology t, Weighting w) {
            return new Static(t, w, w.apply(t));
        }
    }

    private volatile Static ranks;
    private volatile Static machines;
    /** What forbids {@link #setTopology} now ({@link #holdTopology}), e.g. "window 'x'"; sorted. */
    private final java.util.Set<String> topologyHolders = new java.util.concurrent.ConcurrentSkipListSet<>();

    private BlueFog(Communicator communicator, BlueFogConfig config) {
        this.communicator = Objects.requireNonNull(communicator, "communicator");
        this.config = Objects.requireNonNull(config, "config");
        this.timeline = Timeline.forRank(config, communicator.rank());
        this.ranks = Static.of(Topologies.exponential(communicator.size()), Weighting.UNIFORM);
        this.machines = Static.of(Topologies.exponential(communicator.machineSize()), Weighting.UNIFORM);
    }

    /**
     * Initialises this process's rank: the first available {@link TransportProvider} found with
     * {@link ServiceLoader} (the MPI transport when started by mpirun), otherwise a one-rank world
     * of the in-JVM transport ({@link LocalCluster#singleRank(BlueFogConfig)}, transport name {@code "local"}).
     * Setting {@value #TRANSPORT_ENV} to {@code local} forces the latter.
     *
     * <p>Settings are read once here with {@link BlueFogConfig#fromEnvironment()}; if
     * {@code BLUEFOG_LOG_LEVEL} is set and the system property {@value #SLF4J_SIMPLE_LEVEL_PROPERTY}
     * is not, that property is set so slf4j-simple (the binding of our examples) logs
     * {@code io.bluefog.*} at that level (other bindings are configured their own way).
     *
     * @throws ConfigurationException if a {@code BLUEFOG_*} setting is invalid (see {@link BlueFogConfig}),
     *                                or {@value #TRANSPORT_ENV} names a transport that is not on the classpath
     */
    public static BlueFog init(String[] args) {
        BlueFogConfig config = BlueFogConfig.fromEnvironment();
        if (config.logLevelSet() && System.getProperty(SLF4J_SIMPLE_LEVEL_PROPERTY) == null) {
            System.setProperty(SLF4J_SIMPLE_LEVEL_PROPERTY, config.logLevel().slf4jSimpleName());
        }
        String wanted = config.transport().orElse(null);
        for (TransportProvider p : ServiceLoader.load(TransportProvider.class)) {
            if (wanted != null ? p.name().equals(wanted) : p.isAvailable()) {
                return new BlueFog(p.create(args), config);
            }
        }
        if (wanted != null && !wanted.equals(LOCAL_TRANSPORT)) {
            throw new ConfigurationException(TRANSPORT_ENV + "='" + wanted
                    + "' names no transport on the classpath (known: " + LOCAL_TRANSPORT + knownTransports() + ")");
        }
        return new BlueFog(LocalCluster.singleRank(config), config);
    }

    private static String knownTransports() {
        StringBuilder names = new StringBuilder();
        for (TransportProvider p : ServiceLoader.load(TransportProvider.class)) {
            names.append(", ").append(p.name());
        }
        return names.toString();
    }

    /**
     * Wraps an existing communicator (used by {@code LocalCluster} and tests), with settings read
     * from the environment.
     *
     * @throws ConfigurationException if a {@code BLUEFOG_*} setting is invalid
     */
    public static BlueFog of(Communicator communicator) {
        return new BlueFog(communicator, BlueFogConfig.fromEnvironment());
    }

    /** Wraps an existing communicator with explicit settings. */
    public static BlueFog of(Communicator communicator, BlueFogConfig config) {
        return new BlueFog(communicator, config);
    }

    /** @return the settings this context was created with */
    public BlueFogConfig config() {
        return config;
    }

    /**
     * @return this rank's timeline: recording to {@code <BLUEFOG_TIMELINE><rank>.json} when that
     *         setting is given (written on {@link #close()}), a no-op otherwise
     */
    public Timeline timeline() {
        return timeline;
    }

    /** @return this process's rank, 0 &le; rank &lt; size */
    public int rank() {
        return communicator.rank();
    }

    /** @return the number of ranks in the job */
    public int size() {
        return communicator.size();
    }

    /** @return the rank's index among the ranks on its machine (selects its GPU, see {@code io.bluefog.device.Devices}) */
    public int localRank() {
        return communicator.localRank();
    }

    /** @return the number of ranks on this rank's machine */
    public int localSize() {
        return communicator.localSize();
    }

    /** @return the index of this rank's machine */
    public int machineRank() {
        return communicator.machineRank();
    }

    /** @return the number of machines in the job */
    public int machineSize() {
        return communicator.machineSize();
    }

    /** @return the transport this context sends through (one per rank) */
    public Communicator communicator() {
        return communicator;
    }

    /**
     * @return the static topology as it was set (BlueFog's {@code load_topology}); its weights are
     *         used only when {@link #weighting()} is {@link Weighting#TOPOLOGY}
     */
    public Topology topology() {
        return ranks.topology();
    }

    /** @return how neighbor averages over {@link #topology()} are weighted (BlueFog's {@code is_topo_weighted}) */
    public Weighting weighting() {
        return ranks.weighting();
    }

    /**
     * @return the mixing matrix {@code Collectives.neighborAllreduce(x)} uses: {@link #topology()}
     *         itself when weighted, else the same edges with the uniform weights {@code 1/(indeg + 1)}
     */
    public Topology mixingTopology() {
        return ranks.mixing();
    }

    /** @return the ranks this rank receives from in {@link #topology()}, ascending, self excluded (BlueFog's {@code in_neighbor_ranks}) */
    public int[] inNeighborRanks() {
        return ranks.topology().inNeighbors(rank());
    }

    /** @return the ranks this rank sends to in {@link #topology()}, ascending, self excluded (BlueFog's {@code out_neighbor_ranks}) */
    public int[] outNeighborRanks() {
        return ranks.topology().outNeighbors(rank());
    }

    /**
     * Sets the static topology, averaged uniformly over self and in-neighbors: the same as
     * {@code setTopology(topology, Weighting.UNIFORM)}, BlueFog's {@code set_topology(topology)}
     * (whose {@code is_weighted} defaults to false).
     *
     * @throws IllegalArgumentException if the topology's size differs from {@link #size()}
     * @throws IllegalStateException    if a window is open on this rank (see {@link #holdTopology})
     */
    public void setTopology(Topology topology) {
        setTopology(topology, Weighting.UNIFORM);
    }

    /**
     * Sets the static topology and how neighbor averages over it are weighted (BlueFog's
     * {@code set_topology(topology, is_weighted)}). Every rank must call it with an equal topology
     * and weighting before its next neighbor operation; this is not checked here, but a rank whose
     * mixing matrix differs makes the next neighbor operation fail with
     * {@link CollectiveMismatchException} (the matrix is part of its header).
     *
     * <p>Refused while something holds the topology ({@link #holdTopology}): an open window's
     * neighbors are those of the topology at its creation, so, as in BlueFog (whose
     * {@code set_topology} fails with "there are window object uncleared" until {@code win_free}),
     * the topology cannot change until every window is freed. Checked on this rank before anything
     * changes; the topology stays as it was.
     *
     * @throws IllegalArgumentException if the topology's size differs from {@link #size()}
     * @throws IllegalStateException    if something holds the topology (an open window), naming each holder
     */
    public void setTopology(Topology topology, Weighting weighting) {
        requireSize(topology, size(), "topology", "ranks");
        Objects.requireNonNull(weighting, "weighting");
        if (!topologyHolders.isEmpty()) {
            throw new IllegalStateException("rank " + rank() + ": setTopology refused: the topology cannot change while "
                    + String.join(", ", topologyHolders) + " " + (topologyHolders.size() == 1 ? "is" : "are")
                    + " open (a window's neighbors are fixed at its creation); free them first"
                    + " (Windows.winFree / winFreeAll), as BlueFog's set_topology requires");
        }
        this.ranks = Static.of(topology, Objects.requireNonNull(weighting, "weighting"));
    }

    /**
     * Forbids {@link #setTopology} on this rank until {@link #releaseTopology(String)} with the same
     * holder: called by {@code Windows.winCreate} for every window (holder {@code "window 'NAME'"}),
     * whose neighbors must stay those of the topology at its creation. Local to this rank.
     *
     * @param holder non-blank, named in {@link #setTopology}'s error; holding twice is one hold
     * @throws IllegalArgumentException if {@code holder} is blank
     */
    public void holdTopology(String holder) {
        if (Objects.requireNonNull(holder, "holder").isBlank()) {
            throw new IllegalArgumentException("a topology holder needs a name");
        }
        topologyHolders.add(holder);
    }

    /**
     * Ends {@code holder}'s {@link #holdTopology}; releasing a holder that holds nothing does nothing.
     * Local to this rank.
     */
    public void releaseTopology(String holder) {
        topologyHolders.remove(Objects.requireNonNull(holder, "holder"));
    }

    /** @return what currently forbids {@link #setTopology} on this rank (e.g. {@code window 'x'}), sorted; empty if nothing */
    public java.util.List<String> topologyHolders() {
        return java.util.List.copyOf(topologyHolders);
    }

    /**
     * @return the machine topology as it was set (BlueFog's {@code load_machine_topology}):
     *         {@link #machineSize()} nodes, node m is machine m
     */
    public Topology machineTopology() {
        return machines.topology();
    }

    /** @return how averages over {@link #machineTopology()} are weighted (BlueFog's {@code is_machine_topo_weighted}) */
    public Weighting machineWeighting() {
        return machines.weighting();
    }

    /**
     * @return the machine mixing matrix {@code Collectives.hierarchicalNeighborAllreduce(x)} uses:
     *         {@link #machineTopology()} when weighted, else its edges with uniform weights
     */
    public Topology machineMixingTopology() {
        return machines.mixing();
    }

    /** @return the machines this rank's machine receives from, ascending, itself excluded (BlueFog's {@code in_neighbor_machine_ranks}) */
    public int[] inNeighborMachineRanks() {
        return machines.topology().inNeighbors(machineRank());
    }

    /** @return the machines this rank's machine sends to, ascending, itself excluded (BlueFog's {@code out_neighbor_machine_ranks}) */
    public int[] outNeighborMachineRanks() {
        return machines.topology().outNeighbors(machineRank());
    }

    /** Sets the machine topology, averaged uniformly: {@code setMachineTopology(topology, Weighting.UNIFORM)}. */
    public void setMachineTopology(Topology topology) {
        setMachineTopology(topology, Weighting.UNIFORM);
    }

    /**
     * Sets the machine topology hierarchical neighbor averages use by default (BlueFog's
     * {@code set_machine_topology(topology, is_weighted)}); every rank must call it with an equal
     * topology and weighting.
     *
     * @param topology {@link #machineSize()} nodes, node m is machine m
     * @throws IllegalArgumentException if the topology's size differs from {@link #machineSize()}
     */
    public void setMachineTopology(Topology topology, Weighting weighting) {
        requireSize(topology, machineSize(), "machine topology", "machines");
        this.machines = Static.of(topology, Objects.requireNonNull(weighting, "weighting"));
    }

    private static void requireSize(Topology topology, int size, String what, String of) {
        Objects.requireNonNull(topology, what);
        if (topology.size() != size) {
            throw new IllegalArgumentException(what + " has " + topology.size() + " nodes but the job has " + size
                    + " " + of);
        }
    }

    /** Writes the timeline (if recording) and closes the communicator. */
    @Override
    public void close() {
        try {
            timeline.close();
        } finally {
            communicator.close();
        }
    }
}
