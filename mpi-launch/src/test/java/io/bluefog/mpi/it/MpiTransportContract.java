package io.bluefog.mpi.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.BlueFog;
import io.bluefog.BlueFogException;
import io.bluefog.CommunicationException;
import io.bluefog.comm.Communicator;
import io.bluefog.comm.EagerPieces;
import io.bluefog.comm.ReduceOp;
import io.bluefog.comm.Request;
import io.bluefog.mpi.MpiCommunicator;
import io.bluefog.testing.ContractSuite;
import io.bluefog.testing.DirectBuffers;
import io.bluefog.testing.RankCheck;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What only the MPI transport promises, beyond the transport-independent
 * {@code CommunicatorContract}: it is the transport mpirun selects, its ranks agree with Open MPI's
 * own view, a receive of the wrong length fails as {@link CommunicationException} without breaking
 * the communicator, a broadcast root may pass a read-only buffer, the abort handler is installed, and MPI cannot be initialised twice. Runs only
 * under mpirun (np &ge; 2) through {@code RunContractSuite}.
 */
public final class MpiTransportContract implements ContractSuite {
    /** Tags of the wrong-length messages (any values below 32767 not used elsewhere in the check). */
    static final int SHORT_TAG = 11;
    static final int LONG_TAG = 12;

    @Override
    public Map<String, RankCheck> checks() {
        Map<String, RankCheck> c = new LinkedHashMap<>();
        c.put("selectedUnderMpirun", MpiTransportContract::selectedUnderMpirun);
        c.put("ranksMatchOpenMpiEnvironment", MpiTransportContract::ranksMatchOpenMpiEnvironment);
        c.put("wrongLengthReceiveFails", MpiTransportContract::wrongLengthReceiveFails);
        c.put("allgathervShorterPartFails", MpiTransportContract::allgathervShorterPartFails);
        c.put("broadcastFromReadOnlyRoot", MpiTransportContract::broadcastFromReadOnlyRoot);
        c.put("abortHandlerInstalled", MpiTransportContract::abortHandlerInstalled);
        c.put("secondInitRejected", bf -> assertThrows(BlueFogException.class, () -> MpiCommunicator.initialize(new String[0])));
        return c;
    }

    static void selectedUnderMpirun(BlueFog bf) {
        assertEquals("mpi", bf.communicator().transportName(), "rank " + bf.rank() + ": transport");
        assertTrue(bf.communicator() instanceof MpiCommunicator, "rank " + bf.rank() + ": communicator class");
    }

    static void ranksMatchOpenMpiEnvironment(BlueFog bf) {
        assertEquals(env("OMPI_COMM_WORLD_RANK"), bf.rank(), "rank");
        assertEquals(env("OMPI_COMM_WORLD_SIZE"), bf.size(), "size");
        assertEquals(env("OMPI_COMM_WORLD_LOCAL_RANK"), bf.localRank(), "rank " + bf.rank() + ": local rank");
        assertEquals(env("OMPI_COMM_WORLD_LOCAL_SIZE"), bf.localSize(), "rank " + bf.rank() + ": local size");
        if (bf.localSize() == bf.size()) {
            assertEquals(1, bf.machineSize(), "all ranks on one host: one machine");
            assertEquals(0, bf.machineRank(), "all ranks on one host: machine 0");
        }
    }

    private static int env(String name) {
        String v = System.getenv(name);
        assertTrue(v != null, name + " is not set: not started by Open MPI's mpirun?");
        return Integer.parseInt(v);
    }

    /**
     * Rank 0 sends 3 and then 7 floats to rank 1, which receives both into 5-element buffers: the
     * short message must fail with "received 3", the long one (MPI_ERR_TRUNCATE) too; then an
     * allreduce shows the communicator still works.
     */
    static void wrongLengthReceiveFails(BlueFog bf) {
        Communicator c = bf.communicator();
        if (bf.rank() == 0) {
            Request a = c.isend(DirectBuffers.floatsOf(1, 2, 3), 1, SHORT_TAG);
            Request b = c.isend(DirectBuffers.floatsOf(1, 2, 3, 4, 5, 6, 7), 1, LONG_TAG);
            a.waitFor();
            b.waitFor();
        } else if (bf.rank() == 1) {
            Request shortRecv = c.irecv(DirectBuffers.floats(5), 0, SHORT_TAG);
            CommunicationException e = assertThrows(CommunicationException.class, shortRecv::waitFor);
            assertTrue(e.getMessage().contains("received 3 elements"), e.getMessage());
            assertThrows(CommunicationException.class, shortRecv::waitFor, "a failed request stays failed");
            Request longRecv = c.irecv(DirectBuffers.floats(5), 0, LONG_TAG);
            assertThrows(CommunicationException.class, longRecv::waitFor);
        }
        FloatBuffer one = DirectBuffers.floatsOf(1);
        c.allreduce(one, ReduceOp.SUM);
        assertEquals(bf.size(), one.get(0), "rank " + bf.rank() + ": allreduce after failed receives");
    }

    /**
     * A small allgatherv (eager pieces, {@code EagerPieces}) in which rank 0 passes counts[0] =
     * piece (one full piece and an empty last one) while every other rank expects piece + 5 from it:
     * the others fail naming "received piece elements but the buffer expects piece + 5", rank 0
     * completes, and a correct allgatherv right after gets every part (the shorter message left
     * nothing unreceived for it to match).
     */
    static void allgathervShorterPartFails(BlueFog bf) {
        Communicator c = bf.communicator();
        int n = bf.size();
        int piece = EagerPieces.pieceElements(c.eagerMessageBytes(), Float.BYTES, 1);
        int[] counts = new int[n];
        java.util.Arrays.fill(counts, 2);
        counts[0] = bf.rank() == 0 ? piece : piece + 5;
        FloatBuffer send = DirectBuffers.floats(counts[bf.rank()]);
        FloatBuffer recv = DirectBuffers.floats(java.util.Arrays.stream(counts).sum());
        if (bf.rank() == 0) {
            c.allgatherv(send, recv, counts);
        } else {
            CommunicationException e = assertThrows(CommunicationException.class, () -> c.allgatherv(send, recv, counts));
            assertTrue(e.getMessage().contains("received " + piece + " elements but the buffer expects " + (piece + 5)),
                    "rank " + bf.rank() + ": " + e.getMessage());
        }
        int[] same = new int[n];
        java.util.Arrays.fill(same, 3);
        FloatBuffer mine = DirectBuffers.floatsOf(bf.rank(), bf.rank() + 0.5f, -bf.rank());
        FloatBuffer all = DirectBuffers.floats(3 * n);
        c.allgatherv(mine, all, same);
        for (int r = 0; r < n; r++) {
            assertEquals(r, all.get(3 * r), "rank " + bf.rank() + ": part of rank " + r + " after the failed call");
            assertEquals(r + 0.5f, all.get(3 * r + 1), "rank " + bf.rank() + ": part of rank " + r);
            assertEquals(-r, all.get(3 * r + 2), "rank " + bf.rank() + ": part of rank " + r);
        }
    }

    /** The root's buffer is only read, so a read-only view of it is accepted (zero-copy: no writable copy). */
    static void broadcastFromReadOnlyRoot(BlueFog bf) {
        int root = bf.size() - 1;
        FloatBuffer x = bf.rank() == root
                ? DirectBuffers.floatsOf(root, 2, 3).asReadOnlyBuffer()
                : DirectBuffers.floats(3);
        bf.communicator().broadcast(x, root);
        assertEquals(root, x.get(0), "rank " + bf.rank());
        assertEquals(2, x.get(1), "rank " + bf.rank());
        assertEquals(3, x.get(2), "rank " + bf.rank());
    }

    static void abortHandlerInstalled(BlueFog bf) {
        Thread.UncaughtExceptionHandler h = Thread.getDefaultUncaughtExceptionHandler();
        assertTrue(h != null && h.getClass().getName().equals("io.bluefog.mpi.AbortOnUncaughtException"),
                "rank " + bf.rank() + ": default uncaught-exception handler is " + h);
    }
}
