package io.bluefog.mpi.it;

import io.bluefog.BlueFog;

/**
 * Job for {@link BfrunMpiTest}: every rank initialises and closes the MPI transport, then rank 0
 * exits with the status given as the first argument, which bfrun must pass through.
 */
public final class ExitStatusMain {
    private ExitStatusMain() {
    }

    public static void main(String[] args) {
        int status = Integer.parseInt(args[0]);
        int rank;
        try (BlueFog bf = BlueFog.init(args)) {
            rank = bf.rank();
        }
        if (rank == 0) {
            System.exit(status);
        }
    }
}
