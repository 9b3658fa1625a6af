package io.bluefog.mpi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import mpi.Intracomm;
import mpi.MPI;
import mpi.MPIException;
import mpi.Status;

/**
 * Liveness checks between the ranks of the MPI transport, so that a collective every rank entered
 * but that makes no progress can name the rank that stalled inside it (stopped with SIGSTOP, in a
 * long pause, or cut off), as Horovod's stall inspector names stalled ranks.
 *
 * <p>Every rank runs a daemon responder thread that keeps one receive for a ping (any source, tag
 * {@value #PING}) posted on a duplicate of {@code MPI_COMM_WORLD} (its own message space) and
 * answers each ping with a pong (tag {@value #PONG}) holding the ping's number and the rank's
 * current collective call number; it polls every {@value #RESPONDER_POLL_MILLIS} ms. A rank whose
 * process is stopped or unreachable does not answer. {@link #check} sends a ping to each given peer and
 * collects the pongs until a short deadline: every message is nonblocking and 16 bytes, far below
 * the eager limits, so a ping to a stopped rank does not block the sender.
 */
final class Liveness {
    static final int PING = 1;
    static final int PONG = 2;
    static final long POLL_MILLIS = 2;
    /**
     * The responder's poll period: it runs for the whole job on every rank, and each poll is a JNI
     * call into MPI's progress engine, which at 2 ms cost a rank about as much CPU as its window
     * service (async-push-sum, 2 ranks: 0.5 s each in a 20 s run); a pong up to 10 ms late is still
     * well inside the checks' wait ({@code MpiCommunicator.livenessWaitMillis()}: 50 ms to 1 s).
     */
    static final long RESPONDER_POLL_MILLIS = 10;

    private final Intracomm comm;
    private final int rank;
    private final LongSupplier currentCall;
    private final Thread responder;
    private volatile boolean stop;
    /** Asker side (one caller at a time): numbers the pings, so a late pong of an earlier check is ignored. */
    private long pings;
    /** Pings and pongs not yet seen complete, with their buffers (which MPI reads until then). */
    private final List<Object[]> askerSends = new ArrayList<>();

    /**
     * @param world       MPI_COMM_WORLD (duplicated here)
     * @param currentCall this rank's current collective call number, read by the responder thread
     */
    Liveness(Intracomm world, LongSupplier currentCall) throws MPIException {
        this.comm = world.dup();
        this.comm.setErrhandler(MPI.ERRORS_RETURN);
        this.rank = comm.getRank();
        this.currentCall = currentCall;
        this.responder = new Thread(this::serve, "bluefog-liveness-rank-" + rank);
        responder.setDaemon(true);
        responder.start();
    }

    private static LongBuffer direct(int longs) {
        return ByteBuffer.allocateDirect(longs * Long.BYTES).order(ByteOrder.nativeOrder()).asLongBuffer();
    }

    private void serve() {
        List<Object[]> sends = new ArrayList<>();
        try {
            LongBuffer in = direct(1);
            mpi.Request ping = comm.iRecv(in, 1, MPI.LONG, MPI.ANY_SOURCE, PING);
            try {
                while (!stop) {
                    Status s = ping.testStatus();
                    if (s == null) {
                        prune(sends);
                        LockSupport.parkNanos(RESPONDER_POLL_MILLIS * 1_000_000L);
                        continue;
                    }
                    LongBuffer out = direct(2);
                    out.put(0, in.get(0)).put(1, currentCall.getAsLong());
                    sends.add(new Object[] {comm.iSend(out, 2, MPI.LONG, s.getSource(), PONG), out});
                    ping = comm.iRecv(in, 1, MPI.LONG, MPI.ANY_SOURCE, PING);
                }
            } finally {
                ping.cancel();
                ping.waitFor();
            }
        } catch (MPIException | RuntimeException e) {
            // MPI is finalizing or failed: the checks then see this rank as not answering
        }
    }

    private static void prune(List<Object[]> sends) throws MPIException {
        for (Iterator<Object[]> it = sends.iterator(); it.hasNext(); ) {
            if (((mpi.Request) it.next()[0]).test()) {
                it.remove();
            }
        }
    }

    /**
     * Pings every rank of {@code peers} and waits up to {@code waitMillis} for their pongs.
     *
     * @return for each peer that answered, the collective call number it was in; the others are absent
     */
    Map<Integer, Long> check(List<Integer> peers, long waitMillis) throws MPIException {
        long id = ++pings;
        prune(askerSends);
        Map<Integer, LongBuffer> pongs = new LinkedHashMap<>();
        Map<Integer, mpi.Request> receives = new LinkedHashMap<>();
        for (int p : peers) {
            LongBuffer ping = direct(1);
            ping.put(0, id);
            askerSends.add(new Object[] {comm.iSend(ping, 1, MPI.LONG, p, PING), ping});
            LongBuffer pong = direct(2);
            pongs.put(p, pong);
            receives.put(p, comm.iRecv(pong, 2, MPI.LONG, p, PONG));
        }
        Map<Integer, Long> answered = new LinkedHashMap<>();
        long deadline = System.nanoTime() + waitMillis * 1_000_000L;
        while (answered.size() < peers.size() && System.nanoTime() - deadline < 0) {
            for (Map.Entry<Integer, mpi.Request> e : receives.entrySet()) {
                int p = e.getKey();
                if (answered.containsKey(p) || !e.getValue().test()) {
                    continue;
                }
                LongBuffer pong = pongs.get(p);
                if (pong.get(0) == id) {
                    answered.put(p, pong.get(1));
                } else { // a late answer to an earlier check: wait for this one's
                    e.setValue(comm.iRecv(pong, 2, MPI.LONG, p, PONG));
                }
            }
            LockSupport.parkNanos(POLL_MILLIS * 1_000_000L);
        }
        // Receives still posted for peers that did not answer are left: a late pong completes them
        // (and is ignored by its number); the communicator is not reused for anything else.
        return answered;
    }

    /** Stops the responder (before MPI_Finalize, which must not find its pending receive). */
    void close() {
        stop = true;
        try {
            responder.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
