package io.bluefog.optimizers.pipeline.ddg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.collectives.pipeline.StageChannel;
import io.bluefog.collectives.pipeline.StageTensor;
import io.bluefog.local.LocalCluster;
import io.bluefog.optimizers.pipeline.ddg.DdgEngine.Method;
import io.bluefog.timeline.Timeline;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * {@link MultiLayerModule} on float64 DL4J networks against DL4J's own training: with K = 1 the
 * engine (both methods) equals {@code net.fit} with DL4J's {@link Sgd} step for step; with K = 2 and
 * 4 DDG equals a serial simulation that takes DL4J's {@code computeGradientAndScore()} gradient of
 * the whole network at w^s on batch s (s = t − K + k) and keeps module k's block.
 */
class MultiLayerModuleTest {
    /** float64; the module sums in another order than DL4J's whole-network pass: rounding only. */
    private static final double RELATIVE_TOLERANCE = 1e-10;
    private static final long TIMEOUT_MILLIS = 60_000;
    private static final int ROWS = 5;
    private static final int ITERATIONS = 5;
    private static final double LEARNING_RATE = 0.1;

    static MultiLayerNetwork mlp() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(42).dataType(DataType.DOUBLE)
                .updater(new Sgd(LEARNING_RATE)).weightInit(WeightInit.XAVIER).list()
                .layer(new DenseLayer.Builder().nIn(6).nOut(8).activation(Activation.TANH).build())
                .layer(new DenseLayer.Builder().nIn(8).nOut(7).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().nIn(7).nOut(5).activation(Activation.SIGMOID).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(5).nOut(3).activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    static MultiLayerNetwork cnn() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(7).dataType(DataType.DOUBLE)
                .updater(new Sgd(LEARNING_RATE)).weightInit(WeightInit.XAVIER).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(3).activation(Activation.TANH).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new DenseLayer.Builder().nOut(6).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutionalFlat(6, 6, 1))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    static MultiLayerNetwork net(String model) {
        return model.equals("cnn") ? cnn() : mlp();
    }

    static INDArray features(String model, long t) {
        int columns = model.equals("cnn") ? 36 : 6;
        SplittableRandom rnd = new SplittableRandom(100 + t);
        double[] v = new double[ROWS * columns];
        Arrays.setAll(v, i -> rnd.nextDouble(-1, 1));
        return Nd4j.create(v, new long[] {ROWS, columns}, 'c');
    }

    static INDArray labels(long t) {
        INDArray y = Nd4j.zeros(DataType.DOUBLE, ROWS, 3);
        for (int i = 0; i < ROWS; i++) {
            y.putScalar(i, (i * 7 + t) % 3, 1.0);
        }
        return y;
    }

    static StageTensor tensor(INDArray a) {
        INDArray c = a.dup('c');
        return new StageTensor(c.shape(), c.data().asDouble());
    }

    /** Runs the engine over {@code bounds}; returns each rank's full flat parameters after every iteration. */
    static List<List<double[]>> runEngine(String model, int[] bounds, Method method) {
        int modules = bounds.length - 1;
        return LocalCluster.call(modules, bf -> {
            MultiLayerNetwork net = net(model);
            StageChannel ch = StageChannel.oneStagePerRank(bf.communicator(), TIMEOUT_MILLIS);
            int s = ch.stage();
            MultiLayerModule m = new MultiLayerModule(net, bounds[s], bounds[s + 1]);
            DdgEngine engine = new DdgEngine(ch, m, DdgUpdater.sgd(LEARNING_RATE), method, Timeline.disabled());
            List<double[]> out = new ArrayList<>();
            for (long t = 0; t < ITERATIONS; t++) {
                engine.step(s == 0 ? tensor(features(model, t)) : null, m.isLast() ? tensor(labels(t)) : null);
                out.add(net.params().dup().data().asDouble());
            }
            engine.finish();
            return out;
        });
    }

    static void assertClose(double[] want, double[] got, int from, int to, String what) {
        double err = 0;
        double scale = 0;
        for (int i = from; i < to; i++) {
            err += (got[i] - want[i]) * (got[i] - want[i]);
            scale += want[i] * want[i];
        }
        assertTrue(Math.sqrt(err) <= RELATIVE_TOLERANCE * Math.sqrt(scale), what + ": relative error " + Math.sqrt(err / scale));
    }

    static Stream<Arguments> k1() {
        return Stream.of(Arguments.of("mlp", Method.DDG), Arguments.of("mlp", Method.FEATURES_REPLAY),
                Arguments.of("cnn", Method.DDG), Arguments.of("cnn", Method.FEATURES_REPLAY));
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("k1")
    void withOneModuleBothMethodsAreDl4jBackpropagation(String model, Method method) {
        List<double[]> got = runEngine(model, new int[] {0, 4}, method).get(0);
        MultiLayerNetwork reference = net(model);
        for (int t = 0; t < ITERATIONS; t++) {
            reference.fit(features(model, t), labels(t));
            double[] want = reference.params().dup().data().asDouble();
            assertClose(want, got.get(t), 0, want.length, "iteration " + t);
        }
    }

    static Stream<Arguments> splits() {
        return Stream.of(Arguments.of("mlp", new int[] {0, 2, 4}), Arguments.of("mlp", new int[] {0, 1, 2, 3, 4}),
                Arguments.of("cnn", new int[] {0, 2, 4}), Arguments.of("cnn", new int[] {0, 1, 3, 4}));
    }

    @ParameterizedTest(name = "{0} split {1}")
    @MethodSource("splits")
    void ddgEqualsTheSerialDelayedDl4jGradient(String model, int[] bounds) {
        int modules = bounds.length - 1;
        List<List<double[]>> runs = runEngine(model, bounds, Method.DDG);
        MultiLayerNetwork reference = net(model);
        int[] offsets = new int[modules + 1];
        for (int k = 0; k < modules; k++) {
            offsets[k + 1] = offsets[k];
            for (int j = bounds[k]; j < bounds[k + 1]; j++) {
                offsets[k + 1] += (int) reference.getLayer(j).numParams();
            }
        }
        List<double[]> w = new ArrayList<>();
        w.add(reference.params().dup().data().asDouble());
        for (int t = 0; t < ITERATIONS; t++) {
            double[] next = w.get(t).clone();
            for (int k = 0; k < modules; k++) {
                int s = t - (modules - 1 - k);
                if (s < 0) {
                    continue;
                }
                reference.setParams(Nd4j.createFromArray(w.get(s)).reshape(1, w.get(s).length));
                reference.setInput(features(model, s));
                reference.setLabels(labels(s));
                reference.computeGradientAndScore();
                double[] g = reference.gradient().gradient().dup().data().asDouble();
                for (int i = offsets[k]; i < offsets[k + 1]; i++) {
                    next[i] -= LEARNING_RATE * g[i] / ROWS;
                }
            }
            w.add(next);
            for (int k = 0; k < modules; k++) {
                assertClose(next, runs.get(k).get(t), offsets[k], offsets[k + 1], "module " + (k + 1) + " after iteration " + t);
            }
        }
    }

    @Test
    void rejectsBadRanges() {
        MultiLayerNetwork net = mlp();
        assertThrows(IllegalArgumentException.class, () -> new MultiLayerModule(net, 2, 2));
        assertThrows(IllegalArgumentException.class, () -> new MultiLayerModule(net, 0, 5));
        MultiLayerModule m = new MultiLayerModule(net, 0, 2);
        assertThrows(IllegalArgumentException.class, () -> m.setParameters(new double[3]));
        assertEquals(6 * 8 + 8 + 8 * 7 + 7, m.parameterCount());
    }
}
