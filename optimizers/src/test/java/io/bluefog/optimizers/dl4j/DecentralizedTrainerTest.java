package io.bluefog.optimizers.dl4j;

import io.bluefog.collectives.Collectives;
import io.bluefog.local.LocalCluster;
import io.bluefog.optimizers.Algorithm;
import io.bluefog.optimizers.DecentralizedOptimizer;
import io.bluefog.optimizers.OptimizerConfig;
import io.bluefog.optimizers.OptimizerFactory;
import io.bluefog.optimizers.updaters.LocalUpdater;
import io.bluefog.topology.Topologies;
import io.bluefog.topology.Topology;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DecentralizedTrainerTest {
    /** float32 parameters after a few steps: agreement to float rounding. */
    private static final double PARAM_TOLERANCE = 1e-5;
    private static final long SEED = 7;
    /** Shares are ratios of nanosecond counters; allow for rounding of their sums. */
    private static final double SHARE_SLACK = 1e-9;

    private static MultiLayerConfiguration conf(IUpdater updater) {
        return new NeuralNetConfiguration.Builder().seed(SEED).updater(updater).dataType(DataType.FLOAT).list()
                .layer(new DenseLayer.Builder().nIn(4).nOut(8).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(8).nOut(3).activation(Activation.SOFTMAX).build())
                .build();
    }

    private static List<DataSet> batches(int count, int size, long seed) {
        Random r = new Random(seed);
        List<DataSet> out = new ArrayList<>();
        for (int b = 0; b < count; b++) {
            float[][] x = new float[size][4];
            float[][] y = new float[size][3];
            for (int i = 0; i < size; i++) {
                for (int k = 0; k < 4; k++) {
                    x[i][k] = (float) r.nextGaussian();
                }
                y[i][(x[i][0] + x[i][1] > 0 ? 1 : 0) + (x[i][2] > 1 ? 1 : 0)] = 1;
            }
            out.add(new DataSet(Nd4j.createFromArray(x), Nd4j.createFromArray(y)));
        }
        return out;
    }

    /**
     * A NaN in rank 1's third mini-batch makes its loss NaN: the job stops at that step with a
     * {@link TrainingDivergedException} naming rank 1 and step 3, not at the evaluation; rank 0's
     * parameters never saw a NaN.
     */
    @Test
    void aNonFiniteLossStopsTheJobAtTheFirstSuchStepNamingRankAndStep() {
        List<DataSet> data = batches(5, 16, 1);
        int n = 2;
        INDArray[] rank0Params = new INDArray[1];
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> LocalCluster.call(n, bf -> {
            try (Collectives ignored = Collectives.of(bf)) {
                MultiLayerNetwork net = new MultiLayerNetwork(conf(new Sgd(0.1)));
                net.init();
                DecentralizedTrainer t = new DecentralizedTrainer(bf, net, OptimizerConfig.builder(Algorithm.ATC).build());
                for (int k = 0; k < data.size(); k++) {
                    DataSet d = data.get(k).copy();
                    if (bf.rank() == 1 && k == 2) {
                        d.getFeatures().putScalar(0, 0, Double.NaN);
                    }
                    if (bf.rank() == 0) {
                        rank0Params[0] = net.params().dup();
                    }
                    t.step(d);
                }
                return null;
            }
        }));
        assertEquals(1, e.rank(), e.getMessage());
        assertEquals(3, e.step(), e.getMessage());
        assertTrue(e.getMessage().startsWith("rank 1: the training loss is NaN at step 3 (epoch 1)"), e.getMessage());
        assertTrue(rank0Params[0] != null && !rank0Params[0].isNaN().any() && !rank0Params[0].isInfinite().any(),
                "rank 0's parameters stayed finite");
    }

    /**
     * A rank whose data iterator yields one batch fewer than its peer's: the job names its epoch-end
     * calls, so the short rank's metrics allreduce meets its peer's last step and both fail with a
     * CollectiveMismatchException naming both calls, instead of pairing the wrong calls.
     */
    @Test
    void aRankThatTakesOneStepFewerFailsAtTheEpochsNamedCalls() {
        io.bluefog.CollectiveMismatchException e = assertThrows(io.bluefog.CollectiveMismatchException.class,
                () -> LocalCluster.call(2, bf -> {
                    try (Collectives ignored = Collectives.of(bf)) {
                        MultiLayerNetwork net = new MultiLayerNetwork(conf(new Sgd(0.1)));
                        net.init();
                        DecentralizedTrainer t = new DecentralizedTrainer(bf, net, OptimizerConfig.builder(Algorithm.ATC).build());
                        List<DataSet> mine = batches(bf.rank() == 1 ? 3 : 4, 16, 1);
                        return t.fitEpoch(new ExistingDataSetIterator(mine), null);
                    }
                }));
        assertTrue(e.getMessage().contains("'epoch 1 metrics'") && e.getMessage().contains("neighborAllreduce"),
                e.getMessage());
    }

    @Test
    void oneRankStepsExactlyAsDl4jsOwnFit() {
        assertStepsAsDl4jFit(new Nesterovs(0.05, 0.9), new NoOp(), LocalUpdater.nesterov(0.05, 0.9));
    }

    /** Without a local updater in the configuration the trainer takes the model's: the same steps as DL4J's fit. */
    @Test
    void theModelsOwnUpdaterIsTheLocalUpdaterWhenTheConfigurationNamesNone() {
        assertStepsAsDl4jFit(new Nesterovs(0.05, 0.9), new Nesterovs(0.05, 0.9), null);
        assertStepsAsDl4jFit(new Adam(0.01), new Adam(0.01), null);
        assertStepsAsDl4jFit(new Sgd(0.2), new Sgd(0.2), null);
    }

    /**
     * One rank, ATC: DL4J's fit with {@code reference} against the trainer on a model built with
     * {@code modelUpdater} and a configuration with {@code local} (null: none).
     */
    private static void assertStepsAsDl4jFit(IUpdater reference, IUpdater modelUpdater, LocalUpdater local) {
        List<DataSet> data = batches(5, 16, 1);
        MultiLayerNetwork expected = new MultiLayerNetwork(conf(reference));
        expected.init();
        for (DataSet d : data) {
            expected.fit(d);
        }
        OptimizerConfig.Builder config = OptimizerConfig.builder(Algorithm.ATC);
        if (local != null) {
            config.updater(local);
        }
        Object[] ours = LocalCluster.call(1, bf -> {
            // the trainer uses the rank's shared Collectives.of(bf); the job closes it
            try (Collectives ignored = Collectives.of(bf)) {
                MultiLayerNetwork net = new MultiLayerNetwork(conf(modelUpdater));
                net.init();
                DecentralizedTrainer t = new DecentralizedTrainer(bf, net, config.build());
                for (DataSet d : data) {
                    t.step(d);
                }
                return new Object[] {net.params().dup(), t.optimizer().config().updater().toString()};
            }
        }).get(0);
        INDArray params = (INDArray) ours[0];
        assertEquals((local != null ? local : LocalUpdater.of(modelUpdater)).toString(), ours[1]);
        double diff = params.sub(expected.params()).norm2Number().doubleValue();
        assertTrue(diff < PARAM_TOLERANCE * expected.params().norm2Number().doubleValue(),
                reference + ": parameters differ from DL4J's fit by " + diff);
        assertTrue(expected.params().sub(conf0Params(modelUpdater)).norm2Number().doubleValue() > 0, "the steps moved the parameters");
    }

    private static INDArray conf0Params(IUpdater updater) {
        MultiLayerNetwork net = new MultiLayerNetwork(conf(updater));
        net.init();
        return net.params();
    }

    @Test
    void layersWithDifferentUpdatersAreAnErrorNamingThem() {
        MultiLayerConfiguration mixed = new NeuralNetConfiguration.Builder().seed(SEED).updater(new Adam(0.01)).dataType(DataType.FLOAT).list()
                .layer(new DenseLayer.Builder().nIn(4).nOut(8).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(8).nOut(3).updater(new Nesterovs(0.05, 0.9))
                        .activation(Activation.SOFTMAX).build())
                .build();
        String msg = trainerError(mixed, OptimizerConfig.builder(Algorithm.ATC).build());
        assertTrue(msg.contains("different DL4J updaters") && msg.contains("Adam") && msg.contains("Nesterovs")
                && msg.contains("layer 0") && msg.contains("layer 1") && msg.contains("(OutputLayer) W"), msg);
        // naming a local updater resolves it: then the model's updaters are not used
        MultiLayerNetwork net = new MultiLayerNetwork(mixed);
        net.init();
        LocalCluster.run(1, bf -> {
            try (Collectives ignored = Collectives.of(bf)) {
                new DecentralizedTrainer(bf, net, OptimizerConfig.builder(Algorithm.ATC).updater(LocalUpdater.sgd(0.1)).build());
            }
        });
    }

    @Test
    void regularizationAndGradientNormalizationAreErrorsNotSilentlyDropped() {
        MultiLayerConfiguration regularized = new NeuralNetConfiguration.Builder().seed(SEED).updater(new Sgd(0.1)).l2(1e-4)
                .dataType(DataType.FLOAT).list()
                .layer(new DenseLayer.Builder().nIn(4).nOut(8).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(8).nOut(3).activation(Activation.SOFTMAX)
                        .gradientNormalization(GradientNormalization.ClipL2PerLayer).build())
                .build();
        String msg = trainerError(regularized, OptimizerConfig.builder(Algorithm.ATC).updater(LocalUpdater.sgd(0.1)).build());
        assertTrue(msg.contains("layer 0 (DenseLayer) W regularization [L2Regularization")
                && msg.contains("layer 1 (OutputLayer) gradient normalization ClipL2PerLayer"), msg);
    }

    @Test
    void aModelUpdaterWithoutLocalCounterpartIsAnError() {
        String msg = trainerError(conf(new NoOp()), OptimizerConfig.builder(Algorithm.ATC).build());
        assertTrue(msg.contains("NoOp") && msg.contains("layer 0") && msg.contains("OptimizerConfig.Builder.updater"), msg);
    }

    @Test
    void theBuiltInFactoryNeedsAnAlgorithm() {
        String msg = trainerError(conf(new Sgd(0.1)), OptimizerConfig.builder().build());
        assertTrue(msg.contains("names no algorithm"), msg);
    }

    /** The trainer's constructor on one rank; every error is thrown before communication. */
    private static String trainerError(MultiLayerConfiguration conf, OptimizerConfig config) {
        return LocalCluster.call(1, bf -> {
            try (Collectives ignored = Collectives.of(bf)) {
                MultiLayerNetwork net = new MultiLayerNetwork(conf);
                net.init();
                return assertThrows(IllegalArgumentException.class, () -> new DecentralizedTrainer(bf, net, config)).getMessage();
            }
        }).get(0);
    }

    /** A user's subclass, outside the built-in algorithms: ATC written on the public helpers. */
    static final class UserAtc extends DecentralizedOptimizer {
        UserAtc(Collectives collectives, Topology defaultTopology, INDArray params, OptimizerConfig config) {
            super(collectives, defaultTopology, params, config);
        }

        @Override
        protected void update(INDArray gradient, Topology w, long round) {
            INDArray x = parameters();
            x.subi(localStep(gradient).reshape(x.shape()));
            if (w != null) {
                mix(x, w);
            }
        }
    }

    @Test
    void aUserSubclassTrainsThroughItsFactoryAndStepsAsTheBuiltInAlgorithm() {
        int n = 4; // ring(3) would be the complete graph: the models would stay equal
        OptimizerConfig custom = OptimizerConfig.builder().topology(Topologies.ring(n)).build();
        OptimizerConfig builtIn = OptimizerConfig.builder(Algorithm.ATC).topology(Topologies.ring(n)).build();
        List<double[][]> got = LocalCluster.call(n, bf -> {
            try (Collectives ignored = Collectives.of(bf)) {
                MultiLayerNetwork mine = new MultiLayerNetwork(conf(new Nesterovs(0.05, 0.9)));
                mine.init();
                DecentralizedTrainer t = new DecentralizedTrainer(bf, mine, custom, UserAtc::new);
                MultiLayerNetwork reference = new MultiLayerNetwork(conf(new Nesterovs(0.05, 0.9)));
                reference.init();
                DecentralizedTrainer r = new DecentralizedTrainer(bf, reference, builtIn);
                for (DataSet b : batches(6, 8, 100 + bf.rank())) {
                    t.step(b);
                    r.step(b);
                }
                assertTrue(t.optimizer() instanceof UserAtc);
                assertEquals(6, t.optimizer().rounds());
                return new double[][] {mine.params().toDoubleVector(), reference.params().toDoubleVector()};
            }
        });
        for (double[][] r : got) {
            assertArrayEquals(r[1], r[0], 0.0, "the user's ATC steps bit for bit as the built-in ATC");
        }
        assertFalse(java.util.Arrays.equals(got.get(0)[0], got.get(1)[0]), "different data on the ranks: the models differ");
    }

    @Test
    void aFactoryMustUpdateTheModelsParameters() {
        OptimizerFactory elsewhere = (c, t, p, cfg) -> DecentralizedOptimizer.create(c, t, p.dup(), cfg);
        String msg = LocalCluster.call(1, bf -> {
            try (Collectives ignored = Collectives.of(bf)) {
                MultiLayerNetwork net = new MultiLayerNetwork(conf(new Sgd(0.1)));
                net.init();
                return assertThrows(IllegalArgumentException.class,
                        () -> new DecentralizedTrainer(bf, net, OptimizerConfig.builder(Algorithm.ATC).build(), elsewhere)).getMessage();
            }
        }).get(0);
        assertTrue(msg.contains("must update the params array it was given"), msg);
    }

    @Test
    void allreduceKeepsRanksEqualAndOthersReportConsensusAndAccuracy() {
        int n = 3;
        List<EpochMetrics> metrics = LocalCluster.call(n, bf -> {
            // the trainer uses the rank's shared Collectives.of(bf); the job closes it
            try (Collectives ignored = Collectives.of(bf)) {
                MultiLayerNetwork net = new MultiLayerNetwork(conf(new NoOp()));
                net.init();
                DecentralizedTrainer t = new DecentralizedTrainer(bf, net, OptimizerConfig.builder(Algorithm.ALLREDUCE)
                        .updater(LocalUpdater.sgd(0.1)).topology(Topologies.ring(n)).build());
                List<EpochMetrics> seen = new ArrayList<>();
                t.addListener(new TrainingListener() {
                    @Override
                    public void epochDone(EpochMetrics m) {
                        seen.add(m);
                    }
                });
                ExistingDataSetIterator train = new ExistingDataSetIterator(batches(4, 8, 100 + bf.rank()));
                ExistingDataSetIterator test = new ExistingDataSetIterator(batches(2, 32, 999));
                EpochMetrics m = t.fitEpoch(train, test);
                assertEquals(1, seen.size());
                return m;
            }
        });
        for (EpochMetrics m : metrics) {
            assertEquals(metrics.get(0), m, "epoch metrics are job-wide, equal on every rank");
        }
        EpochMetrics m = metrics.get(0);
        assertEquals(0.0, m.consensusDistance(), 1e-12, "gradient allreduce keeps every model equal");
        assertEquals(m.averagedAccuracy(), m.localAccuracy(), 1e-12);
        assertEquals(4, m.iterations());
        assertTrue(m.trainLoss() > 0 && m.samplesPerSecond() > 0 && m.communicationShare() >= 0 && m.communicationShare() <= 1, m.toString());
        // The engine's two parts lie inside the optimizer's communication time (same ranks, same window).
        assertTrue(m.exchangeShare() > 0 && m.waitShare() >= 0, m.toString());
        assertTrue(m.exchangeShare() + m.waitShare() <= m.communicationShare() + SHARE_SLACK, m.toString());
        assertFalse(m.overlapped(), "allreduce starts nothing before the gradient");
    }

    /**
     * Job-wide epochs (an asynchronous optimizer with a {@code JobStepCounter}): an epoch ends when
     * the ranks together have taken ranks x batches steps; whatever each rank's share (rank 1 is
     * slowed down), the job's total after epoch e is at least e x ranks x batches (the overshoot
     * depends on message delays and is not asserted), and after each epoch every rank's count is the
     * exact total. Synchronous optimizers and a staleness bound are refused.
     */
    @Test
    void jobWideEpochsCountTheJobsStepsNotEachRanks() {
        int n = 3;
        int batchesPerRank = 4;
        int epochs = 2;
        Topology g = Topologies.exponential(n);
        List<long[]> got = LocalCluster.call(n, bf -> {
            try (Collectives ignored = Collectives.of(bf)) {
                MultiLayerNetwork net = new MultiLayerNetwork(conf(new NoOp()));
                net.init();
                DecentralizedTrainer t = new DecentralizedTrainer(bf, net, OptimizerConfig.builder(Algorithm.ASYNC_PUSH_SUM)
                        .updater(LocalUpdater.sgd(0.1)).topology(g).build());
                if (bf.rank() == 1) {
                    t.addListener(new TrainingListener() {
                        @Override
                        public void iterationDone(int epoch, int iteration, int of, double loss) {
                            try {
                                Thread.sleep(5);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                    });
                }
                long[] out = new long[2 * epochs];
                try (io.bluefog.optimizers.async.JobStepCounter c = new io.bluefog.optimizers.async.JobStepCounter(bf)) {
                    t.shareEpochSteps(c, batchesPerRank);
                    ExistingDataSetIterator train = new ExistingDataSetIterator(batches(batchesPerRank, 8, 100 + bf.rank()));
                    for (int e = 0; e < epochs; e++) {
                        t.fitEpoch(train, null);
                        out[2 * e] = t.steps();
                        out[2 * e + 1] = c.jobSteps();
                    }
                    ((io.bluefog.optimizers.async.WindowOptimizer) t.optimizer()).close();
                }
                return out;
            }
        });
        for (int e = 0; e < epochs; e++) {
            long total = 0;
            for (long[] r : got) {
                total += r[2 * e];
            }
            long budget = (long) (e + 1) * n * batchesPerRank;
            assertTrue(total >= budget, "epoch " + (e + 1) + ": " + total + " steps for a budget of " + budget);
            for (int r = 0; r < n; r++) {
                assertEquals(total, got.get(r)[2 * e + 1], "rank " + r + "'s count after epoch " + (e + 1));
            }
        }
        LocalCluster.run(1, bf -> {
            try (Collectives ignored = Collectives.of(bf)) {
                MultiLayerNetwork net = new MultiLayerNetwork(conf(new NoOp()));
                net.init();
                DecentralizedTrainer atc = new DecentralizedTrainer(bf, net, OptimizerConfig.builder(Algorithm.ATC)
                        .updater(LocalUpdater.sgd(0.1)).build());
                assertThrows(IllegalArgumentException.class, () -> atc.shareEpochSteps(null, 1));
                DecentralizedTrainer bounded = new DecentralizedTrainer(Collectives.of(bf), bf.mixingTopology(), net,
                        OptimizerConfig.builder(Algorithm.ASYNC_PUSH_SUM).updater(LocalUpdater.sgd(0.1)).build(),
                        io.bluefog.optimizers.async.AsyncPushSum.factory(2));
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> bounded.shareEpochSteps(null, 1));
                assertTrue(e.getMessage().contains("staleness"), e.getMessage());
                ((io.bluefog.optimizers.async.WindowOptimizer) bounded.optimizer()).close();
            }
        });
    }

    /** The trainer starts AWC's combine before the gradient: same parameters as stepping AWC by hand without it. */
    @Test
    void awcOverlapsItsCombineWithTheGradientAndStepsAsWithout() {
        int n = 3;
        OptimizerConfig awc = OptimizerConfig.builder(Algorithm.AWC).updater(LocalUpdater.sgd(0.1))
                .topology(Topologies.ring(n)).build();
        List<Object[]> got = LocalCluster.call(n, bf -> {
            try (Collectives ignored = Collectives.of(bf)) {
                MultiLayerNetwork overlapped = new MultiLayerNetwork(conf(new NoOp()));
                overlapped.init();
                DecentralizedTrainer t = new DecentralizedTrainer(bf, overlapped, awc);
                EpochMetrics m = t.fitEpoch(new ExistingDataSetIterator(batches(5, 8, 100 + bf.rank())), null);

                MultiLayerNetwork plain = new MultiLayerNetwork(conf(new NoOp()));
                plain.init();
                DecentralizedOptimizer opt = DecentralizedOptimizer.create(bf, plain.params(), awc);
                for (DataSet b : batches(5, 8, 100 + bf.rank())) {
                    plain.setInput(b.getFeatures());
                    plain.setLabels(b.getLabels());
                    plain.computeGradientAndScore();
                    opt.step(plain.getFlattenedGradients().divi(b.numExamples()));
                }
                return new Object[] {m, overlapped.params().toDoubleVector(), plain.params().toDoubleVector(),
                        t.optimizer().overlappedRounds(), opt.overlappedRounds()};
            }
        });
        for (Object[] r : got) {
            EpochMetrics m = (EpochMetrics) r[0];
            assertTrue(m.overlapped(), m.toString());
            assertArrayEquals((double[]) r[2], (double[]) r[1], 0.0, "overlapped AWC steps bit for bit as AWC without it");
            assertEquals(5L, r[3]);
            assertEquals(0L, r[4]);
        }
    }

    @Test
    void computationGraphTrainsWithGossip() {
        int n = 2;
        List<Double> distances = LocalCluster.call(n, bf -> {
            // the trainer uses the rank's shared Collectives.of(bf); the job closes it
            try (Collectives ignored = Collectives.of(bf)) {
                ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(SEED).updater(new NoOp())
                        .graphBuilder().addInputs("in")
                        .addLayer("h", new DenseLayer.Builder().nIn(4).nOut(8).activation(Activation.TANH).build(), "in")
                        .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(8).nOut(3)
                                .activation(Activation.SOFTMAX).build(), "h")
                        .setOutputs("out").build();
                ComputationGraph cg = new ComputationGraph(conf);
                cg.init();
                DecentralizedTrainer t = new DecentralizedTrainer(bf, cg, OptimizerConfig.builder(Algorithm.AWC)
                        .updater(LocalUpdater.sgd(0.1)).topology(Topologies.ring(n)).build());
                double before = Double.NaN;
                for (DataSet d : batches(6, 8, 50 + bf.rank())) {
                    double loss = t.step(d);
                    before = Double.isNaN(before) ? loss : before;
                }
                return t.consensusDistance();
            }
        });
        // different data on the two ranks: the models differ, but AWC on 2 ranks keeps them close
        assertTrue(distances.get(0) > 0 && distances.get(0) < 1e-1, "consensus distance " + distances.get(0));
        assertEquals(distances.get(0), distances.get(1), 0.0);
    }
}
