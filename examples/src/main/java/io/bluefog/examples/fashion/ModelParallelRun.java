package io.bluefog.examples.fashion;

import io.bluefog.BlueFog;
import io.bluefog.collectives.Collectives;
import io.bluefog.examples.data.FashionMnistData;
import io.bluefog.examples.data.Partition;
import io.bluefog.examples.data.Shard;
import io.bluefog.examples.data.ShardIterator;
import io.bluefog.optimizers.pipeline.ddg.DdgEngine;
import io.bluefog.optimizers.pipeline.ddg.DdgTrainer;
import io.bluefog.optimizers.pipeline.ddg.DdgUpdater;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import picocli.CommandLine;

/**
 * The main job's delayed-gradient model-parallel modes, {@code --parallelism ddg} and
 * {@code --parallelism features-replay}: the network is split into K = world size modules, module k
 * on rank k − 1, and trained with {@link DdgTrainer} (decoupled parallel backpropagation with
 * delayed gradients or features replay, Huo's thesis chapters 5 and 6). Every rank reads the whole
 * training set in the same shuffled order (only rank 0 uses the images, the last rank the labels);
 * {@code --batch-size} is the batch of the one pipeline. After each epoch the modules' weights are
 * gathered into every rank's network and rank 0 evaluates it on the test set. Rank 0 prints each
 * epoch and writes {@value #CSV} into {@code --metrics-dir}: the loss, the test accuracy, seconds
 * per iteration and, per module, its staleness K − k and mean forward, backward and waiting seconds
 * per iteration; the last rank writes the loss of every iteration against training time,
 * {@value LossTrace#CSV}.
 */
final class ModelParallelRun {
    static final String CSV = "model-parallel.csv";

    /** {@code --parallelism}. */
    enum Parallelism {
        /** decentralized data parallelism: every rank trains the whole model (--optimizer) */
        DATA,
        /** GPipe pipeline (io.bluefog.examples.pipeline.PipelineFashionMnist) */
        PIPELINE,
        /** decoupled parallel backpropagation with delayed gradients */
        DDG,
        /** features replay */
        FEATURES_REPLAY;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** picocli converter: data, ddg, features-replay. */
    static final class ParallelismConverter implements CommandLine.ITypeConverter<Parallelism> {
        @Override
        public Parallelism convert(String value) {
            for (Parallelism p : Parallelism.values()) {
                if (p.toString().equals(value.trim().toLowerCase(Locale.ROOT))) {
                    return p;
                }
            }
            throw new CommandLine.TypeConversionException("--parallelism must be data, pipeline, ddg or features-replay, got '" + value + "'");
        }
    }

    /** What the job was asked for. */
    record Settings(Parallelism parallelism, Models.Kind model, long seed, int epochs, int batchSize, double lr,
            double momentum, FashionMnist.Updater updater, Path dataDir, int limitSamples, Path metricsDir, String split) {
    }

    /**
     * @return the layer bounds of {@code --split} ("0,3,6"), or null for the balanced split
     * @throws IllegalArgumentException naming {@code --split} if it is not a list of integers
     */
    static int[] split(Settings s) {
        return parseSplit(s.split());
    }

    /**
     * @return the layer bounds of a {@code --split} value ("0,3,6"), or null for null or blank
     * @throws IllegalArgumentException naming {@code --split} if it is not a list of integers
     */
    static int[] parseSplit(String split) {
        if (split == null || split.isBlank()) {
            return null;
        }
        try {
            return java.util.Arrays.stream(split.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--split must be layer bounds like 0,3,6, got '" + split + "'");
        }
    }

    /** One epoch on rank 0: the trainer's epoch and the test accuracy of the gathered network. */
    record Result(DdgTrainer.Epoch epoch, double testAccuracy) {
    }

    private ModelParallelRun() {
    }

    /**
     * @throws IllegalArgumentException naming {@code --updater} for nesterov (DDG's rules are SGD,
     *                                  momentum and Adam, thesis Algorithms 9 and 10)
     */
    static DdgUpdater updater(Settings s) {
        return switch (s.updater()) {
            case SGD -> DdgUpdater.sgd(s.lr());
            case MOMENTUM -> DdgUpdater.momentum(s.lr(), s.momentum());
            case ADAM -> DdgUpdater.adam(s.lr());
            case NESTEROV, LARS, CLARS -> throw new IllegalArgumentException("--parallelism " + s.parallelism()
                    + " updates with --updater sgd, momentum or adam (thesis Algorithms 9 and 10), not "
                    + s.updater().toString().toLowerCase(java.util.Locale.ROOT));
        };
    }

    /** One rank's job. Collective. */
    static List<Result> runRank(BlueFog bf, Settings s, long timeoutMillis, PrintStream out) {
        boolean lead = bf.rank() == 0;
        int layers = Models.build(s.model(), s.seed()).getnLayers();
        if (bf.size() > layers) {
            throw new IllegalArgumentException("--parallelism " + s.parallelism() + " puts one module per rank: " + bf.size()
                    + " ranks but model " + s.model() + " has only " + layers + " layers");
        }
        if (s.parallelism() != Parallelism.DDG && s.parallelism() != Parallelism.FEATURES_REPLAY) {
            throw new IllegalArgumentException("ModelParallelRun runs --parallelism ddg or features-replay, not " + s.parallelism());
        }
        DdgEngine.Method method = s.parallelism() == Parallelism.DDG ? DdgEngine.Method.DDG : DdgEngine.Method.FEATURES_REPLAY;
        Shard all = FashionMnistData.trainShard(s.dataDir(), Partition.parse("iid"), 0, 1, s.seed(), s.limitSamples());
        Shard test = FashionMnistData.testSet(s.dataDir(), s.limitSamples());
        int total = s.limitSamples() == 0 ? FashionMnistData.TRAIN_COUNT : Math.min(s.limitSamples(), FashionMnistData.TRAIN_COUNT);
        int batches = ShardIterator.batchesPerEpoch(total, 1, s.batchSize());
        // the same seed on every rank: the same batches in the same order
        ShardIterator train = new ShardIterator(all, s.batchSize(), batches, s.seed() * 1_000_003L, true);
        DataSetIterator testIt = new ExistingDataSetIterator(test.toDataSet().batchBy(1000));
        MultiLayerNetwork net = Models.build(s.model(), s.seed());
        List<Result> history = new ArrayList<>();
        LossTrace trace = new LossTrace(); // recorded and written by the last rank only
        try (Collectives collectives = Collectives.of(bf);
                DdgTrainer trainer = new DdgTrainer(bf, collectives, net, method, updater(s), timeoutMillis, split(s))) {
            if (lead) {
                out.printf(Locale.ROOT, "fashion-mnist: --parallelism %s, model %s (%d parameters) split into %d modules at layers %s "
                                + "(%s), %s, %d batches of %d per epoch%n", s.parallelism(), s.model(), net.numParams(), bf.size(),
                        java.util.Arrays.toString(trainer.bounds()), bf.communicator().transportName(), updater(s).rule()
                                .toString().toLowerCase(Locale.ROOT) + " lr " + s.lr(), batches, s.batchSize());
            }
            for (int e = 1; e <= s.epochs(); e++) {
                trace.startEpoch();
                DdgTrainer.Epoch epoch = trainer.fitEpoch(train, trace::record);
                trace.endEpoch();
                if (bf.rank() == bf.size() - 1) {
                    trace.write(s.metricsDir());
                }
                trainer.synchronizeNetwork();
                double accuracy = lead ? net.evaluate(testIt).accuracy() : Double.NaN;
                if (lead) {
                    history.add(new Result(epoch, accuracy));
                    StringBuilder modules = new StringBuilder();
                    for (int k = 0; k < bf.size(); k++) {
                        modules.append(String.format(Locale.ROOT, "%n  module %d: staleness %d, forward %.2f ms, backward %.2f ms, "
                                        + "waiting %.2f ms per iteration", k + 1, epoch.staleness()[k],
                                1e3 * epoch.forwardSecondsPerIteration()[k], 1e3 * epoch.backwardSecondsPerIteration()[k],
                                1e3 * epoch.waitSecondsPerIteration()[k]));
                    }
                    out.printf(Locale.ROOT, "epoch %d/%d  loss %.4f  test acc %.4f  %.2f ms per iteration  (%.1f s)%s%n", e,
                            s.epochs(), epoch.trainLoss(), accuracy, 1e3 * epoch.secondsPerIteration(), epoch.seconds(), modules);
                    write(s, bf.size(), history);
                }
            }
        }
        return history;
    }

    private static void write(Settings s, int modules, List<Result> history) {
        StringBuilder csv = new StringBuilder("epoch,parallelism,modules,train_loss,test_accuracy,seconds,seconds_per_iteration");
        for (int k = 1; k <= modules; k++) {
            csv.append(",staleness_").append(k).append(",forward_s_").append(k).append(",backward_s_").append(k)
                    .append(",wait_s_").append(k);
        }
        csv.append('\n');
        for (Result r : history) {
            DdgTrainer.Epoch e = r.epoch();
            csv.append(String.format(Locale.ROOT, "%d,%s,%d,%.6f,%.4f,%.3f,%.6f", e.epoch(), s.parallelism(), modules, e.trainLoss(),
                    r.testAccuracy(), e.seconds(), e.secondsPerIteration()));
            for (int k = 0; k < modules; k++) {
                csv.append(String.format(Locale.ROOT, ",%d,%.6f,%.6f,%.6f", e.staleness()[k], e.forwardSecondsPerIteration()[k],
                        e.backwardSecondsPerIteration()[k], e.waitSecondsPerIteration()[k]));
            }
            csv.append('\n');
        }
        try {
            Files.createDirectories(s.metricsDir());
            Files.writeString(s.metricsDir().resolve(CSV), csv);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + s.metricsDir().resolve(CSV), e);
        }
    }
}
