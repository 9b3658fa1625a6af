package io.bluefog.optimizers.dl4j;

import io.bluefog.collectives.Collectives;
import io.bluefog.local.LocalCluster;
import io.bluefog.optimizers.Algorithm;
import io.bluefog.optimizers.DecentralizedOptimizer;
import io.bluefog.optimizers.OptimizerConfig;
import io.bluefog.optimizers.updaters.LocalUpdater;
import io.bluefog.topology.Topologies;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
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
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    @Test
    void oneRankStepsExactlyAsDl4jsOwnFit() {
        List<DataSet> data = batches(5, 16, 1);
        MultiLayerNetwork reference = new MultiLayerNetwork(conf(new Nesterovs(0.05, 0.9)));
        reference.init();
        for (DataSet d : data) {
            reference.fit(d);
        }
        INDArray ours = LocalCluster.call(1, bf -> {
            // the trainer uses the rank's shared Collectives.of(bf); the job closes it
            try (Collectives ignored = Collectives.of(bf)) {
                MultiLayerNetwork net = new MultiLayerNetwork(conf(new NoOp()));
                net.init();
                DecentralizedTrainer t = new DecentralizedTrainer(bf, net,
                        OptimizerConfig.builder(Algorithm.ATC).updater(LocalUpdater.nesterov(0.05, 0.9)).build());
                for (DataSet d : data) {
                    t.step(d);
                }
                return net.params().dup();
            }
        }).get(0);
        double diff = ours.sub(reference.params()).norm2Number().doubleValue();
        assertTrue(diff < PARAM_TOLERANCE * reference.params().norm2Number().doubleValue(),
                "parameters differ from DL4J's fit by " + diff);
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
