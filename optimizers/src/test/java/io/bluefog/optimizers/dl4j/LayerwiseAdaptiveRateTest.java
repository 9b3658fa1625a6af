package io.bluefog.optimizers.dl4j;

import io.bluefog.collectives.Collectives;
import io.bluefog.local.LocalCluster;
import io.bluefog.optimizers.Algorithm;
import io.bluefog.optimizers.OptimizerConfig;
import io.bluefog.optimizers.updaters.LayerwiseAdaptiveRate;
import io.bluefog.optimizers.updaters.LearningRateSchedule;
import io.bluefog.optimizers.updaters.LocalUpdater;
import io.bluefog.optimizers.updaters.ParameterBlocks;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * LARS and CLARS ({@link LayerwiseAdaptiveRate}) on a 2-layer float64 MLP (3-4-2): layer rates
 * against a hand computation of eq. (4.3)/(4.7), the step against the mNAG recursion eq. (4.6), and
 * CLARS through the trainer against the formula with every per-sample gradient computed one sample
 * at a time with DL4J.
 */
class LayerwiseAdaptiveRateTest {
    private static final double TOLERANCE = 1e-12;
    private static final int BATCH = 6;
    private static final double LR = 0.5;
    private static final double ETA = 0.01;
    private static final double BETA = 0.9;

    private static MultiLayerNetwork net() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(3).updater(new Sgd(0.1))
                .dataType(DataType.DOUBLE).list()
                .layer(new DenseLayer.Builder().nIn(3).nOut(4).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(4).nOut(2).activation(Activation.SOFTMAX).build())
                .build());
        net.init();
        return net;
    }

    private static DataSet batch() {
        Random r = new Random(17);
        double[][] x = new double[BATCH][3];
        double[][] y = new double[BATCH][2];
        for (int i = 0; i < BATCH; i++) {
            for (int k = 0; k < 3; k++) {
                x[i][k] = r.nextGaussian();
            }
            y[i][x[i][0] * x[i][1] > 0 ? 1 : 0] = 1;
        }
        return new DataSet(Nd4j.createFromArray(x), Nd4j.createFromArray(y));
    }

    private static double norm(double[] v, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += v[i] * v[i];
        }
        return Math.sqrt(s);
    }

    /** DL4J's gradient of example rows [from, to), summed over them. */
    private static double[] summedGradient(MultiLayerNetwork net, DataSet batch, int from, int to) {
        net.setInput(batch.getFeatures().get(org.nd4j.linalg.indexing.NDArrayIndex.interval(from, to)));
        net.setLabels(batch.getLabels().get(org.nd4j.linalg.indexing.NDArrayIndex.interval(from, to)));
        net.computeGradientAndScore();
        return net.getFlattenedGradients().toDoubleVector();
    }

    @Test
    void modelLayersAreTheBlocks() {
        ParameterBlocks blocks = ModelUpdater.layerBlocks(net());
        assertEquals(2, blocks.count());
        assertEquals(3 * 4 + 4, blocks.length(0));
        assertEquals(4 * 2 + 2, blocks.length(1));
        assertEquals(16, blocks.offset(1));
    }

    @Test
    void larsLayerRatesAndMomentumStepsByHand() {
        MultiLayerNetwork net = net();
        ParameterBlocks blocks = ModelUpdater.layerBlocks(net);
        double[] g = summedGradient(net, batch(), 0, BATCH);
        for (int i = 0; i < g.length; i++) {
            g[i] /= BATCH;
        }
        double[] w = net.params().toDoubleVector();
        int[] bounds = {0, 16, 26};
        LearningRateSchedule schedule = LearningRateSchedule.polynomial(LR, 0, 10, 2).withLinearWarmup(2);
        LayerwiseAdaptiveRate lars = LayerwiseAdaptiveRate.lars(schedule, ETA, BETA);
        double[] rates = lars.layerRates(3, blocks, Nd4j.createFromArray(w), Nd4j.createFromArray(g), null);
        for (int k = 0; k < 2; k++) {
            double expected = schedule.rate(3) * ETA * norm(w, bounds[k], bounds[k + 1]) / norm(g, bounds[k], bounds[k + 1]);
            assertEquals(expected, rates[k], TOLERANCE * expected, "layer " + k);
        }
        assertTrue(Math.abs(rates[0] / rates[1] - 1) > 1e-3, "the two layers get different rates: " + rates[0] + ", " + rates[1]);

        // three steps with gradients g, 2g, -g at the moving parameters against eq. (4.6):
        // v_{t+1} = w_t - sum_k rate_k U_k g_k; w_{t+1} = v_{t+1} + beta (v_{t+1} - v_t); v_0 = w_0
        LocalUpdater.State state = lars.newState(blocks, DataType.DOUBLE);
        INDArray params = Nd4j.createFromArray(w.clone());
        double[] refW = w.clone();
        double[] refV = w.clone();
        double[] scale = {1, 2, -1};
        for (int t = 0; t < 3; t++) {
            double[] gt = new double[g.length];
            for (int i = 0; i < g.length; i++) {
                gt[i] = scale[t] * g[i];
            }
            double[] layerRate = new double[2];
            for (int k = 0; k < 2; k++) {
                layerRate[k] = schedule.rate(t) * ETA * norm(refW, bounds[k], bounds[k + 1]) / norm(gt, bounds[k], bounds[k + 1]);
            }
            double[] nextV = new double[g.length];
            for (int i = 0; i < g.length; i++) {
                nextV[i] = refW[i] - layerRate[i < 16 ? 0 : 1] * gt[i];
                refW[i] = nextV[i] + BETA * (nextV[i] - refV[i]);
            }
            refV = nextV;
            INDArray d = Nd4j.createFromArray(gt);
            state.apply(d, new LocalUpdater.Context(params, t, null));
            params.subi(d);
        }
        double[] got = params.toDoubleVector();
        for (int i = 0; i < g.length; i++) {
            assertEquals(refW[i], got[i], TOLERANCE * Math.max(1, Math.abs(refW[i])), "parameter " + i);
        }
        IllegalStateException noParams = assertThrows(IllegalStateException.class, () -> state.apply(Nd4j.createFromArray(g), 0));
        assertTrue(noParams.getMessage().contains("LARS needs the parameters"), noParams.getMessage());
    }

    /** CLARS's first step through the trainer on one rank, against eq. (4.7) with DL4J's per-sample gradients. */
    private static void clarsThroughTheTrainer(int subset) {
        MultiLayerNetwork reference = net();
        DataSet batch = batch();
        double[] w = reference.params().toDoubleVector();
        int used = Math.min(subset, BATCH);
        int[] bounds = {0, 16, 26};
        double[] meanNorm = new double[2];
        for (int i = 0; i < used; i++) {
            double[] gi = summedGradient(reference, batch, i, i + 1);
            for (int k = 0; k < 2; k++) {
                meanNorm[k] += norm(gi, bounds[k], bounds[k + 1]) / used;
            }
        }
        double[] g = summedGradient(reference, batch, 0, BATCH);
        double[] expected = new double[w.length];
        for (int i = 0; i < w.length; i++) {
            int k = i < 16 ? 0 : 1;
            double rate = LR * ETA * norm(w, bounds[k], bounds[k + 1]) / meanNorm[k];
            // first mNAG step: w_1 = w_0 - (1 + beta) rate g
            expected[i] = w[i] - (1 + BETA) * rate * g[i] / BATCH;
        }
        LayerwiseAdaptiveRate clars = LayerwiseAdaptiveRate.clars(LearningRateSchedule.constant(LR), ETA, BETA, subset);
        List<double[]> got = LocalCluster.call(1, bf -> {
            MultiLayerNetwork model = net();
            try (Collectives c = Collectives.of(bf)) {
                DecentralizedTrainer trainer = new DecentralizedTrainer(c, bf.mixingTopology(), model,
                        OptimizerConfig.builder(Algorithm.ATC).updater(clars).build());
                trainer.step(batch);
            }
            return model.params().toDoubleVector();
        });
        for (int i = 0; i < w.length; i++) {
            assertEquals(expected[i], got.get(0)[i], TOLERANCE * Math.max(1, Math.abs(expected[i])), "|J| = " + subset + ", parameter " + i);
        }
    }

    @Test
    void clarsWithTheWholeBatchEqualsTheFormulaWithEveryPerSampleGradient() {
        clarsThroughTheTrainer(BATCH);
        clarsThroughTheTrainer(BATCH + 10);
    }

    @Test
    void clarsOnASubsetUsesItsFirstExamples() {
        clarsThroughTheTrainer(2);
    }

    @Test
    void clarsRateIsLarsTimesTheGradientCoherence() {
        // eq. (4.8): the CLARS rate is the LARS rate times ||mean g|| / mean ||g_i|| <= 1
        MultiLayerNetwork net = net();
        DataSet batch = batch();
        ParameterBlocks blocks = ModelUpdater.layerBlocks(net);
        INDArray w = net.params().dup();
        double[] g = summedGradient(net, batch, 0, BATCH);
        INDArray mean = Nd4j.createFromArray(g).divi(BATCH);
        double[] meanNorms = new double[2];
        int[] bounds = {0, 16, 26};
        for (int i = 0; i < BATCH; i++) {
            double[] gi = summedGradient(net, batch, i, i + 1);
            for (int k = 0; k < 2; k++) {
                meanNorms[k] += norm(gi, bounds[k], bounds[k + 1]) / BATCH;
            }
        }
        double[] lars = LayerwiseAdaptiveRate.lars(LearningRateSchedule.constant(LR), ETA, BETA).layerRates(0, blocks, w, mean, null);
        double[] clars = LayerwiseAdaptiveRate.clars(LearningRateSchedule.constant(LR), ETA, BETA, BATCH).layerRates(0, blocks, w, mean, meanNorms);
        double[] meanArr = mean.toDoubleVector();
        for (int k = 0; k < 2; k++) {
            double coherence = norm(meanArr, bounds[k], bounds[k + 1]) / meanNorms[k];
            assertTrue(coherence <= 1 + TOLERANCE, "coherence " + coherence);
            assertEquals(lars[k] * coherence, clars[k], TOLERANCE * lars[k], "layer " + k);
        }
        assertThrows(IllegalStateException.class, () -> LayerwiseAdaptiveRate.clars(LearningRateSchedule.constant(LR), ETA, BETA, 4)
                .layerRates(0, blocks, w, mean, null));
        assertThrows(IllegalArgumentException.class, () -> LayerwiseAdaptiveRate.clars(LearningRateSchedule.constant(LR), ETA, BETA, 0));
    }
}
