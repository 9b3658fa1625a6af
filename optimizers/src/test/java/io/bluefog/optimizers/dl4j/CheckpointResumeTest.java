package io.bluefog.optimizers.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.collectives.Collectives;
import io.bluefog.local.LocalCluster;
import io.bluefog.optimizers.Algorithm;
import io.bluefog.optimizers.OptimizerConfig;
import io.bluefog.optimizers.updaters.LocalUpdater;
import io.bluefog.topology.Topologies;
import io.bluefog.topology.dynamic.Schedules;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Stopped and resumed from a checkpoint, a job continues bit-identically to one never interrupted
 * (parameters, Nesterov momentum, the algorithm's state and counters restored), on LocalCluster;
 * resuming with another number of ranks or another topology is a clear error.
 */
class CheckpointResumeTest {
    static final int RANKS = 4;
    static final int STEPS = 6;
    static final int STOP_AFTER = 3;

    @TempDir
    Path tmp;

    private static MultiLayerNetwork model(long seed) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(seed).updater(new NoOp())
                .dataType(DataType.FLOAT).list()
                .layer(new DenseLayer.Builder().nIn(4).nOut(8).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(8).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    /** Rank r's k-th mini-batch: fixed by (r, k), so a resumed job sees the same data. */
    private static DataSet batch(int rank, int k) {
        Random r = new Random(1000L * rank + k);
        float[][] x = new float[8][4];
        float[][] y = new float[8][3];
        for (int i = 0; i < 8; i++) {
            for (int j = 0; j < 4; j++) {
                x[i][j] = (float) r.nextGaussian();
            }
            y[i][(x[i][0] + x[i][1] > 0 ? 1 : 0) + (x[i][2] > 1 ? 1 : 0)] = 1;
        }
        return new DataSet(Nd4j.createFromArray(x), Nd4j.createFromArray(y));
    }

    private static OptimizerConfig config(Algorithm a, int ranks) {
        return OptimizerConfig.builder(a).updater(LocalUpdater.nesterov(0.1, 0.9))
                .topology(Schedules.staticTopology(Topologies.exponential(ranks))).build();
    }

    /** Runs steps [from, to) on every rank, resuming from {@code dir} first when {@code resume}; checkpoints after {@code checkpointAt}. */
    private static List<float[]> run(Algorithm a, Path dir, boolean resume, int from, int to, int checkpointAt, long initSeed) {
        List<float[]> params = new ArrayList<>();
        LocalCluster.call(RANKS, bf -> {
            try (Collectives c = Collectives.of(bf)) {
                MultiLayerNetwork net = model(initSeed);
                DecentralizedTrainer t = new DecentralizedTrainer(c, bf.mixingTopology(), net, config(a, RANKS));
                int start = from;
                if (resume) {
                    byte[] extra = t.resume(dir).orElseThrow();
                    start = Integer.parseInt(new String(extra, StandardCharsets.UTF_8));
                    assertEquals(start, t.steps());
                }
                for (int k = start; k < to; k++) {
                    t.step(batch(bf.rank(), k));
                    if (k + 1 == checkpointAt) {
                        t.saveCheckpoint(dir, Integer.toString(k + 1).getBytes(StandardCharsets.UTF_8));
                    }
                }
                return net.params().dup().data().asFloat();
            }
        }).forEach(p -> params.add((float[]) p));
        return params;
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Algorithm.class, names = {"ATC", "EXACT_DIFFUSION", "PUSH_SUM", "GRADIENT_TRACKING", "AWC"})
    void stoppedAndResumedContinuesBitIdentically(Algorithm a) throws Exception {
        List<float[]> uninterrupted = run(a, tmp.resolve("unused"), false, 0, STEPS, -1, 7);
        Path dir = tmp.resolve("ckpt-" + a);
        // The interrupted job checkpoints after STOP_AFTER steps, takes one step more and "dies".
        List<float[]> stopped = run(a, dir, false, 0, STOP_AFTER + 1, STOP_AFTER, 7);
        assertFalse(java.util.Arrays.equals(stopped.get(0), uninterrupted.get(0)), "the test must resume mid-run");
        // A fresh job (other initial weights, overwritten by the checkpoint) resumes and finishes.
        List<float[]> resumed = run(a, dir, true, 0, STEPS, -1, 99);
        for (int r = 0; r < RANKS; r++) {
            assertArrayEquals(uninterrupted.get(r), resumed.get(r), a + ": rank " + r + " differs after resuming");
        }
    }

    static final int EPOCHS = 2;
    static final int BATCHES = 5;
    static final int CHECKPOINT_STEPS = 3;

    /** Rank r's batches, {@link #batch}(r, g) for the job's g-th batch; its position is g and the batches served this epoch. */
    private static final class Batches implements org.nd4j.linalg.dataset.api.iterator.DataSetIterator {
        private final int rank;
        private int global;
        private int served;

        Batches(int rank) {
            this.rank = rank;
        }

        byte[] position() {
            return (global + " " + served).getBytes(StandardCharsets.UTF_8);
        }

        void restore(byte[] position) {
            String[] f = new String(position, StandardCharsets.UTF_8).split(" ");
            global = Integer.parseInt(f[0]);
            served = Integer.parseInt(f[1]);
        }

        @Override
        public DataSet next(int num) {
            served++;
            return CheckpointResumeTest.batch(rank, global++);
        }

        @Override
        public DataSet next() {
            return next(8);
        }

        @Override
        public boolean hasNext() {
            return served < BATCHES;
        }

        @Override
        public void reset() {
            served = 0;
        }

        @Override
        public int inputColumns() {
            return 4;
        }

        @Override
        public int totalOutcomes() {
            return 3;
        }

        @Override
        public boolean resetSupported() {
            return true;
        }

        @Override
        public boolean asyncSupported() {
            return false;
        }

        @Override
        public int batch() {
            return 8;
        }

        @Override
        public void setPreProcessor(org.nd4j.linalg.dataset.api.DataSetPreProcessor p) {
        }

        @Override
        public org.nd4j.linalg.dataset.api.DataSetPreProcessor getPreProcessor() {
            return null;
        }

        @Override
        public List<String> getLabels() {
            return null;
        }
    }

    /** The job "dies" here: thrown by every rank after the step, as a crash would end it. */
    private static final class Crash extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Crash(long step) {
            super("crashed after step " + step);
        }
    }

    /** What a run of the epoch loop returns on one rank: its parameters and the last epoch's metrics. */
    private record EpochRun(float[] params, EpochMetrics last) {
    }

    /**
     * The job's epoch loop as {@code fashion-mnist} runs it: {@link #EPOCHS} epochs of {@link #BATCHES}
     * batches, a checkpoint every {@link #CHECKPOINT_STEPS} steps and at every epoch end, resumed from
     * {@code dir} first when {@code resume}; every rank throws {@link Crash} after step {@code crashAfter}
     * (never when negative).
     */
    private static List<EpochRun> epochs(Algorithm a, Path dir, boolean resume, long crashAfter, long initSeed) {
        List<EpochRun> runs = new ArrayList<>();
        LocalCluster.call(RANKS, bf -> {
            try (Collectives c = Collectives.of(bf)) {
                MultiLayerNetwork net = model(initSeed);
                DecentralizedTrainer t = new DecentralizedTrainer(c, bf.mixingTopology(), net, config(a, RANKS));
                Batches train = new Batches(bf.rank());
                t.checkpointEverySteps(dir, CHECKPOINT_STEPS, train::position);
                t.addListener(new TrainingListener() {
                    @Override
                    public void iterationDone(int epoch, int iteration, int of, double loss) {
                        if (t.steps() == crashAfter) {
                            throw new Crash(crashAfter);
                        }
                    }
                });
                if (resume) {
                    train.restore(t.resume(dir).orElseThrow());
                }
                EpochMetrics last = null;
                for (int e = t.epochsCompleted() + 1; e <= EPOCHS; e++) {
                    last = t.fitEpoch(train, null);
                    t.saveCheckpoint(dir, train.position());
                }
                return new EpochRun(net.params().dup().data().asFloat(), last);
            }
        }).forEach(r -> runs.add((EpochRun) r));
        return runs;
    }

    /**
     * Killed after step {@code crash} (inside epoch 1 or 2) and resumed from the newest complete
     * checkpoint, which {@code --checkpoint-steps} took inside an epoch: the parameters and the last
     * epoch's loss, bytes and consensus equal an uninterrupted run's to the last bit.
     */
    @ParameterizedTest(name = "{0}, killed after step {1}")
    @org.junit.jupiter.params.provider.CsvSource({"ATC, 4", "ATC, 7", "EXACT_DIFFUSION, 4", "EXACT_DIFFUSION, 7",
            "PUSH_SUM, 4", "PUSH_SUM, 7", "GRADIENT_TRACKING, 7", "AWC, 7"})
    void killedMidEpochAndResumedFromAStepCheckpointContinuesBitIdentically(Algorithm a, long crash) throws Exception {
        List<EpochRun> uninterrupted = epochs(a, tmp.resolve("whole-" + a), false, -1, 7);
        Path dir = tmp.resolve("ckpt-" + a + "-" + crash);
        Exception died = assertThrows(Exception.class, () -> epochs(a, dir, false, crash, 7));
        assertTrue(String.valueOf(died).contains("crashed after step " + crash)
                || (died.getCause() != null && String.valueOf(died.getCause()).contains("crashed after step " + crash)), died::toString);
        // The newest complete checkpoint is a mid-epoch one: step 3 (epoch 1, 3 of 5) or step 6 (epoch 2, 1 of 5).
        long newest = Checkpoints.newestComplete(dir).getAsLong();
        assertEquals(crash / CHECKPOINT_STEPS * CHECKPOINT_STEPS, newest);
        assertTrue(newest % BATCHES != 0, "the checkpoint resumed from must lie inside an epoch, got step " + newest);
        List<EpochRun> resumed = epochs(a, dir, true, -1, 99);
        for (int r = 0; r < RANKS; r++) {
            assertArrayEquals(uninterrupted.get(r).params(), resumed.get(r).params(), a + ": rank " + r + " differs after resuming");
            EpochMetrics u = uninterrupted.get(r).last();
            EpochMetrics v = resumed.get(r).last();
            assertEquals(EPOCHS, v.epoch());
            assertEquals(u.trainLoss(), v.trainLoss(), 0.0, "epoch 2's loss");
            assertEquals(u.bytesSentPerStep(), v.bytesSentPerStep(), 0.0, "epoch 2's bytes per step");
            assertEquals(u.consensusDistance(), v.consensusDistance(), 0.0, "epoch 2's consensus distance");
            assertEquals(BATCHES, v.iterations());
        }
    }

    @Test
    void resumingWithOtherRanksOrTopologyIsAClearError() throws Exception {
        Path dir = tmp.resolve("ckpt");
        run(Algorithm.ATC, dir, false, 0, 2, 2, 7);
        assertTrue(Files.isRegularFile(dir.resolve("step-000000000002").resolve(Checkpoints.MANIFEST)));
        Checkpoints.CheckpointException ranks = assertThrows(Checkpoints.CheckpointException.class,
                () -> LocalCluster.call(RANKS + 1, bf -> {
                    try (Collectives c = Collectives.of(bf)) {
                        return new DecentralizedTrainer(c, bf.mixingTopology(), model(7), config(Algorithm.ATC, RANKS + 1))
                                .resume(dir);
                    }
                }));
        assertTrue(ranks.getMessage().contains("written by a job of 4 ranks, this job has 5"), ranks.getMessage());
        Checkpoints.CheckpointException topology = assertThrows(Checkpoints.CheckpointException.class,
                () -> LocalCluster.call(RANKS, bf -> {
                    try (Collectives c = Collectives.of(bf)) {
                        OptimizerConfig ring = OptimizerConfig.builder(Algorithm.ATC).updater(LocalUpdater.nesterov(0.1, 0.9))
                                .topology(Schedules.staticTopology(Topologies.ring(RANKS))).build();
                        return new DecentralizedTrainer(c, bf.mixingTopology(), model(7), ring).resume(dir);
                    }
                }));
        assertTrue(topology.getMessage().contains("the algorithm, updater or topology differ"), topology.getMessage());
    }

    @Test
    void aCheckpointWithoutManifestIsIgnoredAndACorruptFileIsNamed() throws Exception {
        Path dir = tmp.resolve("ckpt");
        run(Algorithm.ATC, dir, false, 0, 2, 2, 7);
        // An incomplete later checkpoint (a crash before rank 0's MANIFEST) is not resumed from.
        Files.createDirectories(dir.resolve("step-000000000005"));
        assertEquals(2L, Checkpoints.newestComplete(dir).getAsLong());
        Path file = dir.resolve("step-000000000002").resolve("rank-1.ckpt");
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 1;
        Files.write(file, bytes);
        Checkpoints.CheckpointException e = assertThrows(Checkpoints.CheckpointException.class,
                () -> run(Algorithm.ATC, dir, true, 0, 3, -1, 7));
        assertTrue(e.getMessage().contains(file + ": corrupt (CRC-32 mismatch)"), e.getMessage());
    }
}
