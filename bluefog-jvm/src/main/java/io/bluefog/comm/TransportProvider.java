package io.bluefog.comm;

/**
 * Service-provider interface (found with {@link java.util.ServiceLoader}) that lets
 * {@code BlueFog.init} pick a transport: the MPI transport registers one that is available when
 * the process was started by {@code mpirun}.
 */
public interface TransportProvider {

    /** @return the name users select the transport by, e.g. {@code "mpi"} */
    String name();

    /** @return true if this process can use the transport (e.g. it was launched by mpirun) */
    boolean isAvailable();

    /** Creates the communicator of this process; called at most once per process. */
    Communicator create(String[] args);
}
