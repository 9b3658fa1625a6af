package io.bluefog.optimizers.async;

import io.bluefog.collectives.Collectives;
import io.bluefog.collectives.Handle;
import io.bluefog.collectives.window.Windows;
import io.bluefog.optimizers.DecentralizedOptimizer;
import io.bluefog.optimizers.OptimizerConfig;
import io.bluefog.topology.Topology;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The common part of the asynchronous optimizers on one-sided {@link Windows}: the window's graph
 * (the configured schedule's first graph, or the job's topology: asynchronous ranks do not share an
 * iteration count, so the graph is static), a window name equal on every rank, the staleness bound
 * and {@link #close()}.
 *
 * <h2>Asynchrony</h2>
 * {@link #step} contains no barrier and no collective: a rank writes into its out-neighbors'
 * buffers (their window service applies the write whatever their main thread is doing) and
 * combines whatever has arrived in its own. A fast rank may therefore take many steps while a slow
 * neighbor takes one. The {@linkplain #maxStaleness() staleness bound} S limits that: a rank whose
 * newest data from an in-neighbor is more than S of its own communication rounds old waits (up to
 * {@code BLUEFOG_TIMEOUT_MILLIS}) for that neighbor, the bounded delay of the asynchronous
 * analyses (e.g. the thesis's AsySVRG, delay &le; S). S = 0 means unbounded.
 *
 * <h2>Metrics</h2>
 * A step's window operations (starting the write, awaiting an earlier write's confirmation (see
 * {@link #MAX_WRITES_IN_FLIGHT}), the staleness wait, the update) run inside {@link #communicate}, so their wall-clock time is
 * {@link #communicationNanos()} (the trainer's communication share), and every write counts the
 * window tensor's bytes once per out-neighbor in {@link #bytesSent()}. The window service thread's
 * work (applying the neighbors' writes) runs beside the step and is not counted.
 *
 * <h2>Lifecycle</h2>
 * The constructor and {@link #close()} are collective (they create and free the window); every
 * rank must still call {@code step} the same number of times before {@code close}, since
 * {@link #averagedParameters()} and {@link #close()} synchronize the ranks.
 */
public abstract class WindowOptimizer extends DecentralizedOptimizer implements AutoCloseable {
    private final Windows windows;
    private final Topology graph;
    private final String windowName;
    private final int maxStaleness;
    private final int[] inNeighbors;
    private final int outDegree;
    private long staleWaits;
    /** Writes started and not yet awaited, oldest first (at most {@link #MAX_WRITES_IN_FLIGHT}). */
    private final java.util.ArrayDeque<Handle<Void>> pendingWrites = new java.util.ArrayDeque<>();
    private boolean closed;

    /**
     * Collective: the base class's broadcast, then nothing else here (subclasses create the window
     * with {@link #createWindow}).
     *
     * @param maxStaleness S &ge; 0; 0: no bound
     * @throws IllegalArgumentException if {@code maxStaleness} is negative
     */
    protected WindowOptimizer(Collectives collectives, Topology defaultTopology, INDArray params, OptimizerConfig config,
            int maxStaleness) {
        super(collectives, defaultTopology, params, config);
        if (maxStaleness < 0) {
            throw new IllegalArgumentException("maxStaleness = " + maxStaleness + " must be >= 0 (0: unbounded)");
        }
        this.maxStaleness = maxStaleness;
        this.windows = Windows.of(collectives.blueFog());
        this.graph = config.topology() != null ? config.topology().at(0) : defaultTopology;
        String base = getClass().getSimpleName();
        int k = 0;
        while (windows.windowNames().contains(base + "-" + k)) {
            k++;
        }
        this.windowName = base + "-" + k;
        this.inNeighbors = graph.inNeighbors(collectives.rank());
        this.outDegree = graph.outDegree(collectives.rank());
    }

    /** Creates this optimizer's window over {@code tensor} on {@link #graph()} (collective). */
    protected final void createWindow(INDArray tensor, boolean zeroInit) {
        windows.winCreate(windowName, tensor, zeroInit, graph);
    }

    /** @return the rank's windows */
    protected final Windows windows() {
        return windows;
    }

    /** @return the window's name, equal on every rank */
    public final String windowName() {
        return windowName;
    }

    /** @return the static graph the window was created on */
    public final Topology graph() {
        return graph;
    }

    /** @return S, the bound on staleness in own steps (0: none) */
    public final int maxStaleness() {
        return maxStaleness;
    }

    /** @return how many times this rank waited for a neighbor because of the staleness bound */
    public final long staleWaits() {
        return staleWaits;
    }

    /**
     * The staleness bound, called by a subclass after its write of communication round
     * {@code round} (0-based) and before it combines its buffers. Every round writes once to each
     * out-neighbor, so an in-neighbor whose writes this rank has counted ({@link Windows#winWriteCount})
     * number c has finished c rounds; its newest data is {@code round + 1 - c} rounds old. With a
     * bound S, this waits until that age is at most S for every in-neighbor. The slowest rank never
     * waits (its neighbors' writes of earlier rounds have all been applied: writes are confirmed),
     * so the bound cannot deadlock, also when fast ranks have finished.
     */
    protected final void boundStaleness(long round) {
        if (maxStaleness == 0 || inNeighbors.length == 0) {
            return;
        }
        long need = round + 1 - maxStaleness;
        int[] late = new int[inNeighbors.length];
        int nLate = 0;
        for (int s : inNeighbors) {
            if (windows.winWriteCount(windowName, s) < need) {
                late[nLate++] = s;
            }
        }
        if (nLate > 0) {
            staleWaits++;
            windows.winAwaitWriteCount(windowName, Arrays.copyOf(late, nLate), need);
        }
    }

    /**
     * Writes of this rank that may be in flight at once: {@link #awaitWrite()} lets a step start its
     * write while the previous step's is still unconfirmed, and waits only for the one before. The
     * confirmation needs the destinations' window service threads to run; on a machine with more
     * ranks than cores that can take a scheduling quantum, and with one write in flight the training
     * thread sat idle for it every step (measured: 4 ranks on 2 cores, Fashion-MNIST MLP, 6-10 ms
     * of "communication" per step). The data of a write are copied when it starts (the window's
     * pooled staging arrays), so each write in flight holds one model-sized copy until its sends
     * complete.
     */
    public static final int MAX_WRITES_IN_FLIGHT = 2;

    /**
     * Makes room for this step's write: waits for the confirmation of the oldest write still in
     * flight while {@value #MAX_WRITES_IN_FLIGHT} are (in a step-per-write loop: the write of two
     * steps ago). Its data were copied when it started, and a destination's window service applies
     * it whatever that rank's main thread does, so the wait is short and cannot deadlock.
     */
    protected final void awaitWrite() {
        while (pendingWrites.size() >= MAX_WRITES_IN_FLIGHT) {
            pendingWrites.poll().join();
        }
    }

    /** Waits for the confirmation of every write of this rank still in flight. */
    private void awaitAllWrites() {
        while (!pendingWrites.isEmpty()) {
            pendingWrites.poll().join();
        }
    }

    /**
     * Counts one write of {@code tensor} to every out-neighbor of {@link #graph()} in
     * {@link #bytesSent()} (its elements times the dtype's width, per out-neighbor; headers not
     * counted).
     */
    protected final void countWrite(INDArray tensor) {
        countBytesSent((long) outDegree * tensor.length() * tensor.dataType().width());
    }

    /** Records the write started in this step; a later {@link #awaitWrite()} or {@link #close()} awaits it. */
    protected final void startWrite(Handle<Void> write) {
        pendingWrites.add(java.util.Objects.requireNonNull(write, "write"));
    }

    /** @return how many writes of this rank have been started and not yet awaited (at most {@value #MAX_WRITES_IN_FLIGHT}) */
    public final int writesInFlight() {
        return pendingWrites.size();
    }

    /**
     * Collective: waits for every rank (a barrier, so that no write is in flight), lets the
     * subclass absorb what is still in its buffers ({@link #absorb()}; after it the parameters are
     * final), then frees the window. Idempotent.
     */
    @Override
    public final void close() {
        if (closed) {
            return;
        }
        closed = true;
        settle();
        windows.winFree(windowName);
    }

    /**
     * Before the network's model is averaged (an epoch's end): {@link #settle()}, so that the
     * average includes what was on its way. In a job whose ranks each take their own batches per
     * epoch, a fast rank waits at the epoch's end while the others still write into its buffers; a
     * push-sum average without that mass left much of the model out.
     */
    @Override
    protected final void beforeAveraging() {
        settle();
    }

    /**
     * Collective: waits for this rank's writes, meets every rank (then no write is in flight
     * anywhere) and lets the subclass absorb its buffers ({@link #absorb()}).
     */
    private void settle() {
        awaitAllWrites();
        collectives().barrier();
        absorb();
    }

    /**
     * Combines what the buffers hold into the parameters, as a step's update does; called on every
     * rank with no write in flight ({@link #close()}, {@link #averagedParameters()}). Default: nothing.
     */
    protected void absorb() {
    }

    /**
     * Not checkpointable: what the neighbors' windows hold at a given moment depends on timing, so
     * no per-rank state can resume an asynchronous run bit-identically.
     *
     * @throws UnsupportedOperationException always
     */
    @Override
    protected java.util.List<INDArray> algorithmState() {
        throw new UnsupportedOperationException("the asynchronous optimizers cannot be checkpointed (the windows'"
                + " contents depend on timing); run them without --checkpoint-dir");
    }
}
