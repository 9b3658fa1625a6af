package io.bluefog.collectives;

import io.bluefog.BlueFog;
import io.bluefog.collectives.engine.Engine;
import io.bluefog.collectives.engine.FutureHandle;
import io.bluefog.collectives.engine.NeighborPlan;
import io.bluefog.collectives.engine.Op;
import io.bluefog.collectives.engine.Tensors;
import io.bluefog.comm.ReduceOp;
import io.bluefog.topology.Topology;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Tensor collectives of one rank over its {@link BlueFog} context, on ND4J arrays: global
 * (allreduce, machine-local allreduce, broadcast, allgather, barrier) and decentralized (neighbor
 * allreduce and allgather, hierarchical neighbor allreduce, pair gossip), after BlueFog's
 * {@code bluefog.torch} API (Ying et al., "BlueFog: Make Decentralized Algorithms Practical for
 * Optimization and Deep Learning", arXiv:2111.04287, 2021).
 *
 * <h2>One shape for every operation</h2>
 * Every operation {@code op} comes in the same forms, with the same arguments:
 * <table>
 *   <caption>forms</caption>
 *   <tr><th>form</th><th>returns</th><th>input</th><th>BlueFog</th></tr>
 *   <tr><td>{@code op(x, ...)}</td><td>a new array</td><td>not modified</td><td>{@code op}</td></tr>
 *   <tr><td>{@code opAsync(x, ...)}</td><td>{@link Handle} of a new array</td><td>not modified; must not be
 *       written until the handle completes</td><td>{@code op_nonblocking}</td></tr>
 *   <tr><td>{@code opInPlace(x, ...)}</td><td>{@code x}, overwritten with the result</td><td>modified</td>
 *       <td>{@code op_}</td></tr>
 *   <tr><td>{@code opInPlaceAsync(x, ...)}</td><td>{@link Handle} whose {@code join()} returns {@code x}</td>
 *       <td>modified; must not be read or written until the handle completes</td>
 *       <td>{@code op_nonblocking_}</td></tr>
 * </table>
 * The in-place forms exist for every operation whose result has the input's shape (allreduce,
 * localAllreduce, broadcast, neighborAllreduce, hierarchicalNeighborAllreduce, pairGossip); the
 * gathers (allgather, neighborAllgather) change the shape and have only the first two forms.
 * The neighbor operations take one optional {@link Mixing} argument: a topology
 * ({@link Mixing#of(io.bluefog.topology.Topology)}), this rank's explicit weights
 * ({@link NeighborWeights}) or dynamic neighbors ({@link DynamicNeighbors}); without it they use
 * the context's topology weighted as {@link BlueFog#setTopology(io.bluefog.topology.Topology,
 * io.bluefog.Weighting)} said (uniform by default, as BlueFog). For example:
 * <pre>{@code
 * INDArray y = c.neighborAllreduce(x);                                  // bf's topology
 * c.neighborAllreduceInPlace(x, Mixing.of(schedule.at(k)));             // iteration k's graph, in place
 * Handle<INDArray> h = c.neighborAllreduceAsync(x, DynamicNeighbors.builder()
 *         .selfWeight(0.5).source(prev, 0.5).destination(next).build()); // one peer each way
 * }</pre>
 *
 * <h2>Collective contract (every method)</h2>
 * <ul>
 *   <li><b>Who calls:</b> every rank of the job, in the same order (operations are matched by call
 *       order), including {@code localAllreduce} and the hierarchical and pair operations.</li>
 *   <li><b>Tensors:</b> float32, float64, float16, int32 or int64 ND4J arrays of any shape with at
 *       least one element (the rounding of averages per dtype is documented in
 *       {@code io.bluefog.collectives.engine.Combiner}: float16/float32 accumulate in float64 and
 *       round once, integer averages truncate toward zero);
 *       views and F-order arrays are accepted (copied to C order first; an in-place result is
 *       written back into the view). The result has the input's shape and dtype (the gathers: see
 *       each method).</li>
 *   <li><b>What must match:</b> the operation, dtype and shape on every rank (allgathers: all but
 *       the first dimension) and the operation's global parameters (reduce op, root, the kind of
 *       mixing and, for a {@link TopologyMixing}, its mixing matrix).</li>
 *   <li><b>Mismatch:</b> before any data moves, every rank sends a small header (operation, dtype,
 *       shape, parameters, and the name given with {@link #named}) to rank 0, which checks them; on disagreement the call fails on every
 *       rank with {@link io.bluefog.CollectiveMismatchException} naming the ranks and what each
 *       passed, and later calls proceed normally. A rank that does not make the call within
 *       {@link CollectivesConfig#timeoutMillis()} makes the others fail with
 *       {@link io.bluefog.BlueFogTimeoutException}; after a timeout or a transport failure
 *       ({@link io.bluefog.CommunicationException}) this object is unusable.</li>
 *   <li><b>Bad arguments</b> (dtype, empty tensor, rank out of range, non-finite weight) throw
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
 * that size, and each chunk is combined (one pass of the native combine kernel, or its Java
 * twin when the kernel is absent; both accumulate in float64 and round once) as soon as it has arrived,
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
                config.pipelineChunkBytes(), config.skipNegotiation(), bf.timeline(), config.cacheCapacity());
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
     * Global average {@code (1/n) sum_r x_r} (BlueFog's {@code allreduce(tensor)}; MPI_Allreduce
     * with sum, then times 1/n).
     *
     * @param x same shape and dtype on every rank; not modified
     * @return a new array, x's shape and dtype
     */
    public INDArray allreduce(INDArray x) {
        return allreduce(x, ReduceOp.AVG);
    }

    /**
     * Element-wise {@code op} over all ranks ({@link ReduceOp#AVG} is the sum times 1/n, within one
     * rounding of the sum divided by n; {@code SUM} is BlueFog's {@code average=False}).
     *
     * @param op the same on every rank
     * @return a new array, x's shape and dtype
     */
    public INDArray allreduce(INDArray x, ReduceOp op) {
        return run(allreduceOp(x, op, false, false));
    }

    /** Nonblocking {@link #allreduce(INDArray)}. */
    public Handle<INDArray> allreduceAsync(INDArray x) {
        return allreduceAsync(x, ReduceOp.AVG);
    }

    /** Nonblocking {@link #allreduce(INDArray, ReduceOp)}. */
    public Handle<INDArray> allreduceAsync(INDArray x, ReduceOp op) {
        return submit(allreduceOp(x, op, false, false));
    }

    /** {@link #allreduce(INDArray)} written into {@code x} (BlueFog's {@code allreduce_}); returns {@code x}. */
    public INDArray allreduceInPlace(INDArray x) {
        return allreduceInPlace(x, ReduceOp.AVG);
    }

    /** {@link #allreduce(INDArray, ReduceOp)} written into {@code x}; returns {@code x}. */
    public INDArray allreduceInPlace(INDArray x, ReduceOp op) {
        return run(allreduceOp(x, op, false, true));
    }

    /** Nonblocking {@link #allreduceInPlace(INDArray)} (BlueFog's {@code allreduce_nonblocking_}); {@code join()} returns {@code x}. */
    public Handle<INDArray> allreduceInPlaceAsync(INDArray x) {
        return allreduceInPlaceAsync(x, ReduceOp.AVG);
    }

    /** Nonblocking {@link #allreduceInPlace(INDArray, ReduceOp)}; {@code join()} returns {@code x}. */
    public Handle<INDArray> allreduceInPlaceAsync(INDArray x, ReduceOp op) {
        return submit(allreduceOp(x, op, false, true));
    }

    // ---- machine-local allreduce -------------------------------------------------------------

    /**
     * Average over the ranks of this rank's machine only (BlueFog's
     * {@code allreduce(tensor, is_hierarchical_local=True)}): rank r gets
     * {@code (1/k) sum_{s on machine(r)} x_s}, k the number of ranks on its machine. Every rank of
     * the job calls it; what must match is checked over the whole job.
     *
     * @return a new array, x's shape and dtype
     */
    public INDArray localAllreduce(INDArray x) {
        return localAllreduce(x, ReduceOp.AVG);
    }

    /**
     * Element-wise {@code op} over the ranks of this rank's machine; see {@link #localAllreduce(INDArray)}.
     *
     * @param op {@link ReduceOp#AVG} or {@link ReduceOp#SUM} (BlueFog's {@code average=True/False}), the same on every rank
     * @throws IllegalArgumentException for another op
     */
    public INDArray localAllreduce(INDArray x, ReduceOp op) {
        return run(allreduceOp(x, op, true, false));
    }

    /** Nonblocking {@link #localAllreduce(INDArray)}. */
    public Handle<INDArray> localAllreduceAsync(INDArray x) {
        return localAllreduceAsync(x, ReduceOp.AVG);
    }

    /** Nonblocking {@link #localAllreduce(INDArray, ReduceOp)}. */
    public Handle<INDArray> localAllreduceAsync(INDArray x, ReduceOp op) {
        return submit(allreduceOp(x, op, true, false));
    }

    /** {@link #localAllreduce(INDArray)} written into {@code x}; returns {@code x}. */
    public INDArray localAllreduceInPlace(INDArray x) {
        return localAllreduceInPlace(x, ReduceOp.AVG);
    }

    /** {@link #localAllreduce(INDArray, ReduceOp)} written into {@code x}; returns {@code x}. */
    public INDArray localAllreduceInPlace(INDArray x, ReduceOp op) {
        return run(allreduceOp(x, op, true, true));
    }

    /** Nonblocking {@link #localAllreduceInPlace(INDArray)}; {@code join()} returns {@code x}. */
    public Handle<INDArray> localAllreduceInPlaceAsync(INDArray x) {
        return localAllreduceInPlaceAsync(x, ReduceOp.AVG);
    }

    /** Nonblocking {@link #localAllreduceInPlace(INDArray, ReduceOp)}; {@code join()} returns {@code x}. */
    public Handle<INDArray> localAllreduceInPlaceAsync(INDArray x, ReduceOp op) {
        return submit(allreduceOp(x, op, true, true));
    }

    private Op allreduceOp(INDArray x, ReduceOp op, boolean local, boolean inPlace) {
        check(x, "x");
        Objects.requireNonNull(op, "op");
        if (local && op != ReduceOp.AVG && op != ReduceOp.SUM) {
            throw new IllegalArgumentException("localAllreduce supports AVG and SUM (BlueFog's average=True/False), got "
                    + op);
        }
        return local ? Op.localAllreduce(x, op, inPlace) : Op.allreduce(x, op, inPlace);
    }

    // ---- broadcast ---------------------------------------------------------------------------

    /**
     * Copy of rank {@code root}'s tensor on every rank (BlueFog's {@code broadcast}; MPI_Bcast).
     *
     * @param x    same shape and dtype on every rank (only root's values matter); not modified
     * @param root 0 &le; root &lt; n, the same on every rank
     * @return a new array holding root's values
     */
    public INDArray broadcast(INDArray x, int root) {
        return run(broadcastOp(x, root, false));
    }

    /** Nonblocking {@link #broadcast(INDArray, int)}. */
    public Handle<INDArray> broadcastAsync(INDArray x, int root) {
        return submit(broadcastOp(x, root, false));
    }

    /** {@link #broadcast(INDArray, int)} written into {@code x} (BlueFog's {@code broadcast_}, e.g. to start all models equal); returns {@code x}. */
    public INDArray broadcastInPlace(INDArray x, int root) {
        return run(broadcastOp(x, root, true));
    }

    /** Nonblocking {@link #broadcastInPlace(INDArray, int)} (BlueFog's {@code broadcast_nonblocking_}); {@code join()} returns {@code x}. */
    public Handle<INDArray> broadcastInPlaceAsync(INDArray x, int root) {
        return submit(broadcastOp(x, root, true));
    }

    private Op broadcastOp(INDArray x, int root, boolean inPlace) {
        check(x, "x");
        checkRank(root, "root");
        return Op.broadcast(x, root, inPlace);
    }

    // ---- allgather ---------------------------------------------------------------------------

    /**
     * Concatenation of every rank's tensor along dimension 0, in rank order (BlueFog's
     * {@code allgather}; MPI_Allgatherv). No in-place form: the result has another shape.
     *
     * @param x at least one dimension; dimensions after the first equal on every rank, the first
     *          may differ; not modified
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
        run(Op.barrier());
    }

    /** Nonblocking {@link #barrier()}. */
    public Handle<Void> barrierAsync() {
        return submit(Op.barrier());
    }

    // ---- neighbor allreduce ------------------------------------------------------------------

    /**
     * Partial averaging over the context's static topology, weighted as it was set (BlueFog's
     * {@code neighbor_allreduce(tensor)}): {@code x_i <- w_ii x_i + sum_{j in In(i)} w_ij x_j} with
     * {@code W = bf.mixingTopology()}, i.e. the uniform average {@code 1/(indeg_i + 1)} over self
     * and in-neighbors after {@code bf.setTopology(t)}, the topology's weights after
     * {@code bf.setTopology(t, Weighting.TOPOLOGY)}.
     *
     * @param x same shape and dtype on every rank; not modified
     * @return a new array, x's shape and dtype
     */
    public INDArray neighborAllreduce(INDArray x) {
        return run(neighborAllreduceOp(x, null, false));
    }

    /**
     * Partial averaging with {@code mixing} for this call only (BlueFog's
     * {@code neighbor_allreduce(tensor, self_weight, src_weights, dst_weights)}): rank i computes
     * {@code w_ii x_i + sum_j w_ij (d_{j->i} x_j)} over its sources j, {@code d_{j->i}} the
     * destination weight rank j applied (1 unless {@link DynamicNeighbors} gives one). The sum is
     * taken self term first, then sources in ascending rank order.
     *
     * @param mixing a {@link TopologyMixing} equal on every rank, or this rank's own
     *               {@link NeighborWeights} or {@link DynamicNeighbors}
     * @return a new array, x's shape and dtype
     * @throws IllegalArgumentException if a topology's size differs from the job size, or a source
     *                                  or destination is the calling rank or outside 0..n-1
     * @throws io.bluefog.CollectiveMismatchException if ranks pass different kinds of mixing or
     *         unequal topologies, or (checked {@link DynamicNeighbors}) a send has no matching receive
     */
    public INDArray neighborAllreduce(INDArray x, Mixing mixing) {
        return run(neighborAllreduceOp(x, Objects.requireNonNull(mixing, "mixing"), false));
    }

    /** Nonblocking {@link #neighborAllreduce(INDArray)}. */
    public Handle<INDArray> neighborAllreduceAsync(INDArray x) {
        return submit(neighborAllreduceOp(x, null, false));
    }

    /** Nonblocking {@link #neighborAllreduce(INDArray, Mixing)}. */
    public Handle<INDArray> neighborAllreduceAsync(INDArray x, Mixing mixing) {
        return submit(neighborAllreduceOp(x, Objects.requireNonNull(mixing, "mixing"), false));
    }

    /** {@link #neighborAllreduce(INDArray)} written into {@code x}; returns {@code x}. */
    public INDArray neighborAllreduceInPlace(INDArray x) {
        return run(neighborAllreduceOp(x, null, true));
    }

    /** {@link #neighborAllreduce(INDArray, Mixing)} written into {@code x}; returns {@code x}. */
    public INDArray neighborAllreduceInPlace(INDArray x, Mixing mixing) {
        return run(neighborAllreduceOp(x, Objects.requireNonNull(mixing, "mixing"), true));
    }

    /**
     * {@link #neighborAllreduceInPlace(INDArray, Mixing)} that tells {@code blocks} which elements of
     * {@code x} are final as they are written (see {@link ResultBlocks} for the order, the threads
     * and errors): on the in-JVM {@code LocalCluster} the threads combining every rank's result call
     * it on each block while it is in their cache, so a per-call reduction of the result (an error,
     * a norm) costs no second pass over memory; on other transports it is called after the combine.
     * The result is the same as without {@code blocks}.
     *
     * @param blocks not null; called for every element of this rank's result, in ascending order
     * @throws RuntimeException what {@code blocks} threw, on this rank, once the call has completed
     */
    public INDArray neighborAllreduceInPlace(INDArray x, Mixing mixing, ResultBlocks blocks) {
        Op op = neighborAllreduceOp(x, Objects.requireNonNull(mixing, "mixing"), true);
        op.resultBlocks(Objects.requireNonNull(blocks, "blocks"));
        INDArray result = run(op);
        op.finishResultBlocks();
        return result;
    }

    /**
     * Nonblocking {@link #neighborAllreduceInPlace(INDArray)}: allocates no result array. {@code x}
     * must not be read or written until the handle completes; {@code join()} returns {@code x}.
     */
    public Handle<INDArray> neighborAllreduceInPlaceAsync(INDArray x) {
        return submit(neighborAllreduceOp(x, null, true));
    }

    /** Nonblocking {@link #neighborAllreduceInPlace(INDArray, Mixing)}; see {@link #neighborAllreduceInPlaceAsync(INDArray)}. */
    public Handle<INDArray> neighborAllreduceInPlaceAsync(INDArray x, Mixing mixing) {
        return submit(neighborAllreduceOp(x, Objects.requireNonNull(mixing, "mixing"), true));
    }

    private Op neighborAllreduceOp(INDArray x, Mixing mixing, boolean inPlace) {
        check(x, "x");
        return Op.neighborAllreduce(x, rankPlan(mixing), inPlace);
    }

    // ---- neighbor allgather ------------------------------------------------------------------

    /**
     * Concatenation along dimension 0 of the tensors of this rank's in-neighbors in the context's
     * static topology, ascending rank order (BlueFog's {@code neighbor_allgather}); this rank's own
     * tensor is not included. No in-place form: the result has another shape.
     *
     * @param x at least one dimension; all but the first equal on every rank; not modified
     * @return a new array {@code [sum_j x_j.shape[0], ...]}; a rank without in-neighbors gets an
     *         array with first dimension 0
     */
    public INDArray neighborAllgather(INDArray x) {
        return run(neighborAllgatherOp(x, null));
    }

    /**
     * Neighbor allgather with {@code mixing}'s sources and destinations (BlueFog's
     * {@code neighbor_allgather(tensor, src_ranks, dst_ranks)}); its weights are ignored. Sources
     * are concatenated in ascending rank order, except for {@link DynamicNeighbors}, whose sources
     * keep the order they were added in.
     */
    public INDArray neighborAllgather(INDArray x, Mixing mixing) {
        return run(neighborAllgatherOp(x, Objects.requireNonNull(mixing, "mixing")));
    }

    /** Nonblocking {@link #neighborAllgather(INDArray)}. */
    public Handle<INDArray> neighborAllgatherAsync(INDArray x) {
        return submit(neighborAllgatherOp(x, null));
    }

    /** Nonblocking {@link #neighborAllgather(INDArray, Mixing)}. */
    public Handle<INDArray> neighborAllgatherAsync(INDArray x, Mixing mixing) {
        return submit(neighborAllgatherOp(x, Objects.requireNonNull(mixing, "mixing")));
    }

    private Op neighborAllgatherOp(INDArray x, Mixing mixing) {
        checkGather(x);
        return Op.neighborAllgather(x, mixing == null ? NeighborPlan.of(bf.topology(), rank()) : rankPlan(mixing));
    }

    // ---- hierarchical neighbor allreduce -----------------------------------------------------

    /**
     * Machine-level partial averaging over the context's machine topology, weighted as it was set
     * (BlueFog's {@code hierarchical_neighbor_allreduce(tensor)} after {@code set_machine_topology}):
     * the ranks of each machine average their tensors, the machines mix their averages with
     * {@code M = bf.machineMixingTopology()} (node m is machine m), and every rank receives its
     * machine's result: {@code x_i <- sum_m' M_{m(i) m'} avg(x on machine m')}.
     *
     * @param x same shape and dtype on every rank; not modified
     * @return a new array, x's shape and dtype
     */
    public INDArray hierarchicalNeighborAllreduce(INDArray x) {
        return run(hierarchicalOp(x, null, false));
    }

    /**
     * Hierarchical neighbor allreduce with {@code machineMixing} over machines for this call
     * (BlueFog's {@code hierarchical_neighbor_allreduce(tensor, self_weight, src_machine_weights,
     * dst_machine_weights)}): ranks and weights in it are machine ranks and machine weights, and every
     * rank of a machine passes an equal value (the machine's lowest rank's is used). A
     * {@link DynamicNeighbors}' send/receive sets are checked across machines unless built with
     * {@code checkConsistency(false)} (BlueFog's {@code enable_topo_check}, whose default is false
     * for this operation only); {@link NeighborWeights} (sources only) learn the destinations in one
     * small allgather, as for {@link #neighborAllreduce(INDArray, Mixing)}. Unlike BlueFog, the
     * machine sources need not be in-neighbors in the stored machine topology.
     *
     * @param machineMixing a {@link TopologyMixing} over {@code bf.machineSize()} nodes, or
     *                      {@link NeighborWeights} / {@link DynamicNeighbors} over machine ranks
     * @throws IllegalArgumentException if a topology's size differs from the number of machines, or
     *                                  a machine rank is out of range or this rank's own machine
     */
    public INDArray hierarchicalNeighborAllreduce(INDArray x, Mixing machineMixing) {
        return run(hierarchicalOp(x, Objects.requireNonNull(machineMixing, "machineMixing"), false));
    }

    /** Nonblocking {@link #hierarchicalNeighborAllreduce(INDArray)}. */
    public Handle<INDArray> hierarchicalNeighborAllreduceAsync(INDArray x) {
        return submit(hierarchicalOp(x, null, false));
    }

    /** Nonblocking {@link #hierarchicalNeighborAllreduce(INDArray, Mixing)}. */
    public Handle<INDArray> hierarchicalNeighborAllreduceAsync(INDArray x, Mixing machineMixing) {
        return submit(hierarchicalOp(x, Objects.requireNonNull(machineMixing, "machineMixing"), false));
    }

    /** {@link #hierarchicalNeighborAllreduce(INDArray)} written into {@code x}; returns {@code x}. */
    public INDArray hierarchicalNeighborAllreduceInPlace(INDArray x) {
        return run(hierarchicalOp(x, null, true));
    }

    /** {@link #hierarchicalNeighborAllreduce(INDArray, Mixing)} written into {@code x}; returns {@code x}. */
    public INDArray hierarchicalNeighborAllreduceInPlace(INDArray x, Mixing machineMixing) {
        return run(hierarchicalOp(x, Objects.requireNonNull(machineMixing, "machineMixing"), true));
    }

    /** Nonblocking {@link #hierarchicalNeighborAllreduceInPlace(INDArray)}; {@code join()} returns {@code x}. */
    public Handle<INDArray> hierarchicalNeighborAllreduceInPlaceAsync(INDArray x) {
        return submit(hierarchicalOp(x, null, true));
    }

    /** Nonblocking {@link #hierarchicalNeighborAllreduceInPlace(INDArray, Mixing)}; {@code join()} returns {@code x}. */
    public Handle<INDArray> hierarchicalNeighborAllreduceInPlaceAsync(INDArray x, Mixing machineMixing) {
        return submit(hierarchicalOp(x, Objects.requireNonNull(machineMixing, "machineMixing"), true));
    }

    private Op hierarchicalOp(INDArray x, Mixing machineMixing, boolean inPlace) {
        check(x, "x");
        NeighborPlan plan;
        if (machineMixing == null) {
            plan = NeighborPlan.of(bf.machineMixingTopology(), bf.machineRank());
        } else {
            plan = plan(machineMixing, bf.machineRank(), bf.machineSize(), "machines");
        }
        return Op.hierarchicalNeighborAllreduce(x, plan, inPlace);
    }

    // ---- pair gossip -------------------------------------------------------------------------

    /**
     * Pairwise averaging {@code (x_i + x_peer) / 2} (BlueFog's {@code pair_gossip(tensor,
     * target_rank)}); see {@link #pairGossip(INDArray, int, double, double)}.
     */
    public INDArray pairGossip(INDArray x, int peer) {
        return pairGossip(x, peer, 0.5, 0.5);
    }

    /**
     * Weighted pairwise averaging {@code selfWeight * x_i + pairWeight * x_peer} (BlueFog's
     * {@code pair_gossip(tensor, target_rank, self_weight, pair_weight)}). Every rank calls it;
     * pairs must be mutual ({@code peer(peer(i)) = i}, checked); both ranks of a pair sum in the
     * same order, so with equal weights they hold bitwise equal results. {@code peer == rank} sits
     * the round out and returns {@code x}'s values unchanged.
     *
     * @param selfWeight finite weight of this rank's tensor
     * @param pairWeight finite weight of the peer's tensor
     * @return a new array, x's shape and dtype
     * @throws IllegalArgumentException if {@code peer} is outside 0..n-1 or a weight is not finite
     */
    public INDArray pairGossip(INDArray x, int peer, double selfWeight, double pairWeight) {
        return run(pairGossipOp(x, peer, selfWeight, pairWeight, false));
    }

    /** Nonblocking {@link #pairGossip(INDArray, int)}. */
    public Handle<INDArray> pairGossipAsync(INDArray x, int peer) {
        return pairGossipAsync(x, peer, 0.5, 0.5);
    }

    /** Nonblocking {@link #pairGossip(INDArray, int, double, double)}. */
    public Handle<INDArray> pairGossipAsync(INDArray x, int peer, double selfWeight, double pairWeight) {
        return submit(pairGossipOp(x, peer, selfWeight, pairWeight, false));
    }

    /** {@link #pairGossip(INDArray, int)} written into {@code x}; returns {@code x}. */
    public INDArray pairGossipInPlace(INDArray x, int peer) {
        return pairGossipInPlace(x, peer, 0.5, 0.5);
    }

    /** {@link #pairGossip(INDArray, int, double, double)} written into {@code x}; returns {@code x}. */
    public INDArray pairGossipInPlace(INDArray x, int peer, double selfWeight, double pairWeight) {
        return run(pairGossipOp(x, peer, selfWeight, pairWeight, true));
    }

    /** Nonblocking {@link #pairGossipInPlace(INDArray, int)}; {@code join()} returns {@code x}. */
    public Handle<INDArray> pairGossipInPlaceAsync(INDArray x, int peer) {
        return pairGossipInPlaceAsync(x, peer, 0.5, 0.5);
    }

    /** Nonblocking {@link #pairGossipInPlace(INDArray, int, double, double)}; {@code join()} returns {@code x}. */
    public Handle<INDArray> pairGossipInPlaceAsync(INDArray x, int peer, double selfWeight, double pairWeight) {
        return submit(pairGossipOp(x, peer, selfWeight, pairWeight, true));
    }

    private Op pairGossipOp(INDArray x, int peer, double selfWeight, double pairWeight, boolean inPlace) {
        check(x, "x");
        checkRank(peer, "peer");
        NeighborWeights.checkFinite("selfWeight", selfWeight);
        NeighborWeights.checkFinite("pairWeight", pairWeight);
        return Op.pairGossip(x, peer, selfWeight, pairWeight, inPlace);
    }

    // ---- inferring sources and destinations --------------------------------------------------

    /**
     * The ranks that send to this rank, given every rank's destinations (BlueFog's
     * {@code InferSourceFromDestinationRanks(dst_ranks, construct_adjacency_matrix=True)}): a
     * collective built on one {@link #allgather} of an n-element row per rank, so every rank calls
     * it, in the same order as its other collectives. Use it to build the {@link DynamicNeighbors}
     * of a graph each rank knows only its own out-edges of.
     *
     * @param destinations distinct ranks in 0..n-1, not this rank (may be empty)
     * @return this rank's sources, ascending, and the adjacency matrix of the whole graph
     * @throws IllegalArgumentException on the rank whose list is invalid (out of range, repeated,
     *         or its own rank), after the exchange
     * @throws io.bluefog.CollectiveMismatchException on every other rank, naming the ranks whose
     *         lists were invalid
     */
    public InferredNeighbors inferSourceRanks(int[] destinations) {
        return infer(destinations, false);
    }

    /**
     * The ranks this rank sends to, given every rank's sources (BlueFog's
     * {@code InferDestinationFromSourceRanks}); see {@link #inferSourceRanks(int[])}.
     *
     * @param sources distinct ranks in 0..n-1, not this rank (may be empty)
     * @return this rank's destinations, ascending, and the adjacency matrix of the whole graph
     */
    public InferredNeighbors inferDestinationRanks(int[] sources) {
        return infer(sources, true);
    }

    private InferredNeighbors infer(int[] given, boolean givenAreSources) {
        Objects.requireNonNull(given, givenAreSources ? "sources" : "destinations");
        int n = size();
        int me = rank();
        String what = givenAreSources ? "source" : "destination";
        String error = null;
        double[] row = new double[n + 1]; // [invalid flag, indicator of the given ranks]
        for (int r : given) {
            if (r < 0 || r >= n) {
                error = what + " rank " + r + " is outside 0.." + (n - 1);
            } else if (r == me) {
                error = what + " rank " + r + " is the calling rank";
            } else if (row[r + 1] != 0) {
                error = what + " rank " + r + " is listed twice";
            } else {
                row[r + 1] = 1;
            }
        }
        row[0] = error == null ? 0 : 1;
        INDArray all = allgather(Nd4j.createFromArray(new double[][] {row}));
        java.util.List<Integer> bad = new java.util.ArrayList<>();
        boolean[][] sends = new boolean[n][n]; // sends[i][j]: i sends to j
        for (int k = 0; k < n; k++) {
            if (all.getDouble(k, 0) != 0) {
                bad.add(k);
            }
            for (int j = 0; j < n; j++) {
                if (all.getDouble(k, j + 1) != 0) {
                    if (givenAreSources) {
                        sends[j][k] = true;
                    } else {
                        sends[k][j] = true;
                    }
                }
            }
        }
        if (error != null) {
            throw new IllegalArgumentException("rank " + me + ": " + error);
        }
        if (!bad.isEmpty()) {
            throw new io.bluefog.CollectiveMismatchException("infer" + (givenAreSources ? "Destination" : "Source")
                    + "Ranks: ranks " + bad + " passed invalid " + what + " lists");
        }
        return InferredNeighbors.of(sends, me, givenAreSources);
    }

    /** @return counters of this rank's communication thread */
    public CollectivesStatistics statistics() {
        long[] c = engine.counters();
        return new CollectivesStatistics(c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
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

    /** The plan over ranks of {@code mixing}, or of the context's weighted topology when null. */
    private NeighborPlan rankPlan(Mixing mixing) {
        if (mixing instanceof TopologyMixing t) {
            // A training loop passes the same topology every step: its plan is made once (a plan
            // over a topology is never modified, so calls may share it).
            TopologyPlan last = lastTopologyPlan;
            if (last != null && last.topology() == t.weights()) {
                return last.plan();
            }
            NeighborPlan p = plan(mixing, rank(), size(), "ranks");
            lastTopologyPlan = new TopologyPlan(t.weights(), p);
            return p;
        }
        return mixing == null ? NeighborPlan.of(bf.mixingTopology(), rank()) : plan(mixing, rank(), size(), "ranks");
    }

    /** This rank's plan over a topology (compared by identity: topologies are immutable). */
    private record TopologyPlan(Topology topology, NeighborPlan plan) {
    }

    private volatile TopologyPlan lastTopologyPlan;

    /** {@code me} is this rank's (or its machine's) index among {@code n} ranks (or machines). */
    private static NeighborPlan plan(Mixing mixing, int me, int n, String of) {
        if (mixing instanceof TopologyMixing t) {
            if (t.weights().size() != n) {
                throw new IllegalArgumentException("topology has " + t.weights().size() + " nodes but the job has " + n
                        + " " + of);
            }
            return NeighborPlan.of(t.weights(), me);
        }
        if (mixing instanceof NeighborWeights w) {
            return NeighborPlan.of(w, me, n);
        }
        return NeighborPlan.of((DynamicNeighbors) mixing, me, n);
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
