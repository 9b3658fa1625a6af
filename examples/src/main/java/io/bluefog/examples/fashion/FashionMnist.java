package io.bluefog.examples.fashion;

import io.bluefog.BlueFog;
import io.bluefog.collectives.Collectives;
import io.bluefog.examples.cli.TransportOptions;
import io.bluefog.examples.data.FashionMnistData;
import io.bluefog.examples.data.Partition;
import io.bluefog.examples.data.Shard;
import io.bluefog.examples.data.ShardIterator;
import io.bluefog.optimizers.Algorithm;
import io.bluefog.optimizers.OptimizerConfig;
import io.bluefog.optimizers.OptimizerFactory;
import io.bluefog.optimizers.algorithms.ChocoSgd;
import io.bluefog.optimizers.algorithms.DiLoCo;
import io.bluefog.optimizers.compression.Compressor;
import io.bluefog.optimizers.async.AsyncPushSum;
import io.bluefog.optimizers.async.WinPut;
import io.bluefog.optimizers.async.WindowOptimizer;
import io.bluefog.optimizers.dl4j.DecentralizedTrainer;
import io.bluefog.optimizers.dl4j.EpochMetrics;
import io.bluefog.optimizers.dl4j.TrainingListener;
import io.bluefog.optimizers.updaters.LayerwiseAdaptiveRate;
import io.bluefog.optimizers.updaters.LearningRateSchedule;
import io.bluefog.optimizers.updaters.LocalUpdater;
import io.bluefog.topology.Stochasticity;
import io.bluefog.topology.catalog.ParsingConverter;
import io.bluefog.topology.catalog.TopologyCatalog;
import io.bluefog.topology.catalog.TopologyName;
import io.bluefog.topology.dynamic.DynamicTopology;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The main job: trains an MLP or a LeNet-style CNN on Fashion-MNIST on every rank with a
 * decentralized optimizer ({@code bfrun -np N fashion-mnist [options]}), or with
 * {@code --transport local --ranks N} as N threads of one JVM (same seeds, same numbers up to the
 * summation order of global averages).
 *
 * <p>Every rank reads only its shard; all ranks take the same number of steps per epoch
 * (one pass over the training set split over the ranks). Rank 0 shows a progress bar and, per
 * epoch, the training loss, the test accuracy of the averaged model and of its own model, the
 * consensus distance, the throughput and the share of time spent communicating, and writes
 * {@code metrics.csv}, {@code metrics.json} and {@code metrics.png} into {@code --metrics-dir}.
 */
@Command(name = "fashion-mnist", mixinStandardHelpOptions = true,
        description = "Decentralized training of Fashion-MNIST across ranks.")
public final class FashionMnist implements Callable<Integer> {
    /** With {@code --transport local}: one rank may wait this long in a collective (a CNN epoch takes minutes). */
    private static final long LOCAL_TIMEOUT_MILLIS = 3_600_000L;

    @Option(names = "--topology", defaultValue = "exponential", completionCandidates = TopologyName.Candidates.class,
            description = "a name of the topology catalogue (${COMPLETION-CANDIDATES}; full = fully-connected) or a"
                    + " topology file (.matrix/.csv dense weight matrix, .dot, .graphml, edge list), validated before"
                    + " training: column stochastic for push-sum, doubly stochastic otherwise (default: ${DEFAULT-VALUE})")
    String topology;

    @Option(names = "--optimizer", defaultValue = "atc",
            description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
    Algorithm optimizer;

    @Option(names = "--period", defaultValue = "4", description = "H: global average every H-th round (local-sgd, pga), "
            + "inner steps per outer step (diloco) (default: ${DEFAULT-VALUE})")
    int period;

    @Option(names = "--compressor", defaultValue = "top-k:0.01", converter = CompressorConverter.class,
            description = "choco's compressor: identity|top-k:RHO|random-k:RHO|sign|qsgd:S (default: ${DEFAULT-VALUE})")
    Compressor compressor;

    @Option(names = "--consensus-step", defaultValue = "0.05",
            description = "choco's consensus step gamma in (0, 1]; stronger compression needs a smaller one (4 ranks, "
                    + "Nesterov 0.9: top-k:0.01 diverged at 0.5 and trained at 0.05; sign trained at 0.5) (default: ${DEFAULT-VALUE})")
    double consensusStep;

    @Option(names = "--outer-lr", defaultValue = "0.7", description = "diloco's outer learning rate (default: ${DEFAULT-VALUE}, the paper's)")
    double outerLr;

    @Option(names = "--outer-momentum", defaultValue = "0.9", description = "diloco's outer Nesterov momentum (default: ${DEFAULT-VALUE}, the paper's)")
    double outerMomentum;

    @Option(names = "--decentralized-outer", description = "diloco: mix the outer gradient with the topology instead of a global average")
    boolean decentralizedOuter;

    @Option(names = "--max-staleness", defaultValue = "0",
            description = "S: async-push-sum and win-put wait for a neighbor whose newest data is more than S rounds old;"
                    + " 0 = unbounded (default: ${DEFAULT-VALUE})")
    int maxStaleness;

    @Option(names = "--job-wide-epochs",
            description = "async-push-sum, win-put: an epoch ends when the ranks together have taken ranks x batches steps"
                    + " (a fast rank takes more, a straggler fewer, nobody waits for the straggler's share) instead of when"
                    + " each rank has taken its batches; needs --max-staleness 0")
    boolean jobWideEpochs;

    @Option(names = "--straggler", converter = Straggler.Converter.class,
            description = "RANK:MILLIS: that rank sleeps MILLIS ms after each of its steps, to measure the cost of a slow rank")
    Straggler straggler;

    @Option(names = "--communication-period", defaultValue = "1", description = "J: communicate every J-th step (default: ${DEFAULT-VALUE})")
    int communicationPeriod;

    @Option(names = "--model", defaultValue = "mlp", description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
    Models.Kind model;

    @Option(names = "--epochs", defaultValue = "3", description = "(default: ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "64", description = "per rank (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--lr", defaultValue = "0.05", description = "learning rate (default: ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--trust-coefficient", defaultValue = "0.01",
            description = "eta of lars and clars: layer rate = lr x eta x |w_k| / gradient norm (default: ${DEFAULT-VALUE})")
    double trustCoefficient;

    @Option(names = "--clars-samples", defaultValue = "16",
            description = "|J|: per-sample gradients per step for clars's mean gradient norm (default: ${DEFAULT-VALUE})")
    int clarsSamples;

    @Option(names = "--lr-schedule", defaultValue = "constant", converter = LearningRateOption.Converter.class,
            description = "constant|cosine|poly:<power>|step:<epochs>:<factor>; cosine and poly decay to 0 at the end"
                    + " of training, after the warmup (default: ${DEFAULT-VALUE})")
    LearningRateOption lrSchedule;

    @Option(names = "--warmup-epochs", defaultValue = "0",
            description = "linear learning-rate warmup over this many epochs (may be fractional) (default: ${DEFAULT-VALUE})")
    double warmupEpochs;

    @Option(names = "--lr-reference-batch", defaultValue = "0",
            description = "linear scaling rule: --lr is the rate for a global batch of this many samples and is scaled"
                    + " by (ranks x batch size) / this; 0 = no scaling (default: ${DEFAULT-VALUE})")
    int lrReferenceBatch;

    @Option(names = "--momentum", defaultValue = "0.9", description = "momentum of nesterov, momentum, lars, clars"
            + " (and of decentlam's and qg-dsgdm's momentum updater); 0 with nesterov = plain SGD (default: ${DEFAULT-VALUE})")
    double momentum;

    @Option(names = "--updater", defaultValue = "nesterov", description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
    Updater updater;

    @Option(names = "--partition", defaultValue = "iid", converter = PartitionConverter.class,
            description = "iid|dirichlet:<alpha> (default: ${DEFAULT-VALUE})")
    Partition partition;

    @Option(names = "--seed", defaultValue = "42", description = "(default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--metrics-dir", defaultValue = "metrics", description = "(default: ${DEFAULT-VALUE})")
    Path metricsDir;

    @Option(names = "--data-dir", defaultValue = "/usr/share/datasets/fashion-mnist", description = "(default: ${DEFAULT-VALUE})")
    Path dataDir;

    @Option(names = "--checkpoint-dir", description = "save a checkpoint of every rank here at the end of every epoch"
            + " (atomic files, a MANIFEST per checkpoint; the 2 newest kept)")
    Path checkpointDir;

    @Option(names = "--checkpoint-steps", defaultValue = "0", description = "also save a checkpoint every N steps"
            + " (counted over all epochs) inside an epoch, which --resume continues mid-epoch; 0 = only at epoch ends"
            + " (default: ${DEFAULT-VALUE})")
    long checkpointSteps;

    @Option(names = "--resume", description = "continue from the newest complete checkpoint in --checkpoint-dir"
            + " (--epochs is the total; the same ranks, algorithm and topology); none there: start afresh")
    boolean resume;

    @Option(names = "--limit-samples", defaultValue = "0",
            description = "use only the first N training (and at most N test) images, for smoke runs; 0 = all (default: ${DEFAULT-VALUE})")
    int limitSamples;

    @Mixin
    TransportOptions where = new TransportOptions(2);

    @Option(names = "--parallelism", defaultValue = "data", converter = ModelParallelRun.ParallelismConverter.class,
            description = "data (every rank a model copy, gossip); pipeline (the model split over the ranks at layer "
                    + "boundaries, GPipe micro-batches); ddg / features-replay (the model split into one module per rank, "
                    + "trained with delayed gradients / features replay, --updater sgd|momentum|adam); with all but data "
                    + "--optimizer, --topology, --partition do not apply (default: ${DEFAULT-VALUE})")
    ModelParallelRun.Parallelism parallelism;

    @Option(names = "--micro-batches", defaultValue = "4", description = "K with --parallelism pipeline (default: ${DEFAULT-VALUE})")
    int microBatches;

    @Option(names = "--stage-balance", defaultValue = "params",
            converter = io.bluefog.examples.pipeline.PipelineFashionMnist.StageBalanceConverter.class,
            description = "with --parallelism pipeline and no --split: cut the layers into stages by parameter count (params) or by the "
                    + "forward+backward time rank 0 measures per layer (time) (default: ${DEFAULT-VALUE})")
    io.bluefog.examples.pipeline.PipelineFashionMnist.StageBalance stageBalance;

    @Option(names = "--split", description = "with --parallelism pipeline|ddg|features-replay: layer bounds of the stages/modules, e.g. 0,3,6"
            + " (one module per rank); default: parameter counts as equal as a greedy cut allows")
    String split;

    @Option(names = "--quiet", description = "no progress bar")
    boolean quiet;

    @Option(names = "--device", converter = DeviceConverter.class, description = "auto|cpu|cuda: auto = a GPU when one is"
            + " usable (local rank r on GPU r mod count), else the CPU; cuda = a GPU or an error (default: BLUEFOG_DEVICE, else auto)")
    io.bluefog.device.DeviceChoice device;

    @Spec
    CommandSpec spec;

    private final PrintStream out;
    private List<EpochMetrics> lastMetrics = List.of();
    private List<ModelParallelRun.Result> lastModelParallel = List.of();
    /** For the metrics directory's run marker. */
    private String commandLine = "fashion-mnist";
    private final java.time.Instant started = java.time.Instant.now();
    /** The first failure to write the metrics files, reported at the end (training goes on). */
    private volatile String metricsFailure;

    FashionMnist(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out));
    }

    /**
     * Parses and runs; returns the exit code (0 success, 1 error, 2 bad usage). Usage errors are one
     * line {@code fashion-mnist: ...} (printed by rank 0 only under MPI) and are found before any
     * data is read or any training step runs: option values, the topology (and a weight-matrix
     * file) for the number of ranks, more ranks than training samples, a batch larger than a rank's
     * share of the samples, an unwritable {@code --metrics-dir}.
     */
    public static int run(String[] args, PrintStream out) {
        FashionMnist job = new FashionMnist(out);
        job.commandLine = "fashion-mnist " + String.join(" ", args);
        CommandLine cl = new CommandLine(job);
        cl.setParameterExceptionHandler(TransportOptions.oneLineUsageErrors());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("fashion-mnist: " + e.getMessage());
            return 1;
        });
        return cl.execute(args);
    }

    /** @return the epochs of the last --parallelism ddg|features-replay run (rank 0's view) */
    List<ModelParallelRun.Result> modelParallelResults() {
        return lastModelParallel;
    }

    /** @return the metrics of the last run (rank 0's view) */
    List<EpochMetrics> metrics() {
        return lastMetrics;
    }

    @Override
    public Integer call() throws Exception {
        validate();
        if (parallelism == ModelParallelRun.Parallelism.PIPELINE) {
            int[] stageBounds = ModelParallelRun.parseSplit(split);
            where.call(LOCAL_TIMEOUT_MILLIS, bf -> io.bluefog.examples.pipeline.PipelineFashionMnist.run(bf,
                    new io.bluefog.examples.pipeline.PipelineFashionMnist.Settings(dataDir, Models.build(model, seed), model.toString(),
                            epochs, batchSize, microBatches, localUpdater(1, stepsPerEpoch(1)), seed, limitSamples, metricsDir, stageBounds,
                            stageBalance), out));
            return 0;
        }
        if (parallelism != ModelParallelRun.Parallelism.DATA) {
            ModelParallelRun.Settings s = new ModelParallelRun.Settings(parallelism, model, seed, epochs, batchSize, lr, momentum,
                    updater, dataDir, limitSamples, metricsDir, split);
            ModelParallelRun.updater(s); // a bad --updater or --split fails before any rank starts
            ModelParallelRun.split(s);
            lastModelParallel = where.call(LOCAL_TIMEOUT_MILLIS, bf -> ModelParallelRun.runRank(bf, s, LOCAL_TIMEOUT_MILLIS, out)).get(0);
            return 0;
        }
        if (where.local()) {
            // Checked here, before LocalCluster starts --ranks threads.
            checkRanksAndBatch(where.ranks());
            String problem = metricsDirProblem();
            if (problem != null) {
                throw usage(problem);
            }
        }
        lastMetrics = where.call(LOCAL_TIMEOUT_MILLIS, this::runRank).get(0);
        return 0;
    }

    /** The local update rule of {@code --updater} (lower-case names on the command line). */
    public enum Updater {
        NESTEROV, MOMENTUM, SGD, ADAM, LARS, CLARS;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** {@code --compressor}: {@link Compressor#parse}. */
    static final class CompressorConverter extends ParsingConverter<Compressor> {
        CompressorConverter() {
            super(Compressor::parse);
        }
    }

    /** @return the factory of {@code --optimizer}: choco and diloco with their options, the built-in ones otherwise */
    private OptimizerFactory optimizerFactory() {
        return switch (optimizer) {
            case CHOCO -> ChocoSgd.factory(compressor, consensusStep, seed);
            case DILOCO -> DiLoCo.factory(outerLr, outerMomentum, decentralizedOuter);
            case ASYNC_PUSH_SUM -> AsyncPushSum.factory(maxStaleness);
            case WIN_PUT -> WinPut.factory(maxStaleness);
            default -> OptimizerFactory.builtIn();
        };
    }

    /** {@code --partition}: {@link Partition#parse}, whose error becomes picocli's usage error. */
    static final class PartitionConverter implements CommandLine.ITypeConverter<Partition> {
        @Override
        public Partition convert(String value) {
            try {
                return Partition.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    /** {@code --device}: {@link io.bluefog.device.DeviceChoice#parse}. */
    static final class DeviceConverter implements CommandLine.ITypeConverter<io.bluefog.device.DeviceChoice> {
        @Override
        public io.bluefog.device.DeviceChoice convert(String value) {
            try {
                return io.bluefog.device.DeviceChoice.parse("--device", value);
            } catch (io.bluefog.ConfigurationException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    private void validate() {
        if (device == null) {
            device = io.bluefog.config.BlueFogConfig.fromEnvironment().device();
        }
        try {
            io.bluefog.device.Devices.select(device, 0); // --device cuda without a GPU fails here, before any work
        } catch (io.bluefog.device.DeviceException e) {
            throw usage(e.getMessage());
        }
        if (checkpointDir != null && (optimizer == Algorithm.CHOCO || optimizer.asynchronous())) {
            throw usage("--checkpoint-dir: --optimizer " + optimizer + " cannot be checkpointed yet"
                    + (optimizer.asynchronous() ? " (an asynchronous run's window contents depend on timing)" : ""));
        }
        if (jobWideEpochs && (!optimizer.asynchronous() || maxStaleness != 0)) {
            throw usage("--job-wide-epochs needs an asynchronous --optimizer (async-push-sum, win-put) and --max-staleness 0,"
                    + " got " + optimizer + " and " + maxStaleness);
        }
        if (epochs < 1) {
            throw usage("--epochs must be >= 1, got " + epochs);
        }
        if (batchSize < 1) {
            throw usage("--batch-size must be >= 1, got " + batchSize);
        }
        if (limitSamples < 0) {
            throw usage("--limit-samples must be >= 0, got " + limitSamples);
        }
        if (resume && checkpointDir == null) {
            throw usage("--resume needs --checkpoint-dir");
        }
        if (checkpointSteps < 0) {
            throw usage("--checkpoint-steps must be >= 0, got " + checkpointSteps);
        }
        if (checkpointSteps > 0 && checkpointDir == null) {
            throw usage("--checkpoint-steps needs --checkpoint-dir");
        }
    }

    /** @return the number of training samples the job uses */
    private int trainingSamples() {
        return limitSamples == 0 ? FashionMnistData.TRAIN_COUNT : Math.min(limitSamples, FashionMnistData.TRAIN_COUNT);
    }

    /** Every rank needs a sample, and a batch must fit in a rank's share of the training set. */
    private void checkRanksAndBatch(int size) {
        int total = trainingSamples();
        if (size > total) {
            throw usage(size + " ranks are more than the " + total + " training samples (every rank needs at least one)");
        }
        int share = total / size;
        if (batchSize > share) {
            throw usage("--batch-size " + batchSize + " is larger than a rank's share of the training set ("
                    + total + " samples / " + size + " ranks = " + share + ")");
        }
    }

    /** @return why {@code --metrics-dir} cannot be written (created if missing), or null if it can */
    private String metricsDirProblem() {
        return writableProblem("--metrics-dir", metricsDir);
    }

    /** @return why {@code dir} cannot be written (created if missing), or null if it can */
    private static String writableProblem(String option, Path dir) {
        try {
            java.nio.file.Files.createDirectories(dir);
            java.nio.file.Path probe = java.nio.file.Files.createTempFile(dir, ".write-check-", ".tmp");
            java.nio.file.Files.delete(probe);
            return null;
        } catch (java.io.IOException | SecurityException e) {
            return option + " " + dir + " is not writable (" + e + ")";
        }
    }

    /**
     * The checkpoint directory check: every rank writes its own file there, so every rank checks, and
     * the ranks agree (rank 0 reports the first rank that cannot write). Collective.
     */
    private void checkCheckpointDir(BlueFog bf) {
        if (checkpointDir == null) {
            return;
        }
        String problem = writableProblem("--checkpoint-dir", checkpointDir);
        java.nio.IntBuffer mine = java.nio.ByteBuffer.allocateDirect(Integer.BYTES)
                .order(java.nio.ByteOrder.nativeOrder()).asIntBuffer();
        mine.put(0, problem == null ? 0 : 1);
        java.nio.IntBuffer all = java.nio.ByteBuffer.allocateDirect(Integer.BYTES * bf.size())
                .order(java.nio.ByteOrder.nativeOrder()).asIntBuffer();
        bf.communicator().allgather(mine, all);
        for (int r = 0; r < bf.size(); r++) {
            if (all.get(r) != 0) {
                throw usage(problem != null ? "rank " + bf.rank() + ": " + problem
                        : "--checkpoint-dir " + checkpointDir + " is not writable on rank " + r);
            }
        }
    }

    /**
     * The metrics directory check under MPI: rank 0 (the only rank that writes there) checks and
     * tells the others. Collective.
     */
    private void checkMetricsDirWithRank0(BlueFog bf) {
        String problem = bf.rank() == 0 ? metricsDirProblem() : null;
        java.nio.IntBuffer flag = java.nio.ByteBuffer.allocateDirect(Integer.BYTES)
                .order(java.nio.ByteOrder.nativeOrder()).asIntBuffer();
        flag.put(0, problem == null ? 0 : 1);
        bf.communicator().broadcast(flag, 0);
        if (flag.get(0) != 0) {
            throw usage(problem != null ? problem : "--metrics-dir " + metricsDir + " is not writable on rank 0");
        }
        if (!(warmupEpochs >= 0 && warmupEpochs <= epochs)) {
            throw new IllegalArgumentException("--warmup-epochs must be in [0, --epochs = " + epochs + "], got " + warmupEpochs);
        }
        if (clarsSamples < 1) {
            throw new IllegalArgumentException("--clars-samples must be >= 1, got " + clarsSamples);
        }
        if (lrReferenceBatch < 0) {
            throw new IllegalArgumentException("--lr-reference-batch must be >= 0, got " + lrReferenceBatch);
        }
    }

    /** The local updater of {@code --updater} with the schedule of {@code --lr-schedule}, {@code --warmup-epochs}, {@code --lr-reference-batch}. */
    private LocalUpdater localUpdater(int size, int stepsPerEpoch) {
        double base = lrReferenceBatch > 0 ? LearningRateSchedule.linearScaling(lr, lrReferenceBatch, (long) size * batchSize) : lr;
        LearningRateSchedule rate = lrSchedule.schedule(base, stepsPerEpoch, epochs, warmupEpochs);
        return switch (updater) {
            case NESTEROV -> momentum == 0 ? LocalUpdater.sgd(rate) : LocalUpdater.nesterov(rate, momentum);
            case MOMENTUM -> LocalUpdater.momentum(rate, momentum);
            case SGD -> LocalUpdater.sgd(rate);
            case ADAM -> LocalUpdater.adam(rate, 0.9, 0.999, 1e-8);
            case LARS -> LayerwiseAdaptiveRate.lars(rate, trustCoefficient, momentum);
            case CLARS -> LayerwiseAdaptiveRate.clars(rate, trustCoefficient, momentum, clarsSamples);
        };
    }

    /** @return the optimizer steps per epoch: one pass over the (limited) training set split over {@code size} ranks */
    private int stepsPerEpoch(int size) {
        return ShardIterator.batchesPerEpoch(trainingSamples(), size, batchSize);
    }

    /**
     * One rank's whole job ({@link #train}), with rank 0 marking the metrics directory: status
     * {@code running} at the start, then {@code finished} or {@code failed: <reason>}. Collective.
     */
    List<EpochMetrics> runRank(BlueFog bf) {
        boolean lead = bf.rank() == 0;
        try {
            List<EpochMetrics> history = train(bf);
            if (lead) {
                mark(metricsFailure == null ? "finished" : "finished; metrics not written: " + metricsFailure);
            }
            return history;
        } catch (RuntimeException | Error e) {
            if (lead && markerStarted) {
                mark("failed: " + e);
            }
            throw e;
        }
    }

    private volatile boolean markerStarted;

    /** Rewrites the run marker; a failure to write it is reported and otherwise ignored. */
    private void mark(String status) {
        try {
            MetricsWriter.markRun(metricsDir, commandLine, started, status);
        } catch (java.io.IOException | RuntimeException e) {
            System.err.println("fashion-mnist: warning: cannot update " + metricsDir.resolve(MetricsWriter.RUN) + ": " + e);
        }
    }

    /**
     * Writes the metrics files after an epoch; a failure (a full disk) is reported on stderr and
     * remembered for the run marker, and does not stop or fail the training.
     */
    void writeMetrics(Map<String, String> settings, List<EpochMetrics> history) {
        try {
            MetricsWriter.write(metricsDir, settings, history);
        } catch (RuntimeException e) {
            String reason = e.getMessage() + (e.getCause() == null ? "" : ": " + e.getCause());
            if (metricsFailure == null) {
                metricsFailure = reason;
            }
            System.err.println("fashion-mnist: warning: metrics not written (training goes on): " + reason);
        }
    }

    /**
     * The device as rank 0's first line reports it: a GPU chosen while ND4J runs its CPU backend (the
     * default build, without {@code -P cuda}) is said to be placement only, since the training then runs
     * on the CPU.
     */
    private static String deviceNote(io.bluefog.device.Device placed) {
        boolean cudaBackend = org.nd4j.linalg.factory.Nd4j.getBackend().getClass().getName().toLowerCase(Locale.ROOT)
                .contains("cuda");
        return placed.isCuda() && !cudaBackend ? placed + " (placement only: ND4J's CPU backend trains; build with -P cuda)"
                : placed.toString();
    }

    /** The training of one rank. Collective. */
    private List<EpochMetrics> train(BlueFog bf) {
        int rank = bf.rank();
        int size = bf.size();
        boolean lead = rank == 0;
        io.bluefog.device.Device placed = io.bluefog.device.Devices.select(device, bf.localRank());
        checkRanksAndBatch(size);
        // validated before any data is read: column stochastic for push-sum, doubly stochastic otherwise
        DynamicTopology schedule;
        try {
            schedule = TopologyCatalog.load(topology, size,
                    optimizer == Algorithm.PUSH_SUM || optimizer == Algorithm.ASYNC_PUSH_SUM
                            ? Stochasticity.COLUMN : Stochasticity.DOUBLY);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        if (straggler != null && straggler.rank() >= size) {
            throw usage("--straggler rank " + straggler.rank() + " is not a rank of this " + size + "-rank job");
        }
        if (maxStaleness < 0) {
            throw usage("--max-staleness must be >= 0, got " + maxStaleness);
        }
        if (!where.local()) {
            checkMetricsDirWithRank0(bf);
        }
        checkCheckpointDir(bf);
        if (lead) {
            try {
                MetricsWriter.startRun(metricsDir, commandLine, started);
                markerStarted = true;
            } catch (java.io.IOException e) {
                System.err.println("fashion-mnist: warning: cannot mark " + metricsDir + " with this run: " + e);
            }
        }
        Partition part = partition;
        Shard shard = FashionMnistData.trainShard(dataDir, part, rank, size, seed, limitSamples);
        Shard test = FashionMnistData.testSet(dataDir, limitSamples);
        int batches = stepsPerEpoch(size);
        // reused batches: the trainer is done with a batch before it asks for the next one
        ShardIterator train = new ShardIterator(shard, batchSize, batches, seed * 1_000_003L + rank, true);
        DataSetIterator testIt = new ExistingDataSetIterator(test.toDataSet().batchBy(1000));

        OptimizerConfig config = OptimizerConfig.builder(optimizer)
                .updater(localUpdater(size, batches)).topology(schedule).period(period).communicationPeriod(communicationPeriod).build();
        MultiLayerNetwork net = Models.buildForWholeModelTraining(model, seed);
        // the trainer communicates through the rank's collectives; closed when this rank's job is done
        try (Collectives collectives = Collectives.of(bf)) {
            DecentralizedTrainer trainer = new DecentralizedTrainer(collectives, bf.mixingTopology(), net, config, optimizerFactory());
            io.bluefog.optimizers.async.JobStepCounter jobSteps = jobWideEpochs ? new io.bluefog.optimizers.async.JobStepCounter(bf) : null;
            if (jobSteps != null) {
                trainer.shareEpochSteps(jobSteps, batches);
            }
            TrainingListener slow = straggler == null ? null : straggler.listenerFor(rank);
            if (slow != null) {
                trainer.addListener(slow);
            }
            Map<String, String> settings = settings(size, net.numParams(), bf.communicator().transportName());
            if (lead) {
                out.printf(Locale.ROOT, "fashion-mnist: %d ranks (%s), model %s (%d parameters), %s on %s, %s, partition %s, "
                                + "%d batches of %d per rank per epoch, rank 0 on device %s%n", size, bf.communicator().transportName(), model,
                        net.numParams(), optimizer, topology, config.updater(), part, batches, batchSize, deviceNote(placed));
                if (!quiet) {
                    trainer.addListener(new ProgressBar(batches));
                }
            }
            List<EpochMetrics> history = new ArrayList<>();
            if (checkpointSteps > 0) {
                trainer.checkpointEverySteps(checkpointDir, checkpointSteps, train::position);
            }
            if (resume) {
                java.util.Optional<byte[]> position = trainer.resume(checkpointDir);
                position.ifPresent(train::restorePosition);
                if (lead) {
                    out.printf(Locale.ROOT, position.isPresent()
                            ? "resumed from %s after epoch %d (step %d)%s%n" : "no checkpoint in %s: starting afresh%n",
                            checkpointDir, trainer.epochsCompleted(), trainer.steps(),
                            trainer.epochsCompleted() < trainer.epoch() ? ", inside epoch " + trainer.epoch() : "");
                }
            }
            for (int e = trainer.epochsCompleted() + 1; e <= epochs; e++) {
                EpochMetrics m = trainer.fitEpoch(train, testIt);
                history.add(m);
                if (lead) {
                    out.printf(Locale.ROOT, "epoch %d/%d  loss %.4f  test acc: averaged %.4f, rank 0 %.4f  consensus %.3e  "
                                    + "%.0f samples/s  %.0f bytes/step  communication %.1f%% (exchange %.1f%%, waiting %.1f%%%s)  (%.1f s)%n",
                            e, epochs, m.trainLoss(), m.averagedAccuracy(), m.localAccuracy(), m.consensusDistance(),
                            m.samplesPerSecond(), m.bytesSentPerStep(), 100 * m.communicationShare(), 100 * m.exchangeShare(),
                            100 * m.waitShare(), m.overlapped() ? ", partly hidden behind the gradient computation" : "",
                            m.trainSeconds());
                    writeMetrics(settings, history);
                }
                if (checkpointDir != null) {
                    trainer.saveCheckpoint(checkpointDir, train.position());
                }
            }
            if (trainer.optimizer() instanceof WindowOptimizer windowed) {
                windowed.close(); // collective: frees the asynchronous optimizer's window
            }
            if (jobSteps != null) {
                jobSteps.close(); // collective: frees the step counter's window
            }
            if (lead) {
                Runtime rt = Runtime.getRuntime();
                out.printf(Locale.ROOT, "rank 0 memory: heap %d MB used, process %d MB resident; metrics in %s%n",
                        (rt.totalMemory() - rt.freeMemory()) >> 20, org.bytedeco.javacpp.Pointer.physicalBytes() >> 20,
                        metricsDir.toAbsolutePath());
            }
            return history;
        }
    }

    private Map<String, String> settings(int size, long numParams, String transportName) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("ranks", Integer.toString(size));
        s.put("transport", transportName);
        s.put("model", model.toString());
        s.put("parameters", Long.toString(numParams));
        s.put("optimizer", optimizer.cliName());
        s.put("topology", topology);
        s.put("period", Integer.toString(period));
        s.put("communication_period", Integer.toString(communicationPeriod));
        if (optimizer == Algorithm.CHOCO) {
            s.put("compressor", compressor.id());
            s.put("consensus_step", Double.toString(consensusStep));
        } else if (optimizer == Algorithm.DILOCO) {
            s.put("outer_lr", Double.toString(outerLr));
            s.put("outer_momentum", Double.toString(outerMomentum));
            s.put("decentralized_outer", Boolean.toString(decentralizedOuter));
        }
        s.put("max_staleness", Integer.toString(maxStaleness));
        s.put("straggler", straggler == null ? "none" : straggler.toString());
        s.put("job_wide_epochs", Boolean.toString(jobWideEpochs));
        s.put("updater", localUpdater(size, stepsPerEpoch(size)).toString());
        s.put("epochs", Integer.toString(epochs));
        s.put("batch_size", Integer.toString(batchSize));
        s.put("partition", partition.toString());
        s.put("seed", Long.toString(seed));
        s.put("limit_samples", Integer.toString(limitSamples));
        s.put("lr_schedule", lrSchedule.toString());
        s.put("warmup_epochs", Double.toString(warmupEpochs));
        s.put("lr_reference_batch", Integer.toString(lrReferenceBatch));
        return s;
    }

    /** Rank 0's progress bar, redrawn every 2% of an epoch. */
    private final class ProgressBar implements TrainingListener {
        private static final int WIDTH = 30;
        private final int batches;
        private double lossSum;

        ProgressBar(int batches) {
            this.batches = batches;
        }

        @Override
        public void iterationDone(int epoch, int iteration, int of, double loss) {
            lossSum = iteration == 0 ? loss : lossSum + loss;
            int done = iteration + 1;
            int step = Math.max(1, batches / 50);
            if (done % step == 0 || done == batches) {
                int filled = (int) ((long) WIDTH * done / batches);
                System.err.printf(Locale.ROOT, "\repoch %d [%s%s] %3d%% %d/%d  loss %.4f", epoch, "=".repeat(filled),
                        " ".repeat(WIDTH - filled), 100 * done / batches, done, batches, lossSum / done);
                if (done == batches) {
                    System.err.println();
                }
            }
        }
    }
}
