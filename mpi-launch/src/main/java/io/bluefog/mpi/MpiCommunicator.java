package io.bluefog.mpi;

import io.bluefog.BlueFogException;
import io.bluefog.CommunicationException;
import io.bluefog.comm.Communicator;
import io.bluefog.comm.ReduceOp;
import io.bluefog.comm.Request;
import java.nio.Buffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import mpi.Comm;
import mpi.Intracomm;
import mpi.MPI;
import mpi.MPIException;
import mpi.Op;

/**
 * The {@link Communicator} of a process started by {@code mpirun}, over Open MPI's Java bindings
 * (the {@code mpi} package of Open MPI &ge; 4.1, whose JNI half is Debian's
 * {@code libmpi_java.so}).
 *
 * <p>Every data buffer is handed to MPI as is: direct buffers, no copies (a buffer whose position is
 * not 0 is passed as a {@link Buffer#slice() slice}, a view of the same memory). MPI errors are
 * returned, not fatal ({@code MPI_ERRORS_RETURN}), and surface as {@link CommunicationException}.
 *
 * <p>Local rank and size come from {@code MPI_Comm_split_type(MPI_COMM_TYPE_SHARED)} (the ranks
 * sharing memory with this one); machine rank and size from a communicator of the local leaders
 * (local rank 0) ordered by world rank, so machines are numbered in order of their lowest rank.
 *
 * <p>MPI can be initialised once per process, hence {@link #initialize(String[])} rather than a
 * constructor. Every rank must {@link #close()} its communicator; {@code MPI_Finalize} then runs
 * when the JVM exits (a shutdown hook), not inside {@code close()}. The reason: when an exception
 * leaves a {@code try (BlueFog bf = BlueFog.init(args))} block on one rank while the others wait in
 * a collective, {@code close()} runs first; a collective {@code MPI_Finalize} there would block
 * forever and the uncaught-exception handler that aborts the job would never run. A rank that was
 * not closed (killed by mpirun after another rank aborted, or a program that forgot to close) does
 * not finalize, and mpirun reports the job as failed.
 */
public final class MpiCommunicator implements Communicator {
    private static final AtomicBoolean INITIALIZED = new AtomicBoolean();

    private final int rank;
    private final int size;
    private final Intracomm local;
    private final int localRank;
    private final int localSize;
    private final int machineRank;
    private final int machineSize;
    private final String hostname;
    private final int maxTag;
    private volatile boolean closed;
    /** Set by {@link #abort}: the shutdown hook must not finalize an aborting process. */
    private volatile boolean aborting;

    private MpiCommunicator() throws MPIException {
        Intracomm world = MPI.COMM_WORLD;
        world.setErrhandler(MPI.ERRORS_RETURN);
        rank = world.getRank();
        size = world.getSize();
        hostname = MPI.getProcessorName();
        Object tagUb = world.getAttr(MPI.TAG_UB);
        maxTag = tagUb instanceof Integer i ? i : 32767;

        local = world.splitType(Comm.TYPE_SHARED, rank, MPI.INFO_NULL);
        local.setErrhandler(MPI.ERRORS_RETURN);
        localRank = local.getRank();
        localSize = local.getSize();

        // Leaders (local rank 0, the lowest world rank of each machine) form a communicator ordered
        // by world rank; a leader's rank there is its machine's rank, which it shares locally.
        Intracomm leaders = world.split(localRank == 0 ? 0 : MPI.UNDEFINED, rank);
        int[] machine = new int[2];
        if (leaders != null && !leaders.isNull()) {
            machine[0] = leaders.getRank();
            machine[1] = leaders.getSize();
            leaders.free();
        }
        local.bcast(machine, 2, MPI.INT, 0);
        machineRank = machine[0];
        machineSize = machine[1];
    }

    /**
     * Initialises MPI with {@code MPI_THREAD_MULTIPLE} and returns this process's communicator.
     *
     * @param args the program's arguments (passed to {@code MPI_Init_thread}, as Open MPI's Java
     *     bindings require)
     * @throws BlueFogException if MPI was already initialised by this class, or if the library does
     *     not provide {@code MPI_THREAD_MULTIPLE}
     * @throws CommunicationException if MPI fails to initialise
     */
    public static MpiCommunicator initialize(String[] args) {
        if (!INITIALIZED.compareAndSet(false, true)) {
            throw new BlueFogException("MPI was already initialised in this process (one MpiCommunicator per process)");
        }
        try {
            int provided = MPI.InitThread(args == null ? new String[0] : args, MPI.THREAD_MULTIPLE);
            if (provided < MPI.THREAD_MULTIPLE) {
                MPI.Finalize();
                throw new BlueFogException("Open MPI provides thread level " + threadLevelName(provided)
                        + " but bluefog-jvm needs MPI_THREAD_MULTIPLE (rebuild Open MPI with thread support)");
            }
            MpiCommunicator communicator = new MpiCommunicator();
            Runtime.getRuntime().addShutdownHook(new Thread(communicator::finalizeAtExit, "bluefog-mpi-finalize"));
            return communicator;
        } catch (MPIException e) {
            throw wrap("MPI initialisation (MPI_Init_thread, communicator setup)", e);
        }
    }

    private static String threadLevelName(int level) {
        if (level == MPI.THREAD_SINGLE) {
            return "MPI_THREAD_SINGLE";
        } else if (level == MPI.THREAD_FUNNELED) {
            return "MPI_THREAD_FUNNELED";
        } else if (level == MPI.THREAD_SERIALIZED) {
            return "MPI_THREAD_SERIALIZED";
        }
        return "MPI_THREAD_MULTIPLE";
    }

    static CommunicationException wrap(String operation, MPIException e) {
        return new CommunicationException(operation + " failed (MPI error class " + e.getErrorClass() + "): "
                + e.getMessage(), e);
    }

    private CommunicationException wrapHere(String operation, MPIException e) {
        return wrap("rank " + rank + ": " + operation, e);
    }

    private void checkOpen() {
        if (closed) {
            throw new CommunicationException("rank " + rank + ": the MPI communicator is closed");
        }
    }

    private void checkPeer(int peer, String name) {
        if (peer < 0 || peer >= size) {
            throw new IllegalArgumentException(name + " = " + peer + " is not a rank of this job (size " + size + ")");
        }
    }

    private void checkTag(int tag) {
        if (tag < 0 || tag > maxTag) {
            throw new IllegalArgumentException("tag = " + tag + " must be in [0, " + maxTag + "]");
        }
    }

    @Override public int rank() { return rank; }
    @Override public int size() { return size; }
    @Override public int localRank() { return localRank; }
    @Override public int localSize() { return localSize; }
    @Override public int machineRank() { return machineRank; }
    @Override public int machineSize() { return machineSize; }
    @Override public String hostname() { return hostname; }
    @Override public String transportName() { return "mpi"; }
    @Override public int maxTag() { return maxTag; }

    @Override
    public Request isend(Buffer buffer, int dest, int tag) {
        Buffer view = MpiBuffers.readable(buffer, "buffer");
        checkPeer(dest, "dest");
        checkTag(tag);
        checkOpen();
        try {
            mpi.Request r = MPI.COMM_WORLD.iSend(view, view.remaining(), MpiBuffers.datatype(view), dest, tag);
            return new MpiRequest(r, view, rank, dest, tag, -1);
        } catch (MPIException e) {
            throw wrap(MpiRequest.describe(rank, true, dest, tag), e);
        }
    }

    @Override
    public Request irecv(Buffer buffer, int source, int tag) {
        Buffer view = MpiBuffers.writable(buffer, "buffer");
        checkPeer(source, "source");
        checkTag(tag);
        checkOpen();
        try {
            mpi.Request r = MPI.COMM_WORLD.iRecv(view, view.remaining(), MpiBuffers.datatype(view), source, tag);
            return new MpiRequest(r, view, rank, source, tag, view.remaining());
        } catch (MPIException e) {
            throw wrap(MpiRequest.describe(rank, false, source, tag), e);
        }
    }

    @Override
    public void allreduce(Buffer buffer, ReduceOp op) {
        Buffer view = MpiBuffers.writable(buffer, "buffer");
        if (op == null) {
            throw new IllegalArgumentException("op is null");
        }
        checkOpen();
        Op mpiOp = switch (op) {
            case SUM, AVG -> MPI.SUM;
            case MIN -> MPI.MIN;
            case MAX -> MPI.MAX;
        };
        // float16: reduced as float32 (MPI has no float16), rounded once back (DType's contract).
        boolean half = view instanceof ShortBuffer;
        Buffer work = half ? MpiBuffers.widen((ShortBuffer) view) : view;
        try {
            // In place: MPI_Allreduce(MPI_IN_PLACE, buf, ...).
            MPI.COMM_WORLD.allReduce(work, work.remaining(), MpiBuffers.datatype(work), mpiOp);
        } catch (MPIException e) {
            throw wrapHere("allreduce(" + op + ", " + view.remaining() + " elements)", e);
        }
        if (half) {
            MpiBuffers.narrow((FloatBuffer) work, (ShortBuffer) view, op == ReduceOp.AVG ? size : 1);
        } else if (op == ReduceOp.AVG) {
            MpiBuffers.divide(view, size);
        }
    }

    @Override
    public void broadcast(Buffer buffer, int root) {
        checkPeer(root, "root");
        // Only the receivers write into their buffers; the root's may be read-only.
        Buffer view = root == rank ? MpiBuffers.readable(buffer, "buffer") : MpiBuffers.writable(buffer, "buffer");
        checkOpen();
        try {
            MPI.COMM_WORLD.bcast(view, view.remaining(), MpiBuffers.datatype(view), root);
        } catch (MPIException e) {
            throw wrapHere("broadcast(root " + root + ", " + view.remaining() + " elements)", e);
        }
    }

    @Override
    public void allgather(Buffer send, Buffer recv) {
        Buffer s = MpiBuffers.readable(send, "send");
        Buffer r = MpiBuffers.writable(recv, "recv");
        MpiBuffers.sameDtype(s, "send", r, "recv");
        int n = s.remaining();
        if ((long) n * size != r.remaining()) {
            throw new IllegalArgumentException("recv has " + r.remaining() + " elements but size() * send.remaining() = "
                    + size + " * " + n + " = " + ((long) n * size));
        }
        checkOpen();
        try {
            MPI.COMM_WORLD.allGather(s, n, MpiBuffers.datatype(s), r, n, MpiBuffers.datatype(r));
        } catch (MPIException e) {
            throw wrapHere("allgather(" + n + " elements per rank)", e);
        }
    }

    @Override
    public void allgatherv(Buffer send, Buffer recv, int[] counts) {
        Buffer s = MpiBuffers.readable(send, "send");
        Buffer r = MpiBuffers.writable(recv, "recv");
        MpiBuffers.sameDtype(s, "send", r, "recv");
        if (counts == null || counts.length != size) {
            throw new IllegalArgumentException("counts must have one entry per rank (" + size + "), got "
                    + (counts == null ? "null" : counts.length + " entries"));
        }
        int[] displs = new int[size];
        long total = 0;
        for (int i = 0; i < size; i++) {
            if (counts[i] < 0) {
                throw new IllegalArgumentException("counts[" + i + "] = " + counts[i] + " is negative");
            }
            displs[i] = (int) total;
            total += counts[i];
        }
        if (s.remaining() != counts[rank]) {
            throw new IllegalArgumentException("send has " + s.remaining() + " elements but counts[" + rank + "] = " + counts[rank]);
        }
        if (r.remaining() != total) {
            throw new IllegalArgumentException("recv has " + r.remaining() + " elements but sum(counts) = " + total);
        }
        checkOpen();
        try {
            MPI.COMM_WORLD.allGatherv(s, counts[rank], MpiBuffers.datatype(s), r, counts.clone(), displs,
                    MpiBuffers.datatype(r));
        } catch (MPIException e) {
            throw wrapHere("allgatherv(counts " + Arrays.toString(counts) + ")", e);
        }
    }

    @Override
    public void barrier() {
        checkOpen();
        try {
            MPI.COMM_WORLD.barrier();
        } catch (MPIException e) {
            throw wrapHere("barrier", e);
        }
    }

    /**
     * Prints the cause on stderr and ends the whole job with {@code MPI_Abort(MPI_COMM_WORLD,
     * exitCode)}: mpirun kills every rank and exits non-zero. Does not return; if MPI_Abort itself
     * fails the JVM is halted with {@code exitCode}.
     *
     * @param exitCode the job's exit status; 0 is replaced by 1 (an abort is never a success)
     */
    @Override
    public void abort(int exitCode, Throwable cause) {
        int code = exitCode == 0 ? 1 : exitCode;
        aborting = true;
        System.err.println("[bluefog] rank " + rank + " aborts the MPI job (exit " + code + ")"
                + (cause == null ? "" : ": " + cause));
        System.err.flush();
        try {
            MPI.COMM_WORLD.abort(code);
        } catch (MPIException | RuntimeException e) {
            System.err.println("[bluefog] rank " + rank + ": MPI_Abort failed: " + e);
        } finally {
            Runtime.getRuntime().halt(code);
        }
    }

    /**
     * Marks the communicator closed (further calls throw {@link CommunicationException}); MPI is
     * finalised when the JVM exits (see the class comment). Every rank must call it; idempotent.
     */
    @Override
    public void close() {
        closed = true;
    }

    /** Shutdown hook: frees the local communicator and calls {@code MPI_Finalize} (collective). */
    private void finalizeAtExit() {
        if (!closed || aborting) {
            return;
        }
        try {
            local.free();
            MPI.Finalize();
        } catch (MPIException e) {
            System.err.println("[bluefog] rank " + rank + ": MPI_Finalize failed: " + e.getMessage());
        }
    }
}
