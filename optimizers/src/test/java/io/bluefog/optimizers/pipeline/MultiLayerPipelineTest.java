package io.bluefog.optimizers.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.collectives.pipeline.StageChannel;
import io.bluefog.collectives.pipeline.StageTensor;
import io.bluefog.local.LocalCluster;
import io.bluefog.timeline.Timeline;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * A DL4J network split at layer boundaries over Δ ranks (LocalCluster), batch split in K
 * micro-batches: the stages' accumulated parameter gradients equal the single-process
 * {@code computeGradientAndScore()} gradient of the whole batch (divided by the batch size: DL4J's is
 * the summed loss's), layer by layer, and the
 * micro-batch losses weighted by m_k/m equal its score.
 */
class MultiLayerPipelineTest {
    /** float64 networks; the pipeline sums micro-batch gradients, DL4J sums rows at once: rounding only. */
    private static final double RELATIVE_TOLERANCE = 1e-10;
    static final int BATCH = 10;
    private static final long TIMEOUT_MILLIS = 60_000;

    static MultiLayerNetwork mlp() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(42).dataType(DataType.DOUBLE)
                .weightInit(WeightInit.XAVIER).list()
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
                .weightInit(WeightInit.XAVIER).list()
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

    static INDArray features(int columns) {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(5);
        double[] v = new double[BATCH * columns];
        java.util.Arrays.setAll(v, i -> rnd.nextDouble(-1, 1));
        return Nd4j.create(v, new long[] {BATCH, columns}, 'c');
    }

    static INDArray labels() {
        INDArray y = Nd4j.zeros(DataType.DOUBLE, BATCH, 3);
        for (int i = 0; i < BATCH; i++) {
            y.putScalar(i, (i * 7) % 3, 1.0);
        }
        return y;
    }

    /** Micro-batch sizes as equal as possible: the first BATCH % K get one more row. */
    static int[] rowBounds(int k) {
        int[] b = new int[k + 1];
        for (int i = 0; i < k; i++) {
            b[i + 1] = b[i] + BATCH / k + (i < BATCH % k ? 1 : 0);
        }
        return b;
    }

    static Stream<Arguments> splits() {
        return Stream.of(
                Arguments.of("mlp", new int[] {0, 4}, 1), Arguments.of("mlp", new int[] {0, 4}, 3),
                Arguments.of("mlp", new int[] {0, 1, 4}, 2), Arguments.of("mlp", new int[] {0, 3, 4}, 5),
                Arguments.of("mlp", new int[] {0, 2, 3, 4}, 4), Arguments.of("mlp", new int[] {0, 1, 2, 3, 4}, 3),
                Arguments.of("mlp", new int[] {0, 1, 2, 3, 4}, 5), Arguments.of("cnn", new int[] {0, 2, 4}, 3),
                Arguments.of("cnn", new int[] {0, 1, 3, 4}, 2), Arguments.of("cnn", new int[] {0, 1, 2, 3, 4}, 5));
    }

    @ParameterizedTest(name = "{0} split {1}, K = {2}")
    @MethodSource("splits")
    void stageGradientsEqualTheSingleProcessGradient(String model, int[] bounds, int k) {
        boolean isCnn = model.equals("cnn");
        INDArray x = features(isCnn ? 36 : 6);
        INDArray y = labels();
        MultiLayerNetwork reference = isCnn ? cnn() : mlp();
        reference.setInput(x);
        reference.setLabels(y);
        reference.computeGradientAndScore();
        Map<String, INDArray> expected = reference.gradient().gradientForVariable();
        double expectedScore = reference.score();

        int stages = bounds.length - 1;
        int[] rows = rowBounds(k);
        double[] weights = new double[k];
        List<StageTensor> inputs = new ArrayList<>();
        List<INDArray> microLabels = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            weights[i] = (rows[i + 1] - rows[i]) / (double) BATCH;
            INDArray xi = x.get(NDArrayIndex.interval(rows[i], rows[i + 1]), NDArrayIndex.all()).dup('c');
            inputs.add(new StageTensor(xi.shape(), xi.data().asDouble()));
            microLabels.add(y.get(NDArrayIndex.interval(rows[i], rows[i + 1]), NDArrayIndex.all()).dup());
        }
        List<Map<String, INDArray>> perRank = new ArrayList<>(LocalCluster.call(stages, bf -> {
            MultiLayerNetwork net = isCnn ? cnn() : mlp();
            StageChannel ch = StageChannel.oneStagePerRank(bf.communicator(), TIMEOUT_MILLIS);
            int s = ch.stage();
            MultiLayerStage stage = new MultiLayerStage(net, bounds[s], bounds[s + 1]);
            if (stage.isLast()) {
                stage.setLabels(microLabels);
            }
            GPipeEngine.Pass pass = new GPipeEngine(ch, stage, Timeline.disabled()).run(s == 0 ? inputs : null, weights);
            Map<String, INDArray> g = new HashMap<>(stage.gradients());
            if (stage.isLast()) {
                double score = 0;
                for (int i = 0; i < k; i++) {
                    score += weights[i] * pass.losses()[i];
                }
                g.put("score", Nd4j.scalar(score));
            }
            return g;
        }));
        Map<String, INDArray> all = new HashMap<>();
        perRank.forEach(all::putAll);
        assertEquals(expectedScore, all.remove("score").getDouble(0), RELATIVE_TOLERANCE * Math.abs(expectedScore));
        assertEquals(expected.keySet(), all.keySet(), "every parameter's gradient comes from exactly one stage");
        for (Map.Entry<String, INDArray> e : expected.entrySet()) {
            INDArray got = all.get(e.getKey());
            assertNotNull(got, e.getKey());
            // DL4J's gradient is that of the summed loss: the mean loss's gradient times BATCH
            INDArray want = e.getValue().reshape(got.shape()).div(BATCH);
            double err = got.sub(want).norm2Number().doubleValue();
            double scale = Math.max(want.norm2Number().doubleValue(), 1e-300);
            assertTrue(err <= RELATIVE_TOLERANCE * scale, e.getKey() + ": relative error " + err / scale);
        }
    }

    /** The largest stage cost of {@code bounds}. */
    private static double bottleneck(double[] costs, int[] bounds) {
        double worst = 0;
        for (int s = 0; s + 1 < bounds.length; s++) {
            double c = 0;
            for (int j = bounds[s]; j < bounds[s + 1]; j++) {
                c += costs[j];
            }
            worst = Math.max(worst, c);
        }
        return worst;
    }

    /** The smallest bottleneck over every split of costs into stages ranges, by enumeration. */
    private static double bruteForceBottleneck(double[] costs, int stages, int from) {
        if (stages == 1) {
            double c = 0;
            for (int j = from; j < costs.length; j++) {
                c += costs[j];
            }
            return c;
        }
        double best = Double.POSITIVE_INFINITY;
        double head = 0;
        for (int e = from + 1; e <= costs.length - stages + 1; e++) {
            head += costs[e - 1];
            best = Math.min(best, Math.max(head, bruteForceBottleneck(costs, stages - 1, e)));
        }
        return best;
    }

    @Test
    void timeBalancedSplitMinimisesTheSlowestStage() {
        // one slow layer at the end: it gets a stage of its own, the rest share the others
        assertArrayEquals(new int[] {0, 4, 5}, MultiLayerStage.timeBalancedSplit(new double[] {1, 1, 1, 1, 4}, 2));
        // a parameter-count split of a CNN would not see that the small conv layers are the slow ones
        assertArrayEquals(new int[] {0, 1, 3, 6},
                MultiLayerStage.timeBalancedSplit(new double[] {5, 1, 3, 0.5, 0.5, 0.2}, 3));
        // ties: the earliest boundaries
        assertArrayEquals(new int[] {0, 1, 2, 4}, MultiLayerStage.timeBalancedSplit(new double[] {1, 1, 1, 1}, 3));
        assertArrayEquals(new int[] {0, 3}, MultiLayerStage.timeBalancedSplit(new double[] {1, 2, 3}, 1));
        assertArrayEquals(new int[] {0, 1, 2, 3}, MultiLayerStage.timeBalancedSplit(new double[] {1, 2, 3}, 3));
        SplittableRandom rnd = new SplittableRandom(7);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + rnd.nextInt(9);
            double[] costs = new double[n];
            for (int j = 0; j < n; j++) {
                costs[j] = rnd.nextInt(4) == 0 ? 0 : rnd.nextDouble() * 10;
            }
            int stages = 1 + rnd.nextInt(n);
            int[] b = MultiLayerStage.timeBalancedSplit(costs, stages);
            assertEquals(stages + 1, b.length);
            assertEquals(0, b[0]);
            assertEquals(n, b[stages]);
            for (int s = 0; s < stages; s++) {
                assertTrue(b[s] < b[s + 1], java.util.Arrays.toString(b));
            }
            assertEquals(bruteForceBottleneck(costs, stages, 0), bottleneck(costs, b), 0.0, java.util.Arrays.toString(costs));
        }
        assertThrows(IllegalArgumentException.class, () -> MultiLayerStage.timeBalancedSplit(new double[] {1, 2}, 3));
        assertThrows(IllegalArgumentException.class, () -> MultiLayerStage.timeBalancedSplit(new double[] {1, -2}, 1));
        assertThrows(IllegalArgumentException.class, () -> MultiLayerStage.timeBalancedSplit(new double[] {1, Double.NaN}, 1));
    }

    @Test
    void measuredLayerTimesCoverEveryLayerAndFeedTheSplit() {
        MultiLayerNetwork net = mlp();
        INDArray x = Nd4j.rand(DataType.DOUBLE, BATCH, (int) net.getLayer(0).getParam("W").size(0));
        INDArray y = Nd4j.zeros(DataType.DOUBLE, BATCH, (int) net.getLayer(net.getnLayers() - 1).getParam("W").size(1));
        for (int i = 0; i < BATCH; i++) {
            y.putScalar(i, i % y.size(1), 1.0);
        }
        double[] t = MultiLayerStage.measureLayerSeconds(net, x, y, 3);
        assertEquals(net.getnLayers(), t.length);
        for (double v : t) {
            assertTrue(v >= 0 && Double.isFinite(v), java.util.Arrays.toString(t));
        }
        int[] b = MultiLayerStage.timeBalancedSplit(t, 2);
        assertEquals(3, b.length);
        assertThrows(IllegalArgumentException.class, () -> MultiLayerStage.measureLayerSeconds(net, x, y, 0));
    }

    @Test
    void balancedSplitGivesEveryStageALayerAndCoversTheNetwork() {
        MultiLayerNetwork net = mlp();
        for (int stages = 1; stages <= 4; stages++) {
            int[] b = MultiLayerStage.balancedSplit(net, stages);
            assertEquals(0, b[0]);
            assertEquals(4, b[stages]);
            for (int s = 0; s < stages; s++) {
                assertTrue(b[s] < b[s + 1], java.util.Arrays.toString(b));
            }
        }
        assertThrows(IllegalArgumentException.class, () -> MultiLayerStage.balancedSplit(net, 5));
        assertThrows(IllegalArgumentException.class, () -> new MultiLayerStage(net, 2, 2));
    }

}
