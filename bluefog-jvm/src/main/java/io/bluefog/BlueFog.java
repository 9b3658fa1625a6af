package io.bluefog;

import io.bluefog.comm.Communicator;
import io.bluefog.comm.TransportProvider;
import io.bluefog.local.LocalCluster;
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
 * <p>The default topology is the exponential graph over all ranks, as in BlueFog.
 */
public final class BlueFog implements AutoCloseable {
    /** Environment variable that forces a transport by name (e.g. {@code mpi}); unset: auto-detect. */
    public static final String TRANSPORT_ENV = "BLUEFOG_TRANSPORT";

    private final Communicator communicator;
    private volatile Topology topology;

    private BlueFog(Communicator communicator) {
        this.communicator = Objects.requireNonNull(communicator, "communicator");
        this.topology = Topologies.exponential(communicator.size());
    }

    /**
     * Initialises this process's rank: the first available {@link TransportProvider} found with
     * {@link ServiceLoader} (the MPI transport when started by mpirun), otherwise a one-rank world
     * of the in-JVM transport ({@link LocalCluster#singleRank()}, transport name {@code "local"}).
     * Setting {@value #TRANSPORT_ENV} to {@code local} forces the latter.
     *
     * @throws BlueFogException if {@value #TRANSPORT_ENV} names a transport that is not available
     */
    public static BlueFog init(String[] args) {
        String wanted = System.getenv(TRANSPORT_ENV);
        for (TransportProvider p : ServiceLoader.load(TransportProvider.class)) {
            boolean named = wanted != null && !wanted.isBlank() && p.name().equals(wanted);
            if (named || ((wanted == null || wanted.isBlank()) && p.isAvailable())) {
                return new BlueFog(p.create(args));
            }
        }
        if (wanted != null && !wanted.isBlank() && !wanted.equals("local")) {
            throw new BlueFogException(TRANSPORT_ENV + "=" + wanted + " but no such transport is on the classpath");
        }
        return new BlueFog(LocalCluster.singleRank());
    }

    /** Wraps an existing communicator (used by {@code LocalCluster} and tests). */
    public static BlueFog of(Communicator communicator) {
        return new BlueFog(communicator);
    }

    public int rank() {
        return communicator.rank();
    }

    public int size() {
        return communicator.size();
    }

    public int localRank() {
        return communicator.localRank();
    }

    public int localSize() {
        return communicator.localSize();
    }

    public int machineRank() {
        return communicator.machineRank();
    }

    public int machineSize() {
        return communicator.machineSize();
    }

    public Communicator communicator() {
        return communicator;
    }

    /** @return the static topology neighbor operations use by default */
    public Topology topology() {
        return topology;
    }

    /**
     * Sets the static topology. Must be called by every rank with an equal topology before the next
     * neighbor operation (not checked here; the collectives check their headers).
     *
     * @throws IllegalArgumentException if the topology's size differs from {@link #size()}
     */
    public void setTopology(Topology topology) {
        Objects.requireNonNull(topology, "topology");
        if (topology.size() != size()) {
            throw new IllegalArgumentException(
                    "topology has " + topology.size() + " ranks but the job has " + size());
        }
        this.topology = topology;
    }

    @Override
    public void close() {
        communicator.close();
    }
}
