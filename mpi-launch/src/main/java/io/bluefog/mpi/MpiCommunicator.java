package io.bluefog.mpi;

import io.bluefog.BlueFogException;
import io.bluefog.BlueFogTimeoutException;
import io.bluefog.CommunicationException;
import io.bluefog.config.BlueFogConfig;
import io.bluefog.comm.Communicator;
import io.bluefog.comm.EagerPieces;
import io.bluefog.comm.DType;
import io.bluefog.comm.ReduceOp;
import io.bluefog.comm.Request;
import java.nio.Buffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
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
 *
 * <h2>Deadlines</h2>
 * Every collective ({@code allreduce}, {@code broadcast}, {@code allgather}, {@code allgatherv},
 * {@code barrier}) is started as MPI's nonblocking form ({@code MPI_Iallreduce}, {@code MPI_Ibcast},
 * {@code MPI_Iallgather}, {@code MPI_Iallgatherv}, {@code MPI_Ibarrier}) and polled: when it has
 * not completed after {@code BLUEFOG_TIMEOUT_MILLIS} ({@link BlueFogConfig#timeoutMillis()}, read
 * from the environment when MPI is initialised) it raises {@link BlueFogTimeoutException} naming
 * the operation, this rank's collective call number and the ranks that have not entered that call
 * (from {@link Arrivals} tokens); when every rank entered it, a {@link Liveness} check (a ping to
 * every peer, answered by each rank's responder thread, {@link #livenessWaitMillis()} to answer)
 * names the ranks that stalled inside it (stopped, paused or cut off), or says that every rank
 * answered and the network between them failed. After a timeout the communicator's collectives
 * refuse to run ({@link CommunicationException}): the timed-out MPI request still owns its buffer.
 * A stall inspector in the spirit of Horovod's: a collective still waiting after half the timeout
 * ({@link #stallWarningMillis()}; 60 s at the default 120 s, Horovod's default stall-check time)
 * prints one warning line on stderr naming the ranks it waits for.
 *
 * <h2>Abort</h2>
 * {@link #abort} starts an {@link AbortWatchdog} before {@code MPI_Abort}: if the abort has not
 * ended the process after {@link AbortWatchdog#GRACE_MILLIS}, the rank halts itself with the abort's
 * exit status. Before the abort every open timeline of the process is completed
 * ({@link io.bluefog.timeline.Timeline#closeAllForAbort()}).
 */
public final class MpiCommunicator implements Communicator {
    private static final AtomicBoolean INITIALIZED = new AtomicBoolean();

    private final int rank;
    private final int size;
    private final Intracomm local;
    /** A duplicate of MPI_COMM_WORLD for the point-to-point form of small allgathers ({@link #exchangeAllgatherv}). */
    private final Intracomm exchanges;
    private final int localRank;
    private final int localSize;
    private final int machineRank;
    private final int machineSize;
    private final String hostname;
    private final int maxTag;
    private volatile boolean closed;
    /** Set by {@link #abort}: the shutdown hook must not finalize an aborting process. */
    private volatile boolean aborting;
    private final long timeoutMillis;
    private final Arrivals arrivals;
    private final Liveness liveness;
    /** The collective that timed out (its request still owns its buffer), or null. */
    private volatile String timedOut;

    /** Busy-poll a collective this long before yielding, as MPI's own blocking calls do. */
    static final long SPIN_NANOS = 50_000;
    /** Then yield until this much time has passed, then park {@link #PARK_NANOS} between polls. */
    static final long YIELD_NANOS = 2_000_000;
    static final long PARK_NANOS = 50_000;

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
        timeoutMillis = BlueFogConfig.fromEnvironment().timeoutMillis();
        exchanges = world.dup();
        exchanges.setErrhandler(MPI.ERRORS_RETURN);
        arrivals = new Arrivals(world);
        liveness = new Liveness(world, arrivals::calls);
    }

    /** @return the deadline of one collective in milliseconds ({@code BLUEFOG_TIMEOUT_MILLIS}) */
    public long timeoutMillis() {
        return timeoutMillis;
    }

    /** @return how long a collective waits before its stall warning: half of {@link #timeoutMillis()} */
    public long stallWarningMillis() {
        return Math.max(1, timeoutMillis / 2);
    }

    /** @return " (collective call #N)", or "" for a call not counted by {@link Arrivals} (call &lt; 0) */
    private static String callLabel(long call) {
        return call < 0 ? "" : " (collective call #" + call + ")";
    }

    /** A completion test: an MPI request's {@code MPI_Test}, or several. */
    @FunctionalInterface
    private interface Completion {
        boolean done() throws MPIException;
    }

    /** Who a stalled call waits for, for its warning and its timeout. */
    @FunctionalInterface
    private interface Culprits {
        String describe() throws MPIException;
    }

    /**
     * Polls a started nonblocking collective until it completes or {@link #timeoutMillis()} has
     * passed; prints the stall warning at {@link #stallWarningMillis()}, naming the ranks that have
     * not entered this call ({@link #waitingFor}).
     *
     * @param request   its completion test ({@code MPI_Test})
     * @param whatLater the operation, e.g. {@code allreduce(SUM, 10 elements)}, built only for a
     *                  warning or a timeout (building it per call cost a few hundred nanoseconds, a
     *                  tenth of a 4 KB exchange)
     * @param call      this rank's collective call number ({@link Arrivals#enter()})
     * @throws BlueFogTimeoutException when the deadline passes
     */
    private void await(Completion request, java.util.function.Supplier<String> whatLater, long call)
            throws MPIException {
        await(request, whatLater, call, () -> waitingFor(call));
    }

    /** As {@link #await(Completion, java.util.function.Supplier, long)}, naming whom it waits for with {@code culprits}. */
    private void await(Completion request, java.util.function.Supplier<String> whatLater, long call, Culprits culprits)
            throws MPIException {
        if (request.done()) {
            return;
        }
        String what = null;
        long start = System.nanoTime();
        long warnAt = start + stallWarningMillis() * 1_000_000L;
        long deadline = start + timeoutMillis * 1_000_000L;
        boolean warned = false;
        while (!request.done()) {
            long now = System.nanoTime();
            long waited = now - start;
            if (waited < SPIN_NANOS) {
                Thread.onSpinWait();
                continue;
            }
            if (!warned && now - warnAt >= 0) {
                warned = true;
                what = whatLater.get();
                arrivals.poll();
                System.err.println("[bluefog] rank " + rank + ": stall warning: " + what + callLabel(call)
                        + " has waited " + waited / 1_000_000 + " ms for " + culprits.describe()
                        + "; it times out after " + timeoutMillis + " ms (BLUEFOG_TIMEOUT_MILLIS)");
                System.err.flush();
            }
            if (now - deadline >= 0) {
                arrivals.poll();
                what = what == null ? whatLater.get() : what;
                timedOut = what + callLabel(call);
                throw new BlueFogTimeoutException("rank " + rank + ": " + what + callLabel(call)
                        + " timed out after " + timeoutMillis + " ms (BLUEFOG_TIMEOUT_MILLIS) waiting for "
                        + culprits.describe());
            }
            if (waited < YIELD_NANOS) {
                Thread.yield();
            } else {
                LockSupport.parkNanos(PARK_NANOS);
            }
        }
    }

    /**
     * @return e.g. "ranks [3], not heard from (not entered this call)"; when every rank has entered
     *         the call, the result of a {@link Liveness} check of every peer naming the ranks that did
     *         not answer it, e.g. "rank 2, which did not answer a liveness check within 300 ms (stopped
     *         or unreachable inside this call; ranks [0, 1] answered, in calls [5, 5])"
     */
    private String waitingFor(long call) throws MPIException {
        List<Integer> missing = arrivals.notEntered(call);
        if (!missing.isEmpty()) {
            return (missing.size() == 1 ? "rank " + missing.get(0) : "ranks " + missing)
                    + ", not heard from (not entered this call)";
        }
        List<Integer> peers = new java.util.ArrayList<>();
        for (int p = 0; p < size; p++) {
            if (p != rank) {
                peers.add(p);
            }
        }
        long wait = livenessWaitMillis();
        java.util.Map<Integer, Long> answered = liveness.check(peers, wait);
        List<Integer> silent = new java.util.ArrayList<>(peers);
        silent.removeAll(answered.keySet());
        String answers = answered.isEmpty() ? "none answered"
                : (answered.size() == 1 ? "rank " : "ranks ") + (answered.size() == 1
                        ? answered.keySet().iterator().next() + " answered, in call #" + answered.values().iterator().next()
                        : answered.keySet() + " answered, in calls " + answered.values());
        if (silent.isEmpty()) {
            return "a call every rank has entered: no progress, although every rank answered a liveness check ("
                    + answers + "; the network between them failed?)";
        }
        return (silent.size() == 1 ? "rank " + silent.get(0) + ", which" : "ranks " + silent + ", which")
                + " did not answer a liveness check within " + wait + " ms (stopped or unreachable inside this call, "
                + "which every rank entered; " + answers + ")";
    }

    /** How long a liveness check waits for the answers: a tenth of the timeout, within 50..1000 ms. */
    long livenessWaitMillis() {
        return Math.min(1000, Math.max(50, timeoutMillis / 10));
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

    /** {@link #checkOpen()}, and no collective timed out before (its request still owns its buffer). */
    private void checkCollective() {
        checkOpen();
        String failed = timedOut;
        if (failed != null) {
            throw new CommunicationException("rank " + rank + ": the MPI communicator is unusable after " + failed
                    + " timed out");
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
        return startSend(MPI.COMM_WORLD, view, dest, tag);
    }

    @Override
    public Request irecv(Buffer buffer, int source, int tag) {
        return receive(buffer, source, tag, false);
    }

    /** Accepts any message of at most {@code buffer.remaining()} elements; MPI_Get_count gives its length. */
    @Override
    public Request irecvUpTo(Buffer buffer, int source, int tag) {
        return receive(buffer, source, tag, true);
    }

    /** MPI_Irecv into {@code buffer}; {@code upTo}: a shorter message is accepted, else it must fill the buffer. */
    private Request receive(Buffer buffer, int source, int tag, boolean upTo) {
        Buffer view = MpiBuffers.writable(buffer, "buffer");
        checkPeer(source, "source");
        checkTag(tag);
        checkOpen();
        return startReceive(MPI.COMM_WORLD, view, source, tag, upTo ? MpiRequest.UP_TO : view.remaining());
    }

    /** MPI_Isend of all of {@code view} (checked, position 0) on {@code comm}. */
    private Request startSend(Comm comm, Buffer view, int dest, int tag) {
        try {
            mpi.Request r = comm.iSend(view, view.remaining(), MpiBuffers.datatype(view), dest, tag);
            return new MpiRequest(r, view, rank, dest, tag, MpiRequest.SEND);
        } catch (MPIException e) {
            throw wrap(MpiRequest.describe(rank, true, dest, tag), e);
        }
    }

    /**
     * MPI_Irecv into all of {@code view} (checked, position 0) on {@code comm}; {@code expected}: the
     * elements it must deliver, or {@link MpiRequest#UP_TO}.
     */
    private Request startReceive(Comm comm, Buffer view, int source, int tag, int expected) {
        try {
            mpi.Request r = comm.iRecv(view, view.remaining(), MpiBuffers.datatype(view), source, tag);
            return new MpiRequest(r, view, rank, source, tag, expected);
        } catch (MPIException e) {
            throw wrap(MpiRequest.describe(rank, false, source, tag), e);
        }
    }

    @Override
    public boolean offersIrecvUpTo() {
        return true;
    }

    /** {@link #eagerMessageBytes()}, from this process's environment at start. */
    private final int eagerMessageBytes = eagerLimit(System.getenv("OMPI_MCA_btl_vader_eager_limit"));

    /**
     * Open MPI's shared-memory transport (BTL vader, Open MPI 4.x) sends a message of at most
     * {@code btl_vader_eager_limit} bytes, its matching header included (default 4096), through
     * its shared FIFO; a longer one goes rendezvous and is then copied with one
     * {@code process_vm_readv} system call, which took 41% of the ranks' CPU in a loop of 4 KB
     * neighborAllreduces on the 2-core development VM (perf).
     * This is that limit (from {@code OMPI_MCA_btl_vader_eager_limit}, which mpirun sets from
     * {@code --mca btl_vader_eager_limit N}, else 4096) less {@value #EAGER_HEADER_BYTES} bytes for
     * the PML match header. Between hosts (TCP, eager limit 64 KiB) splitting at it costs an extra
     * message per 4 KB but stays correct.
     */
    @Override
    public int eagerMessageBytes() {
        return eagerMessageBytes;
    }

    /** Room left for Open MPI's PML match header (ob1: 14-24 bytes) in a vader eager fragment. */
    static final int EAGER_HEADER_BYTES = 64;

    /** @return {@code limit} (bytes; 4096 when null or not a number) less the header allowance, at least 64 */
    static int eagerLimit(String limit) {
        long bytes = 4096;
        if (limit != null) {
            try {
                bytes = Long.parseLong(limit.trim());
            } catch (NumberFormatException e) {
                bytes = 4096;
            }
        }
        return (int) Math.max(64, Math.min(Integer.MAX_VALUE, bytes - EAGER_HEADER_BYTES));
    }

    @Override
    public void allreduce(Buffer buffer, ReduceOp op) {
        Buffer view = MpiBuffers.writable(buffer, "buffer");
        if (op == null) {
            throw new IllegalArgumentException("op is null");
        }
        checkCollective();
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
            long call = arrivals.enter();
            await(MPI.COMM_WORLD.iAllReduce(work, work.remaining(), MpiBuffers.datatype(work), mpiOp)::test,
                    () -> "allreduce(" + op + ", " + view.remaining() + " elements)", call);
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
        checkCollective();
        try {
            long call = arrivals.enter();
            await(MPI.COMM_WORLD.iBcast(view, view.remaining(), MpiBuffers.datatype(view), root)::test,
                    () -> "broadcast(root " + root + ", " + view.remaining() + " elements)", call);
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
        checkCollective();
        try {
            if (smallAllgather((long) n * size, r)) {
                int[] counts = new int[size];
                int[] displs = new int[size];
                for (int p = 0; p < size; p++) {
                    counts[p] = n;
                    displs[p] = p * n;
                }
                exchangeAllgatherv(s, r, counts, displs, () -> "allgather(" + n + " elements per rank)");
                return;
            }
            long call = arrivals.enter();
            await(MPI.COMM_WORLD.iAllGather(s, n, MpiBuffers.datatype(s), r, n, MpiBuffers.datatype(r))::test,
                    () -> "allgather(" + n + " elements per rank)", call);
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
        checkCollective();
        try {
            if (smallAllgather(total, r)) {
                exchangeAllgatherv(s, r, counts, displs, () -> "allgatherv(counts " + Arrays.toString(counts) + ")");
            } else {
                long call = arrivals.enter();
                await(MPI.COMM_WORLD.iAllGatherv(s, counts[rank], MpiBuffers.datatype(s), r, counts.clone(), displs,
                        MpiBuffers.datatype(r))::test, () -> "allgatherv(counts " + Arrays.toString(counts) + ")", call);
            }
        } catch (MPIException e) {
            throw wrapHere("allgatherv(counts " + Arrays.toString(counts) + ")", e);
        }
    }

    /**
     * An allgatherv of at most this many bytes in all, on at most {@link #SMALL_ALLGATHER_RANKS} ranks,
     * is one message (or a few eager pieces) from every rank to every other ({@link #exchangeAllgatherv}) instead of
     * {@code MPI_Iallgatherv}: Open MPI's nonblocking collectives run a schedule (libnbc) whose
     * progress costs several microseconds per call, so a 4 KB allgatherv on 2 ranks took 10-12 us
     * against 3.4-7.5 us for the plain exchange of the same bytes (collectives-bench, 2-core VM).
     */
    static final long SMALL_ALLGATHER_BYTES = 64 * 1024;
    /** Most ranks for {@link #SMALL_ALLGATHER_BYTES}: each rank sends size - 1 messages. */
    static final int SMALL_ALLGATHER_RANKS = 8;
    /** @return whether an allgather(v) of {@code totalElements} into {@code recv} goes as {@link #exchangeAllgatherv} */
    private boolean smallAllgather(long totalElements, Buffer recv) {
        return size <= SMALL_ALLGATHER_RANKS && totalElements * DType.of(recv, "recv").bytes() <= SMALL_ALLGATHER_BYTES;
    }

    /** @return the rank of the k-th other rank (ranks in order, this one left out) */
    private static int otherRank(int k, int rank) {
        return k < rank ? k : k + 1;
    }

    /** The tag of {@link #exchangeAllgatherv}'s messages on {@link #exchanges}. */
    private static final int TAG_ALLGATHER = 1;

    /**
     * allgatherv as point-to-point messages on {@link #exchanges} (a duplicate of MPI_COMM_WORLD
     * that carries nothing else, so these messages cannot match a user's receives): every rank posts
     * a receive for each other rank's part into its place in {@code r}, sends its own part to each
     * other rank, and copies its own part into place. A part of one to three eager limits
     * ({@link #eagerMessageBytes}) goes as eager pieces ({@link EagerPieces}): a 4 KB part (4096
     * bytes of data, over the limit with the match header) went rendezvous and took 3.4-5.5 us on 2
     * ranks, in two pieces 1.7-1.9 us (a loop of this call, 2-core VM). The pieces are
     * self-delimiting, so every message sent is received whatever length the receiver expected
     * (also for a count of 0, one empty message), and consecutive calls match in order, as MPI
     * orders messages between a pair. A part of another length than {@code counts} says fails the
     * call: a longer one is truncated by MPI, a shorter one is counted once the whole part arrived.
     * No {@link Arrivals} token: every other rank's own message says that it entered the call, so a
     * stalled call names the ranks whose part has not arrived (the token would double the messages).
     */
    private void exchangeAllgatherv(Buffer s, Buffer r, int[] counts, int[] displs,
            java.util.function.Supplier<String> what) throws MPIException {
        int piece = EagerPieces.pieceElements(eagerMessageBytes, DType.of(r, "recv").bytes(), 1);
        int peers = size - 1;
        EagerPieces.Receive[] receives = new EagerPieces.Receive[peers];
        List<Request> requests = new java.util.ArrayList<>(2 * peers + EagerPieces.MAX_PIECES * peers);
        for (int p = 0; p < size; p++) {
            if (p != rank) {
                Buffer part = r.duplicate().limit(displs[p] + counts[p]).position(displs[p]).slice();
                int source = p;
                EagerPieces.Receive receive = new EagerPieces.Receive(at -> startReceive(exchanges,
                        part.duplicate().position(at).slice(), source, TAG_ALLGATHER, MpiRequest.UP_TO), piece);
                receives[requests.size()] = receive;
                requests.add(receive);
            }
        }
        for (int p = 0; p < size; p++) {
            if (p != rank) {
                int dest = p;
                EagerPieces.send(counts[rank], piece, (at, length) -> requests.add(startSend(exchanges,
                        s.duplicate().limit(at + length).position(at).slice(), dest, TAG_ALLGATHER)));
            }
        }
        MpiBuffers.copy(s, r.duplicate().limit(displs[rank] + counts[rank]).position(displs[rank]));
        // one deadline for the whole call; not numbered, as it sends no Arrivals token
        await(() -> allDone(requests), what, -1, () -> notArrived(receives, requests, rank));
        for (int k = 0; k < peers; k++) {
            int p = otherRank(k, rank);
            int got = receives[k].receivedElements();
            if (got != counts[p]) {
                throw new CommunicationException(MpiRequest.describe(rank, false, p, TAG_ALLGATHER) + ": received "
                        + got + " elements but the buffer expects " + counts[p]);
            }
        }
    }

    /** @return whether every request has completed (tests each; a failed one throws) */
    private static boolean allDone(List<Request> requests) {
        boolean all = true;
        for (Request q : requests) {
            all &= q.test();
        }
        return all;
    }

    /**
     * @return as {@link #waitingFor}: e.g. "rank 2, not heard from (not entered this call: its part has
     *         not arrived)", from the receives of an {@link #exchangeAllgatherv} still open ({@code
     *         receives}, one per other rank in rank order); when all arrived, the ranks that have not
     *         taken this rank's part yet (the sends of {@code requests}, after the receives)
     */
    private static String notArrived(EagerPieces.Receive[] receives, List<Request> requests, int rank) {
        List<Integer> silent = new java.util.ArrayList<>();
        for (int k = 0; k < receives.length; k++) {
            if (!receives[k].test()) {
                silent.add(otherRank(k, rank));
            }
        }
        if (!silent.isEmpty()) {
            return (silent.size() == 1 ? "rank " + silent.get(0) : "ranks " + silent)
                    + ", not heard from (not entered this call: its part has not arrived)";
        }
        java.util.SortedSet<Integer> notTaking = new java.util.TreeSet<>();
        for (int k = receives.length; k < requests.size(); k++) {
            if (!requests.get(k).test()) {
                notTaking.add(((MpiRequest) requests.get(k)).peer());
            }
        }
        return (notTaking.size() == 1 ? "rank " + notTaking.first() : "ranks " + notTaking)
                + ", which have not taken this rank's part";
    }

    @Override
    public void barrier() {
        checkCollective();
        try {
            long call = arrivals.enter();
            await(MPI.COMM_WORLD.iBarrier()::test, () -> "barrier", call);
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
        AbortWatchdog.start(AbortWatchdog.GRACE_MILLIS, code, Runtime.getRuntime()::halt);
        // The job's trace up to this moment, complete on disk (bounded by the watchdog).
        io.bluefog.timeline.Timeline.closeAllForAbort();
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
            liveness.close();
            arrivals.cancel();
            local.free();
            MPI.Finalize();
        } catch (MPIException e) {
            System.err.println("[bluefog] rank " + rank + ": MPI_Finalize failed: " + e.getMessage());
        }
    }
}
