package io.bluefog.optimizers;

import io.bluefog.BlueFog;
import io.bluefog.collectives.Collectives;
import io.bluefog.collectives.Handle;
import io.bluefog.collectives.Mixing;
import io.bluefog.comm.ReduceOp;
import io.bluefog.optimizers.algorithms.Algorithms;
import io.bluefog.optimizers.updaters.LocalUpdater;
import io.bluefog.optimizers.updaters.ParameterBlocks;
import io.bluefog.topology.Topology;
import io.bluefog.topology.dynamic.DynamicTopology;
import io.bluefog.topology.dynamic.Schedules;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;
import java.util.Objects;

/**
 * A decentralized optimizer on one rank: owns the update of a flat parameter vector (an
 * {@link INDArray}, typically DL4J's {@code params()} view) given the gradient at the current
 * parameters. Every rank of the job creates one with an equal {@link OptimizerConfig}.
 *
 * <h2>Lifecycle</h2>
 * <ol>
 *   <li>{@link #create(BlueFog, INDArray, OptimizerConfig)} (a built-in algorithm) or a subclass's
 *       constructor &mdash; collective: when
 *       {@link OptimizerConfig#broadcastAtStart()} (default), every rank's parameters are overwritten
 *       by rank 0's so that all start from the same point; the algorithm's state is initialised
 *       from them.</li>
 *   <li>Optionally {@link #beginStep()}, before computing the gradient of the coming step: starts the
 *       part of the iteration's communication that reads only the current parameters (AWC's W x),
 *       so that it runs on the communication thread while the caller computes the gradient. Between
 *       {@code beginStep()} and {@code step} the parameters must not be modified.</li>
 *   <li>{@link #step(INDArray)}, once per iteration on every rank &mdash; collective (all ranks call it the
 *       same number of times; the communication pattern of iteration k is the same on all ranks).
 *       The gradient must have been computed at the current {@link #parameters()}; the parameters
 *       are updated in place. The gradient array is not modified. The result does not depend on
 *       whether {@code beginStep()} was called, to the last bit, and ranks may differ in calling it.</li>
 *   <li>{@link #averagedParameters()}, {@link #consensusDistance()} &mdash; collective, any time between steps,
 *       for evaluation; they do not change the network's model (an asynchronous algorithm first
 *       absorbs what its windows hold, {@link #beforeAveraging()}, which moves mass between ranks
 *       without changing the model; every other algorithm's state stays as it is), and their time is
 *       not counted in {@link #communicationNanos()}.</li>
 * </ol>
 * Not thread-safe: one thread per rank. Parameters and gradients are FLOAT or DOUBLE vectors of one
 * dtype and length (any shape with that length, e.g. DL4J's {@code 1 x numParams}).
 *
 * <h2>Communication</h2>
 * All communication goes through the rank's {@link Collectives} (neighbor averaging is
 * {@code neighborAllreduceInPlace(x, W)}, global averaging {@code allreduceInPlace(x, AVG)}, the
 * start {@code broadcastInPlace(x, 0)}), so every exchange gets the collectives' cross-rank checks
 * (a mismatch of shape, dtype or topology raises {@link io.bluefog.CollectiveMismatchException}),
 * fusion, pooled buffers and timeline. The optimizer does not own the collectives and never closes
 * them: the job closes {@code Collectives.of(bf)} when it is done with every optimizer on the rank
 * (e.g. {@code try (Collectives c = Collectives.of(bf)) { ... }}).
 *
 * <h2>Extending: a user's algorithm</h2>
 * A new algorithm subclasses this class; {@link io.bluefog.optimizers.dl4j.DecentralizedTrainer}
 * takes it through an {@link OptimizerFactory} ({@code MyAlgorithm::new}) with an
 * {@link OptimizerConfig#builder()} that names no {@link Algorithm}. A subclass
 * <ul>
 *   <li>has a constructor that passes its first four arguments to
 *       {@link #DecentralizedOptimizer(Collectives, Topology, INDArray, OptimizerConfig) super}, then
 *       initialises its own state (e.g. {@code parameters().like()} for a buffer) from
 *       {@link #parameters()}, which hold rank 0's values by then;</li>
 *   <li>implements {@link #update(INDArray, Topology, long)}: the whole iteration, called by
 *       {@link #step} with {@code w} = this round's mixing matrix, or null in an iteration that does not
 *       communicate ({@link OptimizerConfig#communicationPeriod()}). It updates {@link #parameters()} in
 *       place and must not modify {@code gradient};</li>
 *   <li>may override {@link #begin(Topology, long)} to start, with {@link #startMix}, communication that
 *       reads only the current parameters, and finish it in {@code update} with {@link #finishMix};</li>
 *   <li>computes with the protected helpers: {@link #localStep(INDArray)} (the configured local updater;
 *       each call advances its state, e.g. the momentum, so call it once per iteration),
 *       {@link #mix(INDArray, Topology)} (x &larr; W x), {@link #average(INDArray)} (global average), and
 *       {@link #collectives()} for any other collective. The helpers time their communication into
 *       {@link #communicationNanos()}; other communication (calls made directly on {@code collectives()},
 *       window operations) counts only when wrapped in {@link #communicate}.</li>
 * </ul>
 * Every communication in {@code update} and {@code begin} is collective: all ranks must make the same
 * calls in the same order in each iteration (the collectives raise
 * {@link io.bluefog.CollectiveMismatchException} when shapes, dtypes or topologies differ). The helpers
 * name every call they make with the iteration and the call's index in it ({@code 'step 7 call 1'},
 * see {@link Collectives#named}), so a rank that skips or adds a helper call fails with a
 * {@code CollectiveMismatchException} on every rank naming both calls, at the first call where the
 * ranks' names differ: later in the same iteration, or at the latest at the next iteration's first
 * call (identical calls cannot be told apart before that: the calls up to there are paired by
 * order), never at the epoch's end. Calls made directly on {@link #collectives()} are not named. Decide what to communicate only
 * from values equal on every rank ({@code w}, {@code round}, {@link #iteration()}, the configuration),
 * never from local data. The iteration and round counters, the schedule, the updater state and the
 * timing are private to this class and advanced by {@link #step}; {@code step}, {@code beginStep} and
 * the helpers are final. Subclasses in this module are the built-in {@link Algorithm}s;
 * {@code optimizers/README.md} shows one written outside it, and {@code io.bluefog.examples.custom}
 * one written on the collectives alone.
 *
 * @see Algorithm for the algorithms and their papers
 */
public abstract class DecentralizedOptimizer {
    private final OptimizerConfig config;
    private final Collectives collectives;
    private final INDArray params;
    private final DynamicTopology schedule;
    private final LocalUpdater.State updaterState;
    private final int blockCount;
    private long iteration;
    private long round;
    /** Index of the helpers' next call in the current iteration, for its name ({@link #nextCall}). */
    private int callInIteration;
    private long communicationNanos;
    private long bytesSent;
    /** {@link #localStep}'s result, reused; created on first use with the gradient's shape. */
    private INDArray work;
    /** The gradient of the {@link #stepConsuming} call in progress, until {@link #localStepConsuming} uses it; else null. */
    private INDArray consumable;
    /** {@link #beginStep()} was called for the coming iteration. */
    private boolean begun;
    private long overlappedRounds;
    /** {@link #setSampleGradientNorms}'s values for the coming step, or null. */
    private double[] sampleGradientNorms;

    /**
     * Collective (broadcast from rank 0 when configured). Subclasses initialise their state from
     * {@link #parameters()} after this constructor returns.
     *
     * @param collectives     this rank's collectives (not closed by the optimizer)
     * @param defaultTopology used when the configuration names no topology
     * @param params          the parameter vector to optimise in place (FLOAT or DOUBLE)
     * @param config          the same on every rank
     * @throws IllegalArgumentException if a topology's size differs from the job size, params are not
     *         FLOAT/DOUBLE, the configuration names no local updater, or its parameter blocks do not cover
     *         the parameters exactly (before any communication)
     */
    protected DecentralizedOptimizer(Collectives collectives, Topology defaultTopology, INDArray params, OptimizerConfig config) {
        this.collectives = Objects.requireNonNull(collectives, "collectives");
        this.params = Objects.requireNonNull(params, "params");
        this.config = Objects.requireNonNull(config, "config");
        DataType dt = params.dataType();
        if (dt != DataType.FLOAT && dt != DataType.DOUBLE) {
            throw new IllegalArgumentException("params must be FLOAT or DOUBLE, got " + dt);
        }
        if (params.length() < 1) {
            throw new IllegalArgumentException("params is empty");
        }
        this.schedule = config.topology() != null ? config.topology()
                : Schedules.staticTopology(Objects.requireNonNull(defaultTopology, "defaultTopology"));
        if (schedule.size() != collectives.size()) {
            throw new IllegalArgumentException("topology has " + schedule.size() + " ranks but the job has " + collectives.size());
        }
        if (config.updater() == null) {
            throw new IllegalArgumentException("the optimizer configuration names no local updater: set OptimizerConfig.Builder.updater "
                    + "(DecentralizedTrainer fills in the model's own DL4J updater)");
        }
        ParameterBlocks blocks = config.blocks() != null ? config.blocks() : ParameterBlocks.single(params.length());
        if (blocks.totalLength() != params.length()) {
            throw new IllegalArgumentException("the configuration's parameter blocks cover " + blocks.totalLength()
                    + " elements, the parameters have " + params.length() + ": " + blocks);
        }
        this.updaterState = config.updater().newState(blocks, dt);
        this.blockCount = blocks.count();
        if (config.broadcastAtStart()) {
            collectives.broadcastInPlace(params, 0);
        }
    }

    /**
     * The arrays of this rank's algorithm state besides the parameters and the local updater's
     * (Exact Diffusion's &psi;, gradient tracking's y and previous gradient, push-sum's [x; w]),
     * modified in place by {@link #restoreState}. Subclasses with state between steps override it;
     * state that lives only inside one step (AWC's overlapped W x) is not part of it. Default: none.
     */
    protected java.util.List<INDArray> algorithmState() {
        return java.util.List.of();
    }

    /** Called at the end of {@link #restoreState}, to re-derive flags from the restored counters. Default: nothing. */
    protected void afterRestore() {
    }

    /**
     * Copies of this rank's whole optimizer state between steps, for a checkpoint: iteration and round
     * counters, then the parameters, the local updater's arrays and {@link #algorithmState()}, in
     * that order. Local to this rank (no communication). Call between steps, not between
     * {@link #beginStep()} and {@link #step}.
     *
     * @throws IllegalStateException between {@code beginStep()} and {@code step}
     */
    public final OptimizerState saveState() {
        if (begun) {
            throw new IllegalStateException("saveState() between beginStep() and step() (iteration " + iteration + ")");
        }
        java.util.List<INDArray> copies = new java.util.ArrayList<>();
        for (INDArray a : stateArrays()) {
            copies.add(a.dup());
        }
        return new OptimizerState(iteration, round, copies);
    }

    /**
     * Writes a state from {@link #saveState()} (of an optimizer of the same algorithm, configuration
     * and model on the same rank) into this one, in place, so that the following steps are those the
     * saved optimizer would have taken, to the last bit. Local to this rank.
     *
     * @throws IllegalArgumentException if the number, lengths or dtypes of the arrays differ (a
     *         different algorithm, updater or model), naming the first that differs
     */
    public final void restoreState(OptimizerState state) {
        Objects.requireNonNull(state, "state");
        java.util.List<INDArray> mine = stateArrays();
        if (mine.size() != state.arrays().size()) {
            throw new IllegalArgumentException("the saved optimizer state has " + state.arrays().size()
                    + " arrays but this optimizer (" + config + ") has " + mine.size()
                    + ": saved by a different algorithm or local updater");
        }
        for (int k = 0; k < mine.size(); k++) {
            INDArray to = mine.get(k);
            INDArray from = state.arrays().get(k);
            if (to.length() != from.length() || to.dataType() != from.dataType()) {
                throw new IllegalArgumentException("saved optimizer state array " + k + " has " + from.length() + " "
                        + from.dataType() + " elements, this optimizer's " + to.length() + " " + to.dataType()
                        + ": saved for a different model or algorithm");
            }
        }
        for (int k = 0; k < mine.size(); k++) {
            INDArray to = mine.get(k);
            to.assign(state.arrays().get(k).reshape(to.shape()));
        }
        iteration = state.iteration();
        round = state.round();
        begun = false;
        afterRestore();
    }

    /**
     * What a checkpoint must match to be resumed by this optimizer: the configuration (algorithm,
     * local updater, periods), the number of ranks and a hash of the mixing topology's first
     * {@code min(period, 64)} matrices (64 when the schedule has no period), e.g.
     * {@code "atc nesterov(lr=0.05, momentum=0.9) J=1 H=1; ranks 4; topology 3f2a..."}. The same on
     * every rank.
     */
    public final String fingerprint() {
        int p = schedule.period();
        int count = p <= 0 ? 64 : Math.min(p, 64);
        long h = schedule.size();
        for (int k = 0; k < count; k++) {
            h = 31 * h + schedule.at(k).hashCode();
        }
        return config + "; ranks " + collectives.size() + "; topology " + Long.toHexString(h);
    }

    private java.util.List<INDArray> stateArrays() {
        java.util.List<INDArray> all = new java.util.ArrayList<>();
        all.add(params);
        all.addAll(updaterState.stateArrays());
        all.addAll(algorithmState());
        return all;
    }

    /**
     * Creates the configured built-in algorithm on this rank of a BlueFog job, communicating through the rank's
     * shared {@link Collectives#of(BlueFog)}; the default topology is {@code bf.mixingTopology()} (the
     * context's topology, weighted as {@link BlueFog#setTopology(Topology, io.bluefog.Weighting)} said). Collective.
     * The caller closes {@code Collectives.of(bf)} when the job is done (see "Communication").
     */
    public static DecentralizedOptimizer create(BlueFog bf, INDArray params, OptimizerConfig config) {
        Objects.requireNonNull(bf, "bf");
        return create(Collectives.of(bf), bf.mixingTopology(), params, config);
    }

    /**
     * As {@link #create(BlueFog, INDArray, OptimizerConfig)} on given collectives (e.g. with a
     * non-default {@link io.bluefog.collectives.CollectivesConfig}) and default topology. Collective.
     * This is {@link OptimizerFactory#builtIn()}.
     *
     * @throws IllegalArgumentException if the configuration names no {@link Algorithm} or no local updater
     */
    public static DecentralizedOptimizer create(Collectives collectives, Topology defaultTopology, INDArray params, OptimizerConfig config) {
        return Algorithms.create(collectives, defaultTopology, params, config);
    }

    /**
     * {@link #step}, but the caller gives {@code gradient} up: the optimizer may overwrite it. An
     * algorithm that reads the gradient once ({@link #localStepConsuming}: ATC, local SGD,
     * Gossip-PGA, async-push-sum, win-put) then runs the local updater in it instead of in a copy,
     * one model-sized copy per step less, with the same arithmetic and so the same bits. For a
     * caller that owns a scratch gradient, like {@code DecentralizedTrainer} with DL4J's gradient
     * view, which the next backpropagation overwrites anyway. Collective.
     *
     * @param gradient g_i(x_i) at the current {@link #parameters()}, same length and dtype; its
     *                 contents are undefined afterwards
     * @throws IllegalArgumentException on a length or dtype mismatch
     */
    public final void stepConsuming(INDArray gradient) {
        consumable = gradient;
        try {
            step(gradient);
        } finally {
            consumable = null;
        }
    }

    /**
     * One iteration. Collective.
     *
     * @param gradient g_i(x_i) at the current {@link #parameters()}, same length and dtype; not modified
     * @throws IllegalArgumentException on a length or dtype mismatch
     */
    public final void step(INDArray gradient) {
        Objects.requireNonNull(gradient, "gradient");
        if (gradient.length() != params.length() || gradient.dataType() != params.dataType()) {
            throw new IllegalArgumentException("gradient has " + gradient.length() + " " + gradient.dataType()
                    + " elements, parameters " + params.length() + " " + params.dataType());
        }
        boolean communicate = communicates();
        Topology w = communicate ? schedule.at(round) : null;
        begun = false;
        update(gradient, w, communicate ? round : -1);
        if (communicate) {
            round++;
        }
        iteration++;
        callInIteration = 0;
        sampleGradientNorms = null;
    }

    /**
     * Starts the coming iteration's communication that does not depend on its gradient, to overlap
     * it with the gradient computation. AWC's combine (x &larr; W x &minus; d) reads only the pre-step
     * x, which makes this overlap possible; ATC's combine needs the local step, so it cannot start early.
     * AWC starts W x here; the other algorithms combine vectors that depend on the gradient and start
     * nothing. Collective in the same way as {@link #step}: the operation started here is the one
     * {@code step} would otherwise run, so ranks may differ in calling it. The parameters must not be
     * modified until {@code step} returns.
     *
     * @throws IllegalStateException if called twice without a {@code step} in between
     */
    public final void beginStep() {
        if (begun) {
            throw new IllegalStateException("beginStep() called twice without step() in between, at iteration " + iteration);
        }
        begun = true;
        if (communicates() && begin(schedule.at(round), round)) {
            overlappedRounds++;
        }
    }

    /**
     * Gives the coming {@link #step} the mean per-sample gradient norm of every parameter block, for a
     * local updater that asks for them ({@link LocalUpdater#sampleGradientsPerStep()}, e.g. CLARS);
     * {@link io.bluefog.optimizers.dl4j.DecentralizedTrainer} calls it. Local: no communication. They are
     * passed to the local updater in the coming step and then forgotten.
     *
     * @param perBlock one finite value &ge; 0 per parameter block, in block order (copied)
     * @throws IllegalArgumentException if the count differs from the number of blocks or a value is negative or not finite
     */
    public final void setSampleGradientNorms(double[] perBlock) {
        Objects.requireNonNull(perBlock, "perBlock");
        if (perBlock.length != blockCount) {
            throw new IllegalArgumentException("got " + perBlock.length + " sample gradient norms, the parameters have " + blockCount + " blocks");
        }
        for (double v : perBlock) {
            if (!(v >= 0) || Double.isInfinite(v)) {
                throw new IllegalArgumentException("sample gradient norms must be finite and >= 0, got " + Arrays.toString(perBlock));
            }
        }
        this.sampleGradientNorms = perBlock.clone();
    }

    /**
     * The algorithm's part of {@link #beginStep()} in an iteration that communicates: start
     * operations that read only the current parameters (with {@link #startMix}); {@link #update}
     * finishes them. Default: nothing.
     *
     * @param w     the mixing matrix of this communication round
     * @param round the 0-based communication round
     * @return whether it started communication
     */
    protected boolean begin(Topology w, long round) {
        return false;
    }

    private boolean communicates() {
        return (iteration + 1) % config.communicationPeriod() == 0;
    }

    /**
     * The algorithm's update for one iteration.
     *
     * @param gradient the gradient at the current parameters (do not modify it)
     * @param w        the mixing matrix of this communication round, or null when this iteration does not
     *                 communicate (the update then uses W = I)
     * @param round    the 0-based communication round, or -1 when {@code w} is null
     */
    protected abstract void update(INDArray gradient, Topology w, long round);

    /**
     * The local step d = updater(g) (e.g. &gamma; g for SGD), advancing the updater state.
     *
     * @param gradient the gradient (or the algorithm's gradient-like vector), the parameters' length
     *                 and dtype; not modified
     * @return d in this optimizer's work array, with {@code gradient}'s shape: valid until the next
     *         {@code localStep} call, which overwrites it ({@code dup()} it to keep it longer). One
     *         reused array instead of a fresh one per step: a fresh native array per training step is
     *         a JavaCPP deallocator for the garbage collector to discover and process every step.
     */
    /**
     * {@link #localStep}, run in place in {@code gradient} when it is the gradient of the
     * {@link #stepConsuming} call in progress (and this is the first such use in the step);
     * otherwise exactly {@link #localStep}. For an update that does not read {@code gradient}
     * afterwards.
     *
     * @return d: {@code gradient} itself, or the work array as {@link #localStep} returns it; valid
     *         until the next step
     */
    protected final INDArray localStepConsuming(INDArray gradient) {
        if (gradient == null || gradient != consumable) {
            return localStep(gradient);
        }
        consumable = null;
        return applyUpdater(gradient);
    }

    protected final INDArray localStep(INDArray gradient) {
        if (work == null || !Arrays.equals(work.shape(), gradient.shape())) {
            work = Nd4j.createUninitialized(gradient.dataType(), gradient.shape(), 'c');
        }
        work.assign(gradient);
        return applyUpdater(work);
    }

    /** Runs the local updater in {@code d} (the gradient in, the step out), advancing its state; @return d */
    private INDArray applyUpdater(INDArray d) {
        updaterState.apply(d, new LocalUpdater.Context(params, iteration, sampleGradientNorms));
        return d;
    }

    /**
     * @return &gamma;_k, the local updater's learning rate ({@link LocalUpdater#learningRate(long)}) at the
     *         current iteration k, for algorithms whose update uses the rate outside the local step
     *         (DecentLaM's correction, QG-DSGDm's momentum)
     */
    protected final double learningRate() {
        return config.updater().learningRate(iteration);
    }

    /** @return the local updater this optimizer steps with */
    protected final LocalUpdater updater() {
        return config.updater();
    }

    /** Neighbor averaging x &larr; W x in place, timed as communication. Collective. */
    protected final void mix(INDArray x, Topology w) {
        countNeighborBytes(x, w);
        long t0 = System.nanoTime();
        nextCall().neighborAllreduceInPlace(x, Mixing.of(w));
        communicationNanos += System.nanoTime() - t0;
    }

    /**
     * Starts neighbor averaging x &larr; W x in place (nonblocking; no result array is allocated);
     * {@link #finishMix} waits for it. {@code x} must not be read or written until then. Collective.
     */
    protected final Handle<INDArray> startMix(INDArray x, Topology w) {
        countNeighborBytes(x, w);
        long t0 = System.nanoTime();
        Handle<INDArray> h = nextCall().neighborAllreduceInPlaceAsync(x, Mixing.of(w));
        communicationNanos += System.nanoTime() - t0;
        return h;
    }

    /**
     * Waits for a {@link #startMix}; only the time spent waiting here counts as communication (the
     * rest was hidden behind the caller's computation).
     */
    protected final void finishMix(Handle<INDArray> mixing) {
        long t0 = System.nanoTime();
        mixing.join();
        communicationNanos += System.nanoTime() - t0;
    }

    /** Global averaging x &larr; (1/n) &Sigma;_j x_j in place, timed as communication. Collective. */
    protected final void average(INDArray x) {
        int n = collectives.size();
        bytesSent += Math.round(2.0 * (n - 1) / n * x.length() * x.dataType().width());
        long t0 = System.nanoTime();
        nextCall().allreduceInPlace(x, ReduceOp.AVG);
        communicationNanos += System.nanoTime() - t0;
    }

    /**
     * Neighbor allgather with w's sources and destinations (its weights are ignored): the
     * concatenation along dimension 0 of the {@code x} of this rank's in-neighbors in {@code w}, in
     * ascending rank order (see {@link Collectives#neighborAllgather(INDArray, Mixing)}); timed as
     * communication and counted in {@link #bytesSent()}. For algorithms that exchange messages of
     * their own (e.g. CHOCO-SGD's packed compressed updates in an INT32 array). Collective.
     *
     * @param x at least one dimension, the same shape and dtype on every rank; not modified
     * @return a new array {@code [indegree * x.shape[0], ...]}
     */
    protected final INDArray neighborAllgather(INDArray x, Topology w) {
        countNeighborBytes(x, w);
        long t0 = System.nanoTime();
        INDArray gathered = nextCall().neighborAllgather(x, Mixing.of(w));
        communicationNanos += System.nanoTime() - t0;
        return gathered;
    }

    /**
     * The collectives named for the helpers' next call: {@code "step <iteration> call <index>"}, the
     * index counting the helper calls of this iteration from 0 (see the class comment).
     */
    private Collectives nextCall() {
        return collectives.named("step " + iteration + " call " + callInIteration++);
    }

    /**
     * Runs {@code communication} (communication the helpers above do not cover, e.g. the window
     * operations of the asynchronous optimizers: puts, accumulates, updates and waits for staleness
     * or for a write's confirmation) on the calling thread, timing its wall-clock time into
     * {@link #communicationNanos()} like the helpers' own communication.
     */
    protected final void communicate(Runnable communication) {
        long t0 = System.nanoTime();
        try {
            communication.run();
        } finally {
            communicationNanos += System.nanoTime() - t0;
        }
    }

    /**
     * Adds {@code bytes} to {@link #bytesSent()}, for communication that does not go through
     * {@link #mix}, {@link #startMix}, {@link #average} or {@link #neighborAllgather}.
     *
     * @param bytes &ge; 0, the payload bytes this rank sent
     * @throws IllegalArgumentException if {@code bytes} is negative
     */
    protected final void countBytesSent(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes = " + bytes + " must be >= 0");
        }
        bytesSent += bytes;
    }

    /** x goes to each out-neighbor of this rank in w once. */
    private void countNeighborBytes(INDArray x, Topology w) {
        bytesSent += (long) w.outNeighbors(collectives.rank()).length * x.length() * x.dataType().width();
    }

    /**
     * Bytes this rank has sent through the protected helpers so far: for {@link #mix},
     * {@link #startMix} and {@link #neighborAllgather} the array's bytes (length times the dtype's
     * width) once per out-neighbor of this rank in the round's matrix, which is what the neighbor
     * operations send; for {@link #average} {@code 2 (n-1)/n} times the array's bytes, what each rank
     * sends in a ring allreduce (the engine's own allreduce algorithm may send a different amount);
     * plus what subclasses count with {@link #countBytesSent} (the asynchronous optimizers: the
     * window tensor's bytes once per out-neighbor per write).
     * Message headers, the start's broadcast and calls made directly on {@link #collectives()} are not
     * counted.
     *
     * @return cumulative bytes sent by this rank's optimizer
     */
    public final long bytesSent() {
        return bytesSent;
    }

    /** @return the parameter vector this optimizer updates (the array passed at creation) */
    public final INDArray parameters() {
        return params;
    }

    public final OptimizerConfig config() {
        return config;
    }

    /** @return iterations taken so far */
    public final long iteration() {
        return iteration;
    }

    /** @return communication rounds taken so far */
    public final long rounds() {
        return round;
    }

    /**
     * @return wall-clock nanoseconds this rank's calling thread spent blocked in the optimizer's
     *         communication (waiting included): the protected helpers and {@link #communicate};
     *         communication started by {@link #beginStep()} counts only for the time {@code step}
     *         still waits for it
     */
    public final long communicationNanos() {
        return communicationNanos;
    }

    /** @return communication rounds whose communication {@link #beginStep()} started early, so far */
    public final long overlappedRounds() {
        return overlappedRounds;
    }

    /** @return this rank's collectives, through which the optimizer communicates (do not close them) */
    protected final Collectives collectives() {
        return collectives;
    }

    /**
     * @return a fresh array with the network's model: the global average (1/n) &Sigma;_j x_j of the
     *         parameters, or, for an algorithm with {@link #averagingWeight()}s (push-sum), the weighted
     *         average &Sigma;_j a_j x_j / &Sigma;_j a_j. Collective.
     */
    public final INDArray averagedParameters() {
        beforeAveraging();
        INDArray avg = params.dup();
        double a = averagingWeight();
        if (Double.isNaN(a)) {
            collectives.allreduceInPlace(avg, ReduceOp.AVG);
            return avg;
        }
        INDArray total = Nd4j.scalar(DataType.DOUBLE, a).reshape(1);
        collectives.allreduceInPlace(avg.muli(a), ReduceOp.SUM);
        return avg.divi(collectives.allreduceInPlace(total, ReduceOp.SUM).getDouble(0));
    }

    /**
     * This rank's weight in {@link #averagedParameters()} and {@link #consensusDistance()}'s mean: NaN
     * (the default) for the plain average (1/n) &Sigma;_j x_j; otherwise a positive weight a_j, the
     * same choice on every rank. Push-sum returns its weight w_j, so that the mean is the de-biased
     * network model &Sigma;_j w_j z_j / &Sigma;_j w_j = &Sigma;_j x_j / &Sigma;_j w_j (Kempe, Dobra and
     * Gehrke, FOCS 2003), which a rank whose weight is momentarily small (its z_j noisier) moves
     * little.
     *
     * @return NaN, or this rank's positive averaging weight
     */
    protected double averagingWeight() {
        return Double.NaN;
    }

    /**
     * Called on every rank at the start of {@link #averagedParameters()} (so collective): brings
     * what is still on its way into the ranks' parameters, where an algorithm has such a thing
     * (asynchronous windows). Default: nothing.
     */
    protected void beforeAveraging() {
    }

    /** @return the consensus distance (1/n) &Sigma;_i ‖x_i &minus; x&#772;‖&sup2; of the parameters (same value on every rank). Collective. */
    public final double consensusDistance() {
        INDArray avg = averagedParameters();
        double local = avg.subi(params).norm2Number().doubleValue();
        INDArray sum = Nd4j.scalar(DataType.DOUBLE, local * local).reshape(1);
        return collectives.allreduceInPlace(sum, ReduceOp.SUM).getDouble(0) / collectives.size();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + config + ", iteration " + iteration + "]";
    }
}
