package io.bluefog.mpi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import mpi.Intracomm;
import mpi.MPI;
import mpi.MPIException;

/**
 * Arrival tokens of the MPI transport's collectives, so that a collective that times out can name
 * the ranks that never entered it (MPI's nonblocking collectives say only "not complete yet").
 *
 * <p>On entering its k-th collective (k = 1, 2, ...) a rank sends the 8-byte number k to every
 * other rank over a duplicate of {@code MPI_COMM_WORLD} (its own message space, so no tag of the
 * point-to-point API can collide), and keeps one receive posted per peer; the highest number
 * received from rank p says which collectives p has entered. The messages are far below every
 * eager limit, so sends complete without the peer's participation. Used by one thread at a time
 * (the Communicator contract: one caller of collectives per rank).
 */
final class Arrivals {
    private static final int TAG = 0;

    private final Intracomm comm;
    private final int rank;
    private final int size;
    private final long[] heard;
    private final LongBuffer[] received;
    private final mpi.Request[] receives;
    /** Token sends not yet seen complete, with their buffers (which MPI reads until then). */
    private final List<Object[]> sends = new ArrayList<>();
    /** Token buffers whose sends completed, for the next tokens (a direct allocation per token costs microseconds). */
    private final List<LongBuffer> free = new ArrayList<>();
    private volatile long calls;

    Arrivals(Intracomm world) throws MPIException {
        this.comm = world.dup();
        this.comm.setErrhandler(MPI.ERRORS_RETURN);
        this.rank = comm.getRank();
        this.size = comm.getSize();
        this.heard = new long[size];
        this.received = new LongBuffer[size];
        this.receives = new mpi.Request[size];
        for (int p = 0; p < size; p++) {
            if (p != rank) {
                received[p] = direct();
                receives[p] = comm.iRecv(received[p], 1, MPI.LONG, p, TAG);
            }
        }
    }

    private static LongBuffer direct() {
        return ByteBuffer.allocateDirect(Long.BYTES).order(ByteOrder.nativeOrder()).asLongBuffer();
    }

    /**
     * Announces this rank's next collective to every peer.
     *
     * @return the collective's number on this rank, 1 for the first
     */
    long enter() throws MPIException {
        calls++;
        for (Iterator<Object[]> it = sends.iterator(); it.hasNext(); ) {
            Object[] send = it.next();
            if (((mpi.Request) send[0]).test()) {
                it.remove();
                free.add((LongBuffer) send[1]); // MPI no longer reads it: reused, not reallocated per call
            }
        }
        for (int p = 0; p < size; p++) {
            if (p != rank) {
                LongBuffer token = free.isEmpty() ? direct() : free.remove(free.size() - 1);
                token.put(0, calls);
                sends.add(new Object[] {comm.iSend(token, 1, MPI.LONG, p, TAG), token});
            }
        }
        poll();
        return calls;
    }

    /** @return this rank's current collective call number (the last {@link #enter()}'s; 0 before the first) */
    long calls() {
        return calls;
    }

    /** Takes in every token that has arrived (and reposts the receives). */
    void poll() throws MPIException {
        for (int p = 0; p < size; p++) {
            if (p != rank) {
                while (receives[p].test()) {
                    heard[p] = Math.max(heard[p], received[p].get(0));
                    receives[p] = comm.iRecv(received[p], 1, MPI.LONG, p, TAG);
                }
            }
        }
    }

    /** @return the ranks (ascending) that have not yet announced their collective number {@code call} */
    List<Integer> notEntered(long call) {
        List<Integer> missing = new ArrayList<>();
        for (int p = 0; p < size; p++) {
            if (p != rank && heard[p] < call) {
                missing.add(p);
            }
        }
        return missing;
    }

    /** Cancels the posted receives (before MPI_Finalize, which must not find pending requests). */
    void cancel() {
        for (int p = 0; p < size; p++) {
            if (receives[p] != null) {
                try {
                    receives[p].cancel();
                    receives[p].waitFor();
                } catch (MPIException | RuntimeException e) {
                    // best effort at exit
                }
            }
        }
    }
}
