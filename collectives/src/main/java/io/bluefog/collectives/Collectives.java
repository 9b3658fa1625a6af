package io.bluefog.collectives;

import io.bluefog.BlueFog;
import io.bluefog.collectives.engine.Engine;
import io.bluefog.collectives.engine.FutureHandle;
import io.bluefog.collectives.engine.NeighborPlan;
import io.bluefog.collectives.engine.Op;
import io.bluefog.collectives.engine.Tensors;
import io.bluefog.comm.ReduceOp;
import io.bluefog.topology.Topologies;
import io.bluefog.topology.Topology;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Tensor collectives of one rank over its {@link BlueFog} context, on ND4J arrays: global
 * (allreduce, broadcast, allgather, barrier) and decentralized (neighbor allreduce and allgather,
 * hierarchical neighbor allreduce, pair gossip), after BlueFog's {@code bluefog.torch} API (Ying et
 * al., "BlueFog: Make Decentralized Algorithms Practical for Optimization and Deep Learning",
 * arXiv:2111.04287, 2021).
 *
 * <h2>Collective contract (every method)</h2>
 * <ul>
 *   <li><b>Who calls:</b> every rank of the job, in the same order (operations are matched by call
 *       order).</li>
 *   <li><b>Tensors:</b> float32 or float64 ND4J arrays of any shape with at least one element;
 *       views and F-order arrays are accepted and copied to C order first. Unless the method is
 *       {@code ...InPlace}, the input is not modified and the result is a new C-order array of the
 *       input's dtype. The input of an {@code ...Async} call must not be modified until its handle
 *       completes.</li>
 *   <li><b>What must match:</b> the operation, dtype and shape on every rank (allgathers: all but
 *       the first dimension) and the operation's global parameters (reduce op, root, topology).</li>
 *   <li><b>Mismatch:</b> before any data moves, every rank sends a small header (operation, dtype,
 *       shape, parameters, and the name given with {@link #named}) to rank 0, which checks them; on disagreement the call fails on every
 *       rank with {@link io.bluefog.CollectiveMismatchException} naming the ranks and what each
 *       passed, and later calls proceed normally. A rank that does not make the call within
 *       {@link CollectivesConfig#timeoutMillis()} makes the others fail with
 *       {@link io.bluefog.BlueFogTimeoutException}; after a timeout or a transport failure
 *       ({@link io.bluefog.CommunicationException}) this object is unusable.</li>
 *   <li><b>Bad arguments</b> (dtype, empty tensor, rank out of range) throw
 *       {@link IllegalArgumentException} in the calling thread, before anything is queued.</li>
 * </ul>
 *
 * <h2>Engine</h2>
 * Operations execute in call order. {@code ...Async} calls run on the rank's communication thread,
 * so they overlap with computation; a blocking call made while nothing is queued runs on the
 * caller's thread (no thread hand-off). The thread ends after 10 s without work, freeing pooled
 * buffers, and restarts on the next asynchronous call. Consecutive operations of the same kind and parameters queued on all
 * ranks are fused into one message of at most {@link CollectivesConfig#fusionThresholdBytes()}
 * bytes. Sends read the arrays' off-heap memory directly; receive and fusion buffers are pooled.
 * A neighborAllreduce larger than {@link CollectivesConfig#pipelineChunkBytes()} moves in chunks of
 * that size, and each chunk is combined (BLAS {@code scal}/{@code axpy}) as soon as it has arrived,
 * while it is still in cache; an in-place call overwrites a chunk of its input only once every
 * destination has received it. Weighted sums are accumulated self term first, then sources in
 * ascending rank order, so results are reproducible run to run.
 *
 * <p>One instance per rank: {@link #of(BlueFog)} returns the rank's shared instance.
 * {@link #close()} lets queued operations finish and stops the thread. Thread-safe: calls from
 * several threads of one rank are serialized in submission order (which then must agree across
 * ranks).
 */
public final class Collectives implements AutoCloseable {
    private static final Map<BlueFog, Collectives> INSTANCES = new ConcurrentHashMap<>();

    /** Longest operation name; the header carries its first {@code Headers.NAME_CHARS} characters and a hash. */
    public static final int MAX_NAME_LENGTH = 256;

    private final BlueFog bf;
    private final CollectivesConfig config;
    private final Engine engine;
    private final String name; // null: unnamed operations
    private final Collectives root; // the rank's instance this is a named view of (itself for the instance)

    private Collectives(BlueFog bf, CollectivesConfig config) {
        this.bf = bf;
        this.config = config;
        this.engine = new Engine(bf.communicator(), config.fusionThresholdBytes(), config.timeoutMillis(),
                config.pipelineChunkBytes(), config.skipNegotiation(), bf.timeline());
        this.name = null;
        this.root = this;
    }

    private Collectives(Collectives root, String name) {
        this.bf = root.bf;
        this.config = root.config;
        this.engine = root.engine;
        this.name = name;
        this.root = root;
    }

    /**
     * @return the rank's collectives with the settings of {@code bf.config()} (fusion threshold,
     *         timeout), created on the first call and shared until closed
     */
    public static Collectives of(BlueFog bf) {
        Objects.requireNonNull(bf, "bf");
        return INSTANCES.computeIfAbsent(bf, b -> new Collectives(b, CollectivesConfig.from(b.config())));
    }

    /**
     * @return the rank's collectives with {@code config}
     * @throws IllegalStateException if the rank already has an open instance with another config
     */
    public static Collectives of(BlueFog bf, CollectivesConfig config) {
        Objects.requireNonNull(bf, "bf");
        Objects.requireNonNull(config, "config");
        Collectives c = INSTANCES.computeIfAbsent(bf, b -> new Collectives(b, config));
        if (!c.config.equals(config)) {
            throw new IllegalStateException("rank " + bf.rank() + " already has Collectives with " + c.config
                    + "; close it before asking for " + config);
        }
        return c;
    }

    /**
     * A view of these collectives whose operations carry {@code name} (BlueFog's {@code name=}
     * argument): the name is part of every operation's header, so ranks that pass different names
     * fail with {@link io.bluefog.CollectiveMismatchException} naming them, and it labels the
     * operation in the timeline. The view shares this object's engine and call order; closing either
     * closes both. Cheap: create one per tensor (e.g. per layer) and keep it.
     *
     * @param name 1 to {@value #MAX_NAME_LENGTH} characters
     * @throws IllegalArgumentException if {@code name} is blank or too long
     */
    public Collectives named(String name) {
        Objects.requireNonNull(name, "name");
        if (name.isBlank() || name.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("operation name must have 1.." + MAX_NAME_LENGTH
                    + " characters and not be blank, got '" + name + "'");
        }
        return new Collectives(root, name);
    }

    /** @return the name this view gives its operations, or null for the rank's unnamed instance */
    public String name() {
        return name;
    }

    /** @return the context this object works on */
    public BlueFog blueFog() {
        return bf;
    }

    /** @return this object's settings */
    public CollectivesConfig config() {
        return config;
    }

    public int rank() {
        return bf.rank();
    }

    public int size() {
        return bf.size();
    }

    // ---- allreduce ---------------------------------------------------------------------------

    /**
     * Global average {@code (1/n) sum_r x_r} (MPI_Allreduce with sum, divided by n).
     *
     * @param x float32/float64, same shape on every rank
     * @return a new array, x's shape and dtype
     */
    public INDArray allreduce(INDArray x) {
        return run(allreduceOp(x));
    }

    /** Element-wise {@code op} over all ranks ({@link ReduceOp#AVG} is the sum times 1/n, within one rounding of the sum divided by n); see {@link #allreduce(INDArray)}. */
    public INDArray allreduce(INDArray x, ReduceOp op) {
        return run(allreduceOp(x, op));
    }

    /** Nonblocking {@link #allreduce(INDArray)}. */
    public Handle<INDArray> allreduceAsync(INDArray x) {
        return submit(allreduceOp(x));
    }

    private Op allreduceOp(INDArray x) {
        return allreduceOp(x, ReduceOp.AVG);
    }

    /** Nonblocking {@link #allreduce(INDArray, ReduceOp)}. */
    public Handle<INDArray> allreduceAsync(INDArray x, ReduceOp op) {
        return submit(allreduceOp(x, op));
    }

    private Op allreduceOp(INDArray x, ReduceOp op) {
        check(x, "x");
        Objects.requireNonNull(op, "op");
        return Op.allreduce(x, op, false);
    }

    /** {@link #allreduce(INDArray, ReduceOp)} written into {@code x}; returns {@code x}. */
    public INDArray allreduceInPlace(INDArray x, ReduceOp op) {
        check(x, "x");
        Objects.requireNonNull(op, "op");
        return run(Op.allreduce(x, op, true));
    }

    // ---- broadcast ---------------------------------------------------------------------------

    /**
     * Copy of rank {@code root}'s tensor on every rank (MPI_Bcast).
     *
     * @param x    same shape and dtype on every rank (only root's values matter)
     * @param root 0 &le; root &lt; n, the same on every rank
     * @return a new array holding root's values
     */
    public INDArray broadcast(INDArray x, int root) {
        return run(broadcastOp(x, root));
    }

    /** Nonblocking {@link #broadcast(INDArray, int)}. */
    public Handle<INDArray> broadcastAsync(INDArray x, int root) {
        return submit(broadcastOp(x, root));
    }

    private Op broadcastOp(INDArray x, int root) {
        check(x, "x");
        checkRank(root, "root");
        return Op.broadcast(x, root, false);
    }

    /** {@link #broadcast(INDArray, int)} written into {@code x} (e.g. to start all models equal); returns {@code x}. */
    public INDArray broadcastInPlace(INDArray x, int root) {
        check(x, "x");
        checkRank(root, "root");
        return run(Op.broadcast(x, root, true));
    }

    // ---- allgather ---------------------------------------------------------------------------

    /**
     * Concatenation of every rank's tensor along dimension 0, in rank order (MPI_Allgatherv).
     *
     * @param x at least one dimension; dimensions after the first equal on every rank, the first
     *          may differ
     * @return a new array of shape {@code [sum_r x_r.shape[0], x.shape[1], ...]}
     */
    public INDArray allgather(INDArray x) {
        return run(allgatherOp(x));
    }

    /** Nonblocking {@link #allgather(INDArray)}. */
    public Handle<INDArray> allgatherAsync(INDArray x) {
        return submit(allgatherOp(x));
    }

    private Op allgatherOp(INDArray x) {
        checkGather(x);
        return Op.allgather(x);
    }

    // ---- barrier -----------------------------------------------------------------------------

    /** Returns once every rank has called it (after the operations queued before it were executed). */
    public void barrier() {
        run(barrierOp());
    }

    /** Nonblocking {@link #barrier()}. */
    public Handle<Void> barrierAsync() {
        return submit(barrierOp());
    }

    private Op barrierOp() {
        return Op.barrier();
    }

    // ---- neighbor allreduce ------------------------------------------------------------------

    /**
     * Partial averaging with the static topology {@code bf.topology()} (BlueFog's
     * {@code neighbor_allreduce}): {@code x_i <- w_ii x_i + sum_{j in In(i)} w_ij x_j}.
     *
     * @param x same shape and dtype on every rank
     * @return a new array, x's shape and dtype
     */
    public INDArray neighborAllreduce(INDArray x) {
        return run(neighborAllreduceOp(x));
    }

    /** Nonblocking {@link #neighborAllreduce(INDArray)}. */
    public Handle<INDArray> neighborAllreduceAsync(INDArray x) {
        return submit(neighborAllreduceOp(x));
    }

    private Op neighborAllreduceOp(INDArray x) {
        return neighborAllreduceOp(x, bf.topology());
    }

    /** {@link #neighborAllreduce(INDArray)} written into {@code x}; returns {@code x}. */
    public INDArray neighborAllreduceInPlace(INDArray x) {
        return neighborAllreduceInPlace(x, bf.topology());
    }

    /**
     * Partial averaging with {@code t} for this call only (what dynamic schedules use: pass the
     * schedule's topology of iteration k). Every rank must pass an equal topology.
     *
     * @throws IllegalArgumentException if {@code t.size()} differs from the job size
     */
    public INDArray neighborAllreduce(INDArray x, Topology t) {
        return run(neighborAllreduceOp(x, t));
    }

    /** Nonblocking {@link #neighborAllreduce(INDArray, Topology)}. */
    public Handle<INDArray> neighborAllreduceAsync(INDArray x, Topology t) {
        return submit(neighborAllreduceOp(x, t));
    }

    private Op neighborAllreduceOp(INDArray x, Topology t) {
        check(x, "x");
        return Op.neighborAllreduce(x, plan(t), false);
    }

    /** {@link #neighborAllreduce(INDArray, Topology)} written into {@code x}; returns {@code x}. */
    public INDArray neighborAllreduceInPlace(INDArray x, Topology t) {
        check(x, "x");
        return run(Op.neighborAllreduce(x, plan(t), true));
    }

    /**
     * Nonblocking {@link #neighborAllreduceInPlace(INDArray, Topology)}: allocates no result array.
     * {@code x} must not be read or written until the handle completes; {@code join()} returns {@code x}.
     */
    public Handle<INDArray> neighborAllreduceInPlaceAsync(INDArray x, Topology t) {
        check(x, "x");
        return submit(Op.neighborAllreduce(x, plan(t), true));
    }

    /**
     * Partial averaging with explicit weights: {@code x_i <- w.selfWeight() x_i + sum_j w_ij x_j}
     * over {@code w}'s sources, which need not be neighbors in the static topology. Each rank
     * passes its own weights; ranks learn who receives from them through one small allgather of
     * the source lists inside the call (use {@link DynamicNeighbors} to give destinations and
     * avoid it). A rank without sources gets {@code selfWeight * x}.
     *
     * @throws IllegalArgumentException if a source is the calling rank or outside 0..n-1
     */
    public INDArray neighborAllreduce(INDArray x, NeighborWeights w) {
        return run(neighborAllreduceOp(x, w));
    }

    /** Nonblocking {@link #neighborAllreduce(INDArray, NeighborWeights)}. */
    public Handle<INDArray> neighborAllreduceAsync(INDArray x, NeighborWeights w) {
        return submit(neighborAllreduceOp(x, w));
    }

    private Op neighborAllreduceOp(INDArray x, NeighborWeights w) {
        check(x, "x");
        return Op.neighborAllreduce(x, NeighborPlan.of(Objects.requireNonNull(w, "w"), rank(), size()), false);
    }

    /** {@link #neighborAllreduce(INDArray, NeighborWeights)} written into {@code x}; returns {@code x}. */
    public INDArray neighborAllreduceInPlace(INDArray x, NeighborWeights w) {
        check(x, "x");
        return run(Op.neighborAllreduce(x,
                NeighborPlan.of(Objects.requireNonNull(w, "w"), rank(), size()), true));
    }

    /**
     * Dynamic partial averaging (BlueFog's {@code neighbor_allreduce} with {@code src_weights} and
     * {@code dst_weights}): rank i sends {@code dstWeight_d * x_i} to each destination d and
     * computes {@code selfWeight x_i + sum_j srcWeight_j * (received from j)}. Every send must be
     * matched by a receive; with {@link DynamicNeighbors#checkConsistency()} this is verified on
     * all ranks first and a mismatch raises {@link io.bluefog.CollectiveMismatchException} naming
     * the ranks, otherwise an unmatched receive times out.
     *
     * @throws IllegalArgumentException if a source or destination is the calling rank or outside 0..n-1
     */
    public INDArray neighborAllreduce(INDArray x, DynamicNeighbors d) {
        return run(neighborAllreduceOp(x, d));
    }

    /** Nonblocking {@link #neighborAllreduce(INDArray, DynamicNeighbors)}. */
    public Handle<INDArray> neighborAllreduceAsync(INDArray x, DynamicNeighbors d) {
        return submit(neighborAllreduceOp(x, d));
    }

    private Op neighborAllreduceOp(INDArray x, DynamicNeighbors d) {
        check(x, "x");
        return Op.neighborAllreduce(x, NeighborPlan.of(Objects.requireNonNull(d, "d"), rank(), size()), false);
    }

    /** {@link #neighborAllreduce(INDArray, DynamicNeighbors)} written into {@code x}; returns {@code x}. */
    public INDArray neighborAllreduceInPlace(INDArray x, DynamicNeighbors d) {
        check(x, "x");
        return run(Op.neighborAllreduce(x,
                NeighborPlan.of(Objects.requireNonNull(d, "d"), rank(), size()), true));
    }

    // ---- neighbor allgather ------------------------------------------------------------------

    /**
     * Concatenation along dimension 0 of the tensors of this rank's in-neighbors in the static
     * topology, ascending rank order (BlueFog's {@code neighbor_allgather}); this rank's own
     * tensor is not included.
     *
     * @param x at least one dimension; all but the first equal on every rank
     * @return a new array {@code [sum_j x_j.shape[0], ...]}; a rank without in-neighbors gets an
     *         array with first dimension 0
     */
    public INDArray neighborAllgather(INDArray x) {
        return run(neighborAllgatherOp(x));
    }

    /** Nonblocking {@link #neighborAllgather(INDArray)}. */
    public Handle<INDArray> neighborAllgatherAsync(INDArray x) {
        return submit(neighborAllgatherOp(x));
    }

    private Op neighborAllgatherOp(INDArray x) {
        checkGather(x);
        return Op.neighborAllgather(x, plan(bf.topology()));
    }

    /**
     * Dynamic neighbor allgather: receives from {@code d.sources()} (in that order) and sends
     * {@code x} to {@code d.destinations()}; weights are ignored.
     */
    public INDArray neighborAllgather(INDArray x, DynamicNeighbors d) {
        return run(neighborAllgatherOp(x, d));
    }

    /** Nonblocking {@link #neighborAllgather(INDArray, DynamicNeighbors)}. */
    public Handle<INDArray> neighborAllgatherAsync(INDArray x, DynamicNeighbors d) {
        return submit(neighborAllgatherOp(x, d));
    }

    private Op neighborAllgatherOp(INDArray x, DynamicNeighbors d) {
        checkGather(x);
        return Op.neighborAllgather(x, NeighborPlan.of(Objects.requireNonNull(d, "d"), rank(), size()));
    }

    // ---- hierarchical neighbor allreduce -----------------------------------------------------

    /**
     * Hierarchical neighbor allreduce with the exponential graph over machines (BlueFog's
     * {@code hierarchical_neighbor_allreduce}); see {@link #hierarchicalNeighborAllreduce(INDArray, Topology)}.
     */
    public INDArray hierarchicalNeighborAllreduce(INDArray x) {
        return run(hierarchicalNeighborAllreduceOp(x));
    }

    /** Nonblocking {@link #hierarchicalNeighborAllreduce(INDArray)}. */
    public Handle<INDArray> hierarchicalNeighborAllreduceAsync(INDArray x) {
        return submit(hierarchicalNeighborAllreduceOp(x));
    }

    private Op hierarchicalNeighborAllreduceOp(INDArray x) {
        return hierarchicalNeighborAllreduceOp(x, Topologies.exponential(bf.machineSize()));
    }

    /**
     * Machine-level partial averaging: the ranks of each machine average their tensors at the
     * machine's leader (its lowest rank), leaders mix the machine averages with
     * {@code machineTopology} (rank m of it is machine m), and every rank receives its machine's
     * result: {@code x_i <- sum_m' W_{m(i) m'} avg(x on machine m')}.
     *
     * @param machineTopology {@code bf.machineSize()} ranks, equal on every rank
     * @throws IllegalArgumentException if its size differs from the number of machines
     */
    public INDArray hierarchicalNeighborAllreduce(INDArray x, Topology machineTopology) {
        return run(hierarchicalNeighborAllreduceOp(x, machineTopology));
    }

    /** Nonblocking {@link #hierarchicalNeighborAllreduce(INDArray, Topology)}. */
    public Handle<INDArray> hierarchicalNeighborAllreduceAsync(INDArray x, Topology machineTopology) {
        return submit(hierarchicalNeighborAllreduceOp(x, machineTopology));
    }

    private Op hierarchicalNeighborAllreduceOp(INDArray x, Topology machineTopology) {
        check(x, "x");
        Objects.requireNonNull(machineTopology, "machineTopology");
        if (machineTopology.size() != bf.machineSize()) {
            throw new IllegalArgumentException("machineTopology has " + machineTopology.size()
                    + " ranks but the job runs on " + bf.machineSize() + " machines");
        }
        return Op.hierarchicalNeighborAllreduce(x, NeighborPlan.of(machineTopology, bf.machineRank()), false);
    }

    // ---- pair gossip -------------------------------------------------------------------------

    /**
     * Pairwise averaging {@code (x_i + x_peer) / 2} (BlueFog's {@code pair_gossip}); both ranks of
     * a pair compute the sum in the same order, so they hold bitwise equal results. Every rank
     * calls it; pairs must be mutual ({@code peer(peer(i)) = i}, checked); {@code peer == rank}
     * sits the round out and returns a copy of {@code x}.
     *
     * @throws IllegalArgumentException if {@code peer} is outside 0..n-1
     */
    public INDArray pairGossip(INDArray x, int peer) {
        return run(pairGossipOp(x, peer));
    }

    /** Nonblocking {@link #pairGossip(INDArray, int)}. */
    public Handle<INDArray> pairGossipAsync(INDArray x, int peer) {
        return submit(pairGossipOp(x, peer));
    }

    private Op pairGossipOp(INDArray x, int peer) {
        check(x, "x");
        checkRank(peer, "peer");
        return Op.pairGossip(x, peer);
    }

    /** @return counters of this rank's communication thread */
    public CollectivesStatistics statistics() {
        long[] c = engine.counters();
        return new CollectivesStatistics(c[0], c[1], c[2], c[3], c[4]);
    }

    // ---- plumbing ----------------------------------------------------------------------------

    /** Lets queued operations finish (up to the timeout) and stops the communication thread. */
    @Override
    public void close() {
        INSTANCES.remove(bf, root);
        engine.close(config.timeoutMillis());
    }

    /** Blocking call: runs on the caller's thread when the engine is idle, else waits its turn. */
    private <T> T run(Op op) {
        checkThread();
        op.name(name);
        return new FutureHandle<T>(engine.runInCallerOrSubmit(op)).join();
    }

    private void checkThread() {
        if (engine.isCommunicationThread()) {
            throw new IllegalStateException("collectives cannot be called from the communication thread");
        }
    }

    private <T> Handle<T> submit(Op op) {
        checkThread();
        op.name(name);
        return new FutureHandle<>(engine.submit(op));
    }

    private NeighborPlan plan(Topology t) {
        Objects.requireNonNull(t, "topology");
        if (t.size() != size()) {
            throw new IllegalArgumentException("topology has " + t.size() + " ranks but the job has " + size());
        }
        return NeighborPlan.of(t, rank());
    }

    private void checkRank(int r, String name) {
        if (r < 0 || r >= size()) {
            throw new IllegalArgumentException(name + " " + r + " is outside 0.." + (size() - 1));
        }
    }

    private static void check(INDArray x, String name) {
        Tensors.checkTensor(x, name);
    }

    private static void checkGather(INDArray x) {
        check(x, "x");
        if (x.rank() < 1) {
            throw new IllegalArgumentException("x must have at least one dimension to be gathered, got a scalar");
        }
    }
}
