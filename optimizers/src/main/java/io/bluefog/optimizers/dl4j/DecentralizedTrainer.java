package io.bluefog.optimizers.dl4j;

import io.bluefog.BlueFog;
import io.bluefog.collectives.Collectives;
import io.bluefog.collectives.CollectivesStatistics;
import io.bluefog.comm.ReduceOp;
import io.bluefog.optimizers.DecentralizedOptimizer;
import io.bluefog.optimizers.OptimizerConfig;
import io.bluefog.optimizers.OptimizerFactory;
import io.bluefog.optimizers.updaters.LocalUpdater;
import io.bluefog.optimizers.updaters.ParameterBlocks;
import io.bluefog.topology.Topology;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Trains a Deeplearning4j {@link MultiLayerNetwork} or single-input, single-output
 * {@link ComputationGraph} on every rank with a {@link DecentralizedOptimizer}: DL4J computes the
 * mini-batch gradient ({@code computeGradientAndScore}, flattened gradient view), the decentralized
 * step updates the network's flattened {@code params()} view in place.
 *
 * <h2>Optimizer and local updater</h2>
 * The optimizer is a built-in {@link io.bluefog.optimizers.Algorithm} named by the configuration
 * ({@link OptimizerConfig#builder(io.bluefog.optimizers.Algorithm)}), or any
 * {@link DecentralizedOptimizer}, a user's subclass included, made by an {@link OptimizerFactory}
 * (the configuration then may name no algorithm: {@link OptimizerConfig#builder()}). The local
 * updater is the configuration's when it names one ({@link OptimizerConfig#updater()}); otherwise the
 * model's own DL4J updater ({@code Sgd}, {@code Nesterovs} or {@code Adam}, see
 * {@link LocalUpdater#of}), which must be the same for every parameter of every layer. DL4J's own
 * update step ({@code fit}) is never run: the local updater replaces it. DL4J applies gradient
 * normalization and regularization (l1, l2, weight decay) in that step, so a model that uses them is
 * rejected rather than trained without them. Unless the configuration names
 * {@link OptimizerConfig#blocks()}, the local updater sees one parameter block per layer of the model
 * (layer-wise updaters such as LARS compute one rate per layer). A local updater that asks for
 * per-sample gradients ({@link LocalUpdater#sampleGradientsPerStep()}, CLARS) gets, every step, the mean
 * per-sample gradient norm of every block over the first |J| examples of the batch, each computed by a
 * backpropagation of that example alone (|J| extra backpropagations of one example per step).
 *
 * <h2>Lifecycle</h2>
 * Construct on every rank (collective: rank 0's initial parameters are broadcast when the
 * configuration says so), then {@link #fitEpoch} / {@link #evaluate} on every rank with iterators
 * that yield the same number of batches everywhere (each {@code fitEpoch} call is collective; with
 * {@link #shareEpochSteps} the ranks' step counts per epoch differ).
 * One thread per rank. The trainer communicates only through the rank's {@link Collectives}
 * (optimizer steps and the job-wide metrics); it does not close them: the job closes
 * {@code Collectives.of(bf)} when training is done.
 */
public final class DecentralizedTrainer {
    private final Model model;
    private final Collectives collectives;
    private final DecentralizedOptimizer optimizer;
    private final List<TrainingListener> listeners = new ArrayList<>();
    private int epoch;
    /** Steps taken so far (all epochs), for error messages. */
    private long steps;
    private Model evalCopy;
    private boolean alignGarbageCollections = true;
    /** {@link #shareEpochSteps}: the job's step counter and every rank's batches per epoch, or null / 0. */
    private io.bluefog.optimizers.async.JobStepCounter jobSteps;
    private long batchesPerRank;
    /**
     * The step profile: with the system property {@code bluefog.stepProfile=true} (e.g.
     * {@code BLUEFOG_JAVA_OPTS=-Dbluefog.stepProfile=true}) every rank prints one line to standard
     * error at the end of every epoch: its own steps in the epoch, the epoch's wall-clock time and,
     * per step, the milliseconds spent fetching the batch, in the gradient and the optimizer's update
     * (and of that in the optimizer's {@linkplain DecentralizedOptimizer#communicationNanos()
     * communication}), in the job step counter ({@link #shareEpochSteps}) and in the listeners (a
     * simulated straggler's delay is a listener), and for asynchronous push-sum the rank's push-sum
     * weight. Steps per rank and time per step are what tell a straggler's cost apart in synchronous
     * and asynchronous runs; the times are wall-clock and include waiting for a core.
     */
    private static final boolean STEP_PROFILE = Boolean.getBoolean("bluefog.stepProfile");
    /** This epoch's nanoseconds in: fetching batches, {@link #step}, the job step counter, the listeners. */
    private final long[] profileNanos = new long[4];
    /** At the start of this epoch's steps (step profile only): this thread's and the process's CPU nanoseconds. */
    private long threadCpuStart;
    private long processCpuStart;
    /** The local updater's parameter blocks (the model's layers unless the configuration names others). */
    private final ParameterBlocks blocks;
    /** |J|: per-sample gradients per step the local updater asks for (CLARS), 0 for none. */
    private final int sampleSubset;
    /** Mid-epoch checkpoints ({@link #checkpointEverySteps}): directory, period in steps (0: none), the caller's state. */
    private java.nio.file.Path stepCheckpointDir;
    private long checkpointSteps;
    private java.util.function.Supplier<byte[]> checkpointExtra;
    /** The epoch {@link #fitEpoch} must continue after a resume from a mid-epoch checkpoint; null otherwise. */
    private Checkpoints.EpochProgress resumedProgress;

    /**
     * A trainer with the built-in algorithm the configuration names. Collective.
     *
     * @param bf     this rank's context (communication: {@code Collectives.of(bf)}; default topology:
     *               {@code bf.mixingTopology()}, the context's topology weighted as it was set)
     * @param model  an initialised MultiLayerNetwork or ComputationGraph, the same architecture on every rank
     * @param config the optimizer configuration, the same on every rank; names an {@link io.bluefog.optimizers.Algorithm}
     * @throws IllegalArgumentException see {@link #DecentralizedTrainer(Collectives, Topology, Model, OptimizerConfig, OptimizerFactory)};
     *         also if the configuration names no algorithm
     */
    public DecentralizedTrainer(BlueFog bf, Model model, OptimizerConfig config) {
        this(bf, model, config, OptimizerFactory.builtIn());
    }

    /**
     * A trainer with the optimizer {@code factory} makes, e.g. a user's subclass of
     * {@link DecentralizedOptimizer} ({@code MyAlgorithm::new}); the default topology is
     * {@code bf.mixingTopology()}. Collective.
     */
    public DecentralizedTrainer(BlueFog bf, Model model, OptimizerConfig config, OptimizerFactory factory) {
        this(Collectives.of(Objects.requireNonNull(bf, "bf")), bf.mixingTopology(), model, config, factory);
    }

    /** As {@link #DecentralizedTrainer(BlueFog, Model, OptimizerConfig)} on given collectives. Collective. */
    public DecentralizedTrainer(Collectives collectives, Topology defaultTopology, Model model, OptimizerConfig config) {
        this(collectives, defaultTopology, model, config, OptimizerFactory.builtIn());
    }

    /**
     * The general form. Validates the model and resolves the local updater before any communication, then calls {@code factory}
     * (collective: the optimizer broadcasts rank 0's parameters when the configuration says so) with
     * the model's {@code params()} view and the configuration, whose local updater is the model's own
     * when it names none.
     *
     * @param collectives     this rank's collectives (not closed by the trainer)
     * @param defaultTopology used when the configuration names no topology
     * @param model           an initialised MultiLayerNetwork or single-input, single-output ComputationGraph,
     *                        the same architecture on every rank
     * @param config          the same on every rank
     * @param factory         makes the optimizer on every rank ({@link OptimizerFactory#builtIn()} for the built-in algorithms)
     * @throws IllegalArgumentException if the model is of another kind or not initialised, or uses regularization
     *         or gradient normalization (the message names the layers); if the configuration
     *         names no local updater and the model's layers use different DL4J updaters (the message names each
     *         updater with its layers), none, or one without a {@link LocalUpdater} counterpart (all before any
     *         communication); if the built-in factory gets a configuration without an algorithm (before its
     *         broadcast); if the factory's optimizer does not update the model's {@code params()} view (after it)
     */
    public DecentralizedTrainer(Collectives collectives, Topology defaultTopology, Model model, OptimizerConfig config,
                                OptimizerFactory factory) {
        this.model = Objects.requireNonNull(model, "model");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(factory, "factory");
        if (!(model instanceof MultiLayerNetwork) && !(model instanceof ComputationGraph)) {
            throw new IllegalArgumentException("model must be a MultiLayerNetwork or ComputationGraph, got " + model.getClass().getName());
        }
        if (model instanceof ComputationGraph cg && (cg.getNumInputArrays() != 1 || cg.getNumOutputArrays() != 1)) {
            throw new IllegalArgumentException("ComputationGraph must have one input and one output, has "
                    + cg.getNumInputArrays() + " and " + cg.getNumOutputArrays());
        }
        if (model.params() == null) {
            throw new IllegalArgumentException("model is not initialised: call init() first");
        }
        this.collectives = Objects.requireNonNull(collectives, "collectives");
        ModelUpdater.requireNoUpdateStepSettings(model);
        OptimizerConfig.Builder completed = config.toBuilder();
        if (config.updater() == null) {
            completed.updater(ModelUpdater.of(model));
        }
        if (config.blocks() == null) {
            completed.blocks(ModelUpdater.layerBlocks(model));
        }
        OptimizerConfig resolved = completed.build();
        this.blocks = resolved.blocks();
        this.sampleSubset = resolved.updater().sampleGradientsPerStep();
        INDArray params = model.params();
        this.optimizer = Objects.requireNonNull(factory.create(collectives, defaultTopology, params, resolved), "the factory returned null");
        if (optimizer.parameters() != params) {
            throw new IllegalArgumentException("the factory's optimizer must update the params array it was given (the model's params() view), "
                    + "it updates another array of " + optimizer.parameters().length() + " elements");
        }
    }

    /** Complete checkpoints {@link #saveCheckpoint} keeps in its directory (older ones are deleted). */
    public static final int CHECKPOINTS_KEPT = 2;

    /**
     * Saves a checkpoint of every rank into {@code dir} (see {@link Checkpoints} for the layout and
     * the atomic writes): this rank's parameters, local updater state (momentum, Adam's moments),
     * algorithm state (Exact Diffusion's &psi;, gradient tracking's y, push-sum's weight), its step
     * and epoch counters and the caller's {@code extra} bytes (e.g. the data iterator's position and
     * RNG state). Rank 0 writes the MANIFEST once every rank's file is on disk, then deletes all but
     * the {@value #CHECKPOINTS_KEPT} newest complete checkpoints. Collective; call between steps.
     *
     * @param dir   a directory every rank can write (shared by the ranks, or one per host)
     * @param extra the caller's state, returned by {@link #resume}; not null
     * @return the step the checkpoint was taken after
     * @throws Checkpoints.CheckpointException if this rank cannot write its file (naming it)
     */
    public long saveCheckpoint(java.nio.file.Path dir, byte[] extra) {
        return saveCheckpoint(dir, extra, null);
    }

    /** As {@link #saveCheckpoint(java.nio.file.Path, byte[])}, inside an epoch when {@code progress} is not null. */
    private long saveCheckpoint(java.nio.file.Path dir, byte[] extra, Checkpoints.EpochProgress progress) {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(extra, "extra");
        int rank = collectives.rank();
        int size = collectives.size();
        String fingerprint = optimizer.fingerprint();
        java.nio.file.Path stepDir = Checkpoints.stepDir(dir, steps);
        try {
            Checkpoints.writeRank(stepDir, rank, size, fingerprint, steps, epoch, progress, optimizer.saveState(), extra);
        } catch (java.io.IOException e) {
            throw new Checkpoints.CheckpointException("rank " + rank + ": cannot write its checkpoint in " + stepDir + ": " + e, e);
        }
        collectives.named("checkpoint " + steps).barrier();
        if (rank == 0) {
            try {
                Checkpoints.writeManifest(stepDir, size, fingerprint, steps, epoch);
                Checkpoints.prune(dir, CHECKPOINTS_KEPT);
            } catch (java.io.IOException e) {
                throw new Checkpoints.CheckpointException("rank 0: cannot complete the checkpoint " + stepDir + ": " + e, e);
            }
        }
        collectives.named("checkpoint " + steps + " complete").barrier();
        return steps;
    }

    /**
     * Continues from the newest complete checkpoint in {@code dir}, if there is one: restores this
     * rank's optimizer state (parameters included, in the model's {@code params()} view), the step
     * and epoch counters, and returns the caller's extra bytes. The steps that follow are those the
     * job that wrote the checkpoint would have taken, to the last bit, given the same data. Collective
     * (the ranks check that they found the same checkpoint).
     *
     * <p>A checkpoint taken inside an epoch ({@link #checkpointEverySteps}) leaves that epoch in
     * progress ({@link #epochsCompleted()} is one less than {@link #epoch()}): the next
     * {@link #fitEpoch} continues it without resetting the training iterator, whose position the
     * caller restores from the extra bytes, and reports the whole epoch's loss, samples and bytes.
     *
     * @return the extra bytes saved with the checkpoint, or empty when {@code dir} holds none
     * @throws Checkpoints.CheckpointException if the ranks see different newest checkpoints, or the
     *         checkpoint was written by a job with another number of ranks, algorithm, updater,
     *         topology or model, or a file is missing or corrupt (each naming the file and the reason)
     */
    public java.util.Optional<byte[]> resume(java.nio.file.Path dir) {
        Objects.requireNonNull(dir, "dir");
        int rank = collectives.rank();
        long found;
        try {
            found = Checkpoints.newestComplete(dir).orElse(-1);
        } catch (java.io.IOException e) {
            throw new Checkpoints.CheckpointException("rank " + rank + ": cannot list " + dir + ": " + e, e);
        }
        double low = collectives.named("resume: newest checkpoint (min)")
                .allreduceInPlace(Nd4j.createFromArray((double) found), ReduceOp.MIN).getDouble(0);
        double high = collectives.named("resume: newest checkpoint (max)")
                .allreduceInPlace(Nd4j.createFromArray((double) found), ReduceOp.MAX).getDouble(0);
        if (low != high) {
            throw new Checkpoints.CheckpointException("ranks found different newest complete checkpoints in " + dir
                    + " (steps " + (long) low + " to " + (long) high + "; -1: none): resume needs the same checkpoint on every rank");
        }
        if (found < 0) {
            return java.util.Optional.empty();
        }
        Checkpoints.Saved saved;
        try {
            saved = Checkpoints.read(dir, found, rank, collectives.size(), optimizer.fingerprint());
        } catch (java.nio.file.NoSuchFileException e) {
            throw new Checkpoints.CheckpointException("rank " + rank + ": checkpoint file missing: " + e.getFile(), e);
        } catch (java.io.IOException | RuntimeException e) {
            if (e instanceof Checkpoints.CheckpointException c) {
                throw c;
            }
            throw new Checkpoints.CheckpointException("rank " + rank + ": cannot read the checkpoint of step " + found
                    + " in " + dir + ": " + e, e);
        }
        try {
            optimizer.restoreState(saved.state());
        } catch (IllegalArgumentException e) {
            throw new Checkpoints.CheckpointException(Checkpoints.stepDir(dir, found) + ": " + e.getMessage(), e);
        }
        steps = saved.step();
        epoch = saved.epoch();
        resumedProgress = saved.progress();
        return java.util.Optional.of(saved.extra());
    }

    /**
     * Makes {@link #fitEpoch} save a checkpoint into {@code dir} after every {@code everySteps}-th step
     * of the job (the step counter, {@link #steps()}, counts over all epochs), except after an epoch's
     * last step, where the caller saves its end-of-epoch checkpoint ({@link #saveCheckpoint}) after
     * the epoch's metrics. Such a mid-epoch checkpoint also holds the epoch's progress, so that
     * {@link #resume} continues inside the epoch. Its time counts as training time of the epoch.
     * Call on every rank with the same arguments.
     *
     * @param dir        as for {@link #saveCheckpoint}
     * @param everySteps &ge; 1
     * @param extra      the caller's state at the moment of the checkpoint, e.g. the training iterator's
     *                   position after the step ({@code ShardIterator::position}); called on this rank's thread
     * @throws IllegalArgumentException if {@code everySteps < 1}
     */
    public DecentralizedTrainer checkpointEverySteps(java.nio.file.Path dir, long everySteps,
            java.util.function.Supplier<byte[]> extra) {
        if (everySteps < 1) {
            throw new IllegalArgumentException("checkpoint period must be >= 1 step, got " + everySteps);
        }
        this.stepCheckpointDir = Objects.requireNonNull(dir, "dir");
        this.checkpointExtra = Objects.requireNonNull(extra, "extra");
        this.checkpointSteps = everySteps;
        return this;
    }

    /** @return epochs completed: {@link #epoch()}, less one while a resumed epoch is still in progress */
    public int epochsCompleted() {
        return resumedProgress != null ? epoch - 1 : epoch;
    }

    /** @return the steps this trainer has taken (restored by {@link #resume}) */
    public long steps() {
        return steps;
    }

    public DecentralizedTrainer addListener(TrainingListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        return this;
    }

    /**
     * Whether {@link #fitEpoch} starts each epoch by emptying this JVM's young generation (default
     * true), so that ranks doing the same steps collect garbage at the same steps instead of
     * stalling each other (see {@code YoungCollection}). Its time is counted as training time.
     * Costs a memset of the free young generation and one young pause per epoch. Ranks that share
     * one JVM (LocalCluster) share one heap and pause together anyway; there it only costs that.
     */
    public DecentralizedTrainer alignGarbageCollections(boolean align) {
        this.alignGarbageCollections = align;
        return this;
    }

    /**
     * Job-wide epochs for an asynchronous optimizer: from now on an epoch ends when the ranks
     * together have taken {@code ranks x batchesPerRank} steps since the start of training's first
     * epoch (counted by {@code counter}), instead of when every rank has taken {@code batchesPerRank}.
     * A fast rank then takes more steps than a slow one (its iterator is reset and continues when it
     * runs out), nobody waits for a straggler's share, and an epoch still processes the same number
     * of samples as a synchronous one (overshooting by the steps taken while the last step counts
     * travel). Asynchronous push-sum also gets the counter for its
     * {@linkplain io.bluefog.optimizers.async.AsyncPushSum#balanceRates rate-balanced shares}, without which
     * a fast rank's extra steps would carry little push-sum weight. The caller keeps and closes
     * {@code counter}. Local; call on every rank or none.
     *
     * @param batchesPerRank &ge; 1, the batches one rank's iterator yields per epoch
     * @throws IllegalArgumentException if the optimizer is not asynchronous ({@code WindowOptimizer}),
     *         or has a staleness bound (a fast rank waiting for a straggler that has already ended the
     *         epoch would wait forever), or {@code batchesPerRank} &lt; 1
     */
    public DecentralizedTrainer shareEpochSteps(io.bluefog.optimizers.async.JobStepCounter counter, long batchesPerRank) {
        if (!(optimizer instanceof io.bluefog.optimizers.async.WindowOptimizer w)) {
            throw new IllegalArgumentException("job-wide epochs need an asynchronous optimizer (async-push-sum, win-put);"
                    + " " + optimizer.getClass().getSimpleName() + " communicates in lockstep");
        }
        if (w.maxStaleness() != 0) {
            throw new IllegalArgumentException("job-wide epochs need an unbounded staleness (max staleness 0), got "
                    + w.maxStaleness() + ": a rank waiting for a straggler that has ended the epoch would wait forever");
        }
        if (optimizer instanceof io.bluefog.optimizers.async.AsyncPushSum ps) {
            ps.balanceRates(counter); // a fast rank's steps keep their weight (see AsyncPushSum)
        }
        if (batchesPerRank < 1) {
            throw new IllegalArgumentException("batchesPerRank must be >= 1, got " + batchesPerRank);
        }
        this.jobSteps = java.util.Objects.requireNonNull(counter, "counter");
        this.batchesPerRank = batchesPerRank;
        return this;
    }

    /** @return the optimizer (for its counters and collective metrics) */
    public DecentralizedOptimizer optimizer() {
        return optimizer;
    }

    public Model model() {
        return model;
    }

    /**
     * One decentralized step on a mini-batch. Collective.
     *
     * @return this rank's mini-batch loss at the parameters before the step
     * @throws TrainingDivergedException if the loss is NaN or infinite, naming the rank and the step
     *         (1 for the trainer's first); raised before the step's update, so the rank's parameters
     *         and its neighbors are left as they were (the job ends: the other ranks fail in their
     *         next collective, or the MPI job aborts)
     */
    public double step(DataSet batch) {
        steps++;
        // AWC's combine reads only the current parameters: start it before DL4J computes the gradient.
        optimizer.beginStep();
        if (sampleSubset > 0) {
            optimizer.setSampleGradientNorms(sampleGradientNorms(batch));
        }
        INDArray gradient = gradient(batch);
        double loss = model.score();
        if (!Double.isFinite(loss)) {
            throw new TrainingDivergedException(collectives.rank(), steps, "rank " + collectives.rank()
                    + ": the training loss is " + loss + " at step " + steps + " (epoch " + Math.max(1, epoch)
                    + "): training diverged (learning rate too large?); stopped before the step's update");
        }
        optimizer.stepConsuming(gradient); // the view is ours until the next backpropagation
        return loss;
    }

    /**
     * The mean mini-batch gradient at the current parameters: DL4J's flattened gradient view,
     * divided in place. DL4J's backpropagation returns the gradient summed over the examples (its
     * updater divides by the mini-batch size, see {@code BaseMultiLayerUpdater}); we divide here so
     * that a one-rank run steps exactly as DL4J's {@code fit} with the same updater. In place because
     * the trainer owns that view between DL4J's backpropagation and the next one, which overwrites
     * it (so the optimizer may also run its local updater in it, {@code stepConsuming}); a fresh
     * array per step would be a native allocation (and a JavaCPP deallocator the garbage collector
     * must process) on every step.
     */
    private INDArray gradient(DataSet batch) {
        return summedGradient(batch.getFeatures(), batch.getLabels()).divi(batch.numExamples());
    }

    /** DL4J's backpropagation on these examples: the flattened gradient view, summed over them. */
    private INDArray summedGradient(INDArray features, INDArray labels) {
        if (model instanceof MultiLayerNetwork net) {
            net.setInput(features);
            net.setLabels(labels);
            net.computeGradientAndScore();
            return net.getFlattenedGradients();
        }
        ComputationGraph cg = (ComputationGraph) model;
        cg.setInputs(features);
        cg.setLabels(labels);
        cg.computeGradientAndScore();
        return cg.getFlattenedGradients();
    }

    /**
     * For a local updater that asks for |J| per-sample gradients (CLARS): per parameter block, the mean
     * over the first min(|J|, B) examples j of the mini-batch of ‖&nabla;_b f_j(x)‖&#8322;, each gradient computed by
     * DL4J on that example alone (one backpropagation per example). The batches come shuffled, so the
     * first examples are a random subset J of the batch.
     */
    private double[] sampleGradientNorms(DataSet batch) {
        int m = Math.min(sampleSubset, batch.numExamples());
        double[] sums = new double[blocks.count()];
        for (int j = 0; j < m; j++) {
            INDArray features = batch.getFeatures().get(NDArrayIndex.interval(j, j + 1));
            INDArray labels = batch.getLabels().get(NDArrayIndex.interval(j, j + 1));
            INDArray g = summedGradient(features, labels);
            INDArray flat = g.reshape(g.length());
            for (int b = 0; b < sums.length; b++) {
                long from = blocks.offset(b);
                sums[b] += flat.get(NDArrayIndex.interval(from, from + blocks.length(b))).norm2Number().doubleValue();
            }
        }
        for (int b = 0; b < sums.length; b++) {
            sums[b] /= m;
        }
        return sums;
    }

    /**
     * Trains one epoch over {@code train} and evaluates on {@code test} (may be null). Collective:
     * every rank's iterator must yield the same number of batches.
     *
     * @return the job-wide metrics, also passed to the listeners
     */
    public EpochMetrics fitEpoch(DataSetIterator train, DataSetIterator test) {
        // After a resume from a mid-epoch checkpoint: continue that epoch where the caller's restored
        // iterator stands, with the loss, samples and bytes of its iterations already done.
        Checkpoints.EpochProgress resumed = resumedProgress;
        resumedProgress = null;
        if (resumed == null) {
            epoch++;
            train.reset();
        }
        // Wait until every rank is ready: rank 0 does work of its own between epochs (printing,
        // writing the metrics files and the plot) while the others already enter this epoch. Without
        // this barrier their wait for rank 0 would be timed inside this epoch's first exchange and
        // billed as communication of this epoch; with it the wait is outside the epoch's time, like
        // the evaluation that precedes it.
        // Named with the epoch (as the metrics below): a rank that took fewer or more steps than its
        // peers meets them at a differently named call and fails naming both, instead of pairing
        // its epoch-end calls with their steps.
        collectives.named("epoch " + epoch + " start").barrier();
        // Then every rank empties its young generation, so that the ranks' young collections in
        // this epoch come at the same steps (see YoungCollection). After the barrier, not before:
        // a rank waiting in a collective allocates too, so emptying before a long wait would not
        // leave the ranks in the same phase. Its time counts as training time (t0 is taken before).
        long t0 = System.nanoTime();
        if (alignGarbageCollections) {
            YoungCollection.collect();
        }
        long commBefore = optimizer.communicationNanos();
        long overlappedBefore = optimizer.overlappedRounds();
        long bytesBefore = optimizer.bytesSent() - (resumed == null ? 0 : resumed.bytesSent());
        CollectivesStatistics statsBefore = collectives.statistics();
        double lossSum = resumed == null ? 0 : resumed.lossSum();
        long samples = resumed == null ? 0 : resumed.samples();
        int it = resumed == null ? 0 : resumed.iterations();
        long jobTarget = jobSteps == null ? 0 : (long) epoch * collectives.size() * batchesPerRank;
        if (STEP_PROFILE) {
            threadCpuStart = threadCpuNanos();
            processCpuStart = processCpuNanos();
        }
        while (jobSteps == null ? train.hasNext() : jobSteps.jobSteps() < jobTarget) {
            if (!train.hasNext()) {
                train.reset(); // job-wide epochs: a fast rank goes on with its next pass
            }
            long tData = System.nanoTime();
            org.nd4j.linalg.dataset.DataSet batch = train.next();
            long tStep = System.nanoTime();
            double loss = step(batch);
            long tCounter = System.nanoTime();
            if (jobSteps != null) {
                jobSteps.stepped();
            }
            long tListeners = System.nanoTime();
            lossSum += loss;
            samples += batch.numExamples();
            for (TrainingListener l : listeners) {
                l.iterationDone(epoch, it, -1, loss);
            }
            long tEnd = System.nanoTime();
            profileNanos[0] += tStep - tData;
            profileNanos[1] += tCounter - tStep;
            profileNanos[2] += tListeners - tCounter;
            profileNanos[3] += tEnd - tListeners;
            it++;
            // every rank's iterator yields the same number of batches: the ranks agree on hasNext()
            if (checkpointSteps > 0 && steps % checkpointSteps == 0 && train.hasNext()) {
                saveCheckpoint(stepCheckpointDir, checkpointExtra.get(),
                        new Checkpoints.EpochProgress(it, lossSum, samples, optimizer.bytesSent() - bytesBefore));
            }
        }
        if (jobSteps != null) {
            jobSteps.awaitPending(); // every rank's count is exact once the ranks meet below
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double comm = (optimizer.communicationNanos() - commBefore) / 1e9;
        if (STEP_PROFILE) {
            printStepProfile(it, seconds, comm, threadCpuNanos() - threadCpuStart, processCpuNanos() - processCpuStart);
        }
        java.util.Arrays.fill(profileNanos, 0);
        CollectivesStatistics statsAfter = collectives.statistics();
        double exchange = (statsAfter.executeNanos() - statsBefore.executeNanos()) / 1e9;
        double wait = (statsAfter.negotiateNanos() - statsBefore.negotiateNanos()) / 1e9;
        int n = collectives.size();
        // Job-wide metrics from here on (collectives, after the epoch's statistics were taken): one
        // sum over ranks for all of them.
        double[] sums = sums(it == 0 ? 0 : lossSum / it, samples, seconds > 0 ? comm / seconds : 0,
                seconds > 0 ? exchange / seconds : 0, seconds > 0 ? wait / seconds : 0,
                optimizer.overlappedRounds() > overlappedBefore ? 1 : 0,
                it == 0 ? 0 : (double) (optimizer.bytesSent() - bytesBefore) / it);
        double meanLoss = sums[0] / n;
        double totalSamples = sums[1];
        double commShare = sums[2] / n;
        double exchangeShare = sums[3] / n;
        double waitShare = sums[4] / n;
        boolean overlapped = sums[5] > 0;
        double bytesPerStep = sums[6] / n;
        double maxSeconds = maxOverRanks(seconds);
        double consensus = optimizer.consensusDistance();
        double averagedAcc = Double.NaN;
        double localAcc = Double.NaN;
        double meanLocalAcc = Double.NaN;
        if (test != null) {
            double own = evaluate(test).accuracy();
            double[] acc = sums(own, collectives.rank() == 0 ? own : 0);
            meanLocalAcc = acc[0] / n;
            localAcc = acc[1];
            averagedAcc = evaluateAveraged(test).accuracy();
        }
        EpochMetrics m = new EpochMetrics(epoch, meanLoss, averagedAcc, localAcc, meanLocalAcc, consensus,
                totalSamples / maxSeconds, commShare, exchangeShare, waitShare, overlapped, maxSeconds, it, bytesPerStep);
        for (TrainingListener l : listeners) {
            l.epochDone(m);
        }
        return m;
    }

    /**
     * One line of the step profile (see {@link #STEP_PROFILE}), written with one call so that ranks'
     * lines do not mix. The CPU times per step are the training thread's and the whole process's
     * (every thread: the window service, the JIT compiler and the garbage collector included) over
     * the epoch's steps; unlike the wall-clock parts they do not grow when other programs take the
     * cores, so they show what a step costs the machine. -1 where the JVM does not measure them.
     */
    private void printStepProfile(int stepsThisEpoch, double seconds, double communicationSeconds, long threadCpu,
            long processCpu) {
        double per = Math.max(1, stepsThisEpoch) * 1e6; // nanoseconds -> milliseconds per step
        String weight = optimizer instanceof io.bluefog.optimizers.async.AsyncPushSum ps
                ? String.format(java.util.Locale.ROOT, "; push-sum weight %.4f", ps.pushSumWeight()) : "";
        String line = String.format(java.util.Locale.ROOT, "[bluefog] step profile: epoch %d rank %d: %d steps in %.3f s;"
                + " ms per step: data %.3f, gradient and update %.3f (communication %.3f), job step counter %.3f,"
                + " listeners %.3f; cpu ms per step: thread %.3f, process %.3f%s%n", epoch, collectives.rank(), stepsThisEpoch,
                seconds, profileNanos[0] / per, profileNanos[1] / per, communicationSeconds * 1e9 / per,
                profileNanos[2] / per, profileNanos[3] / per, threadCpuStart < 0 ? -1 : threadCpu / per,
                processCpuStart < 0 ? -1 : processCpu / per, weight);
        System.err.print(line);
        System.err.flush();
    }

    /** @return the calling thread's CPU time in nanoseconds, or -1 where the JVM does not measure it */
    private static long threadCpuNanos() {
        java.lang.management.ThreadMXBean t = java.lang.management.ManagementFactory.getThreadMXBean();
        return t.isCurrentThreadCpuTimeSupported() ? t.getCurrentThreadCpuTime() : -1;
    }

    /** @return the process's CPU time (all threads) in nanoseconds, or -1 where the JVM does not measure it */
    private static long processCpuNanos() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : -1;
    }

    /** @return accuracy etc. of this rank's own model on {@code test} (local, not collective) */
    public Evaluation evaluate(DataSetIterator test) {
        test.reset();
        Evaluation e = model instanceof MultiLayerNetwork net ? net.evaluate(test) : ((ComputationGraph) model).evaluate(test);
        test.reset();
        return e;
    }

    /** @return the evaluation of the averaged model x&#772; (every rank evaluates the same model). Collective. */
    public Evaluation evaluateAveraged(DataSetIterator test) {
        INDArray avg = optimizer.averagedParameters();
        if (evalCopy == null) {
            evalCopy = model instanceof MultiLayerNetwork net ? net.clone() : ((ComputationGraph) model).clone();
        }
        evalCopy.setParams(avg);
        test.reset();
        Evaluation e = evalCopy instanceof MultiLayerNetwork net ? net.evaluate(test) : ((ComputationGraph) evalCopy).evaluate(test);
        test.reset();
        return e;
    }

    /** @return (1/n) &Sigma;_i ‖x_i &minus; x&#772;‖&sup2;. Collective. */
    public double consensusDistance() {
        return optimizer.consensusDistance();
    }

    /** @return epochs trained so far */
    public int epoch() {
        return epoch;
    }

    /** Maximum of a scalar over all ranks, on every rank. Collective. */
    private double maxOverRanks(double value) {
        return collectives.named("epoch " + epoch + " metrics").allreduceInPlace(Nd4j.createFromArray(value), ReduceOp.MAX)
                .getDouble(0);
    }

    /** Element-wise sums of several scalars over all ranks, on every rank, in one allreduce. Collective. */
    private double[] sums(double... values) {
        return collectives.named("epoch " + epoch + " metrics").allreduceInPlace(Nd4j.createFromArray(values), ReduceOp.SUM)
                .toDoubleVector();
    }
}
