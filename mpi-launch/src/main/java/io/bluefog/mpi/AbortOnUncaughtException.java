package io.bluefog.mpi;

import io.bluefog.comm.Communicator;

/**
 * Default uncaught-exception handler of an MPI process: a rank that dies of an exception would
 * otherwise leave the other ranks blocked forever in their next collective. It prints the stack
 * trace and aborts the whole job through {@link Communicator#abort} (MPI_Abort), so mpirun ends
 * every rank and exits non-zero.
 */
final class AbortOnUncaughtException implements Thread.UncaughtExceptionHandler {
    /** Exit status of a job aborted by an uncaught exception. */
    static final int EXIT_CODE = 1;

    private final Communicator communicator;

    AbortOnUncaughtException(Communicator communicator) {
        this.communicator = communicator;
    }

    @Override
    public void uncaughtException(Thread thread, Throwable error) {
        System.err.println("[bluefog] rank " + communicator.rank() + ": uncaught exception in thread \""
                + thread.getName() + "\"");
        error.printStackTrace();
        communicator.abort(EXIT_CODE, error);
    }
}
