package io.bluefog.examples.pipeline;

import io.bluefog.BlueFog;
import io.bluefog.collectives.pipeline.StageChannel;
import io.bluefog.examples.data.FashionMnistData;
import io.bluefog.examples.data.Partition;
import io.bluefog.examples.data.Shard;
import io.bluefog.examples.data.ShardIterator;
import io.bluefog.optimizers.pipeline.MultiLayerStage;
import io.bluefog.optimizers.pipeline.PipelineTrainer;
import io.bluefog.optimizers.updaters.LocalUpdater;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.dataset.DataSet;

/**
 * {@code fashion-mnist --parallelism pipeline --micro-batches K}: the model split over the ranks at
 * the layer boundaries of {@code --split} (the trainer rejects bounds that do not fit), or else
 * balanced by parameter count ({@link MultiLayerStage#balancedSplit}) or, with
 * {@code --stage-balance time}, by measured time: rank 0 times every layer's forward and backward on
 * one micro-batch of training images ({@link MultiLayerStage#measureLayerSeconds}, median of
 * {@value #TIMING_REPEATS} passes), broadcasts the times, and every rank cuts with
 * {@link MultiLayerStage#timeBalancedSplit} (the split minimising the slowest stage). Every batch
 * of {@code --batch-size} rows (the same batches on every rank: the whole training set, shuffled
 * with {@code --seed}) in K micro-batches through {@link PipelineTrainer}. Synchronous, so the run
 * follows single-process training on the same batches; after each epoch the stages' parameters are
 * broadcast to every rank and rank 0 reports the test accuracy. The last stage writes the loss of
 * every iteration against training time into {@code --metrics-dir} ({@link io.bluefog.examples.fashion.LossTrace}).
 */
public final class PipelineFashionMnist {
    /** The options of the main job this mode uses. */
    public record Settings(Path dataDir, MultiLayerNetwork net, String modelName, int epochs, int batchSize, int microBatches,
            LocalUpdater updater, long seed, int limitSamples, Path metricsDir, int[] bounds, StageBalance stageBalance) {
    }

    /** {@code --stage-balance}: how the layers are cut into stages. */
    public enum StageBalance {
        /** parameter counts as equal as a greedy cut allows */
        PARAMS,
        /** the measured forward + backward time of the slowest stage as small as possible */
        TIME;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** picocli converter for {@code --stage-balance}: params or time. */
    public static final class StageBalanceConverter implements picocli.CommandLine.ITypeConverter<StageBalance> {
        @Override
        public StageBalance convert(String value) {
            for (StageBalance b : StageBalance.values()) {
                if (b.toString().equals(value.trim().toLowerCase(Locale.ROOT))) {
                    return b;
                }
            }
            throw new picocli.CommandLine.TypeConversionException("--stage-balance must be params or time, got '" + value + "'");
        }
    }

    static final int TIMING_REPEATS = 5;

    private PipelineFashionMnist() {
    }

    /** Rank 0 times the layers on the shard's first {@code rows} images and broadcasts the times to every rank. */
    private static double[] measuredLayerSeconds(BlueFog bf, MultiLayerNetwork net, Shard shard, int rows) {
        int n = net.getnLayers();
        java.nio.DoubleBuffer buf = java.nio.ByteBuffer.allocateDirect(n * Double.BYTES).order(java.nio.ByteOrder.nativeOrder())
                .asDoubleBuffer();
        if (bf.rank() == 0) {
            int[] idx = java.util.stream.IntStream.range(0, Math.min(rows, shard.size())).toArray();
            DataSet d = shard.rows(idx);
            buf.put(0, MultiLayerStage.measureLayerSeconds(net.clone(), d.getFeatures(), d.getLabels(), TIMING_REPEATS));
        }
        bf.communicator().broadcast(buf, 0);
        double[] t = new double[n];
        buf.get(0, t);
        return t;
    }

    /** One rank's job. Every rank calls it. @return rank 0's final test accuracy (NaN elsewhere) */
    public static double run(BlueFog bf, Settings s, PrintStream out) {
        if (s.microBatches() < 1) {
            throw new IllegalArgumentException("--micro-batches must be >= 1, got " + s.microBatches());
        }
        MultiLayerNetwork net = s.net();
        int stages = bf.size();
        if (stages > net.getnLayers()) {
            throw new IllegalArgumentException("--parallelism pipeline needs at most " + net.getnLayers()
                    + " ranks for this model (one layer at least per stage), got " + stages);
        }
        Shard shard = FashionMnistData.trainShard(s.dataDir(), Partition.parse("iid"), 0, 1, s.seed(), s.limitSamples());
        double[] layerSeconds = null;
        int[] bounds;
        if (s.bounds() != null) {
            bounds = s.bounds();
        } else if (s.stageBalance() == StageBalance.TIME) {
            layerSeconds = measuredLayerSeconds(bf, net, shard, Math.max(1, s.batchSize() / s.microBatches()));
            bounds = MultiLayerStage.timeBalancedSplit(layerSeconds, stages);
        } else {
            bounds = MultiLayerStage.balancedSplit(net, stages);
        }
        Shard test = FashionMnistData.testSet(s.dataDir(), s.limitSamples());
        int total = s.limitSamples() == 0 ? FashionMnistData.TRAIN_COUNT : Math.min(s.limitSamples(), FashionMnistData.TRAIN_COUNT);
        int batches = ShardIterator.batchesPerEpoch(total, 1, s.batchSize());
        ShardIterator train = new ShardIterator(shard, s.batchSize(), batches, s.seed() * 1_000_003L, true);
        StageChannel ch = StageChannel.oneStagePerRank(bf.communicator(), bf.config().timeoutMillis());
        PipelineTrainer trainer = new PipelineTrainer(ch, net, bounds, s.microBatches(), s.updater(), bf.timeline());
        boolean lead = bf.rank() == 0;
        if (lead && layerSeconds != null) {
            out.printf(Locale.ROOT, "fashion-mnist: stages balanced by time; rank 0 measured ms per layer (forward + backward) %s%n",
                    Arrays.toString(Arrays.stream(layerSeconds).map(v -> Math.round(v * 1e5) / 100.0).toArray()));
        }
        if (lead) {
            out.printf(Locale.ROOT, "fashion-mnist: pipeline over %d ranks (%s), model %s (%d parameters), stages at layers %s, "
                            + "%d micro-batches of a batch of %d, %s, %d batches per epoch%n", stages,
                    bf.communicator().transportName(), s.modelName(), net.numParams(), Arrays.toString(bounds), s.microBatches(),
                    s.batchSize(), s.updater(), batches);
        }
        double accuracy = Double.NaN;
        boolean lastStage = ch.stage() == stages - 1;
        io.bluefog.examples.fashion.LossTrace trace = new io.bluefog.examples.fashion.LossTrace();
        for (int e = 1; e <= s.epochs(); e++) {
            long start = System.nanoTime();
            double lossSum = 0;
            int n = 0;
            train.reset();
            trace.startEpoch();
            long iteration = 0;
            while (train.hasNext()) {
                DataSet b = train.next();
                int rows = (int) b.getFeatures().size(0);
                double loss = trainer.fit(b.getFeatures(), b.getLabels(), rows);
                iteration++;
                if (lastStage) {
                    trace.record(iteration, loss);
                }
                if (!Double.isNaN(loss)) {
                    lossSum += loss;
                    n++;
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            trace.endEpoch();
            if (lastStage) {
                trace.write(s.metricsDir());
            }
            // the last stage knows the loss; everyone gets every stage's parameters
            trainer.gatherParameters(bf.communicator());
            java.nio.DoubleBuffer lossBuf = java.nio.ByteBuffer.allocateDirect(Double.BYTES)
                    .order(java.nio.ByteOrder.nativeOrder()).asDoubleBuffer();
            lossBuf.put(0, n == 0 ? 0 : lossSum / n);
            bf.communicator().broadcast(lossBuf, ch.rankOf(stages - 1));
            if (lead) {
                Evaluation eval = net.evaluate(new ExistingDataSetIterator(test.toDataSet().batchBy(1000)));
                accuracy = eval.accuracy();
                out.printf(Locale.ROOT, "epoch %d/%d  loss %.4f  test acc %.4f  %.0f samples/s  (%.1f s)%n", e, s.epochs(),
                        lossBuf.get(0), accuracy, total / seconds, seconds);
                out.flush();
            }
        }
        return accuracy;
    }
}
