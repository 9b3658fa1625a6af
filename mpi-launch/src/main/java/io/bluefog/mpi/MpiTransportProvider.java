package io.bluefog.mpi;

import io.bluefog.comm.Communicator;
import io.bluefog.comm.TransportProvider;

/**
 * Registers the MPI transport with {@link io.bluefog.BlueFog#init(String[])} (through
 * {@code META-INF/services/io.bluefog.comm.TransportProvider}). Available when Open MPI's launcher
 * started this process, i.e. when {@code OMPI_COMM_WORLD_RANK} and {@code OMPI_COMM_WORLD_SIZE}
 * are set. This class must not touch the {@code mpi} package before {@link #create}: the service
 * is instantiated in every JVM that has it on the classpath, with or without libmpi.
 */
public final class MpiTransportProvider implements TransportProvider {
    /** Environment variables Open MPI's mpirun/orted set in every rank's environment. */
    static final String[] OMPI_ENV = {"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"};

    @Override
    public String name() {
        return "mpi";
    }

    @Override
    public boolean isAvailable() {
        for (String variable : OMPI_ENV) {
            if (System.getenv(variable) == null) {
                return false;
            }
        }
        return true;
    }

    /**
     * Initialises MPI ({@link MpiCommunicator#initialize}) and installs
     * {@link AbortOnUncaughtException} as the JVM's default uncaught-exception handler.
     */
    @Override
    public Communicator create(String[] args) {
        MpiCommunicator communicator = MpiCommunicator.initialize(args);
        Thread.setDefaultUncaughtExceptionHandler(new AbortOnUncaughtException(communicator));
        return communicator;
    }
}
