package io.bluefog.optimizers.dl4j.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** {@link CachingDenseLayer} against DL4J's own dense layer: the same bits, whatever the call sequence. */
class CachingDenseLayerTest {
    private static final int IN = 40;
    private static final int BATCH = 16;

    private static DenseLayer dense(int nIn, int nOut) {
        return new DenseLayer.Builder().nIn(nIn).nOut(nOut).activation(Activation.RELU).build();
    }

    /** A 40-32-24-5 MLP; {@code caching}: both dense layers are CachingDenseLayer, the first without input gradient. */
    private static MultiLayerNetwork mlp(boolean caching) {
        DenseLayer first = dense(IN, 32);
        DenseLayer second = dense(32, 24);
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(7).updater(new NoOp())
                .weightInit(WeightInit.XAVIER).dataType(DataType.FLOAT).list()
                .layer(caching ? CachingDenseLayer.of(first, false) : first)
                .layer(caching ? CachingDenseLayer.of(second, true) : second)
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(24).nOut(5)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    private static INDArray features(Random rnd, int rows) {
        float[] v = new float[rows * IN];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return Nd4j.create(v, new long[] {rows, IN}, 'c');
    }

    private static INDArray labels(Random rnd, int rows) {
        INDArray y = Nd4j.zeros(DataType.FLOAT, rows, 5);
        for (int r = 0; r < rows; r++) {
            y.putScalar(r, rnd.nextInt(5), 1f);
        }
        return y;
    }

    @Test
    void gradientsAndScoresEqualDl4jsBitForBitOverTrainingSteps() {
        MultiLayerNetwork ref = mlp(false);
        MultiLayerNetwork ours = mlp(true);
        assertInstanceOf(CachingDense.class, ours.getLayer(0));
        assertArrayEquals(ref.params().toFloatVector(), ours.params().toFloatVector(), 0f, "same initial weights");
        Random rnd = new Random(11);
        for (int step = 0; step < 6; step++) {
            int rows = step == 3 ? 5 : BATCH; // one smaller batch: the kept z is reshaped
            INDArray x = features(rnd, rows);
            INDArray y = labels(rnd, rows);
            for (MultiLayerNetwork net : new MultiLayerNetwork[] {ref, ours}) {
                net.setInput(x);
                net.setLabels(y);
                net.computeGradientAndScore();
            }
            float[] g = ref.getFlattenedGradients().toFloatVector();
            assertArrayEquals(g, ours.getFlattenedGradients().toFloatVector(), 0f, "gradient, step " + step);
            assertEquals(Double.doubleToLongBits(ref.score()), Double.doubleToLongBits(ours.score()), "score, step " + step);
            // an SGD step on both, so that a z kept from an earlier step would give different bits
            ref.params().subi(ref.getFlattenedGradients().reshape(ref.params().shape()).mul(0.5));
            ours.params().subi(ours.getFlattenedGradients().reshape(ours.params().shape()).mul(0.5));
        }
        assertFalse(java.util.Arrays.equals(ref.params().toFloatVector(), mlp(false).params().toFloatVector()),
                "the steps moved the weights");
    }

    @Test
    void layerBackwardPassesEqualDl4jsAfterEveryCallSequence() {
        MultiLayerNetwork ref = mlp(false);
        MultiLayerNetwork ours = mlp(true);
        ref.initGradientsView();
        ours.initGradientsView();
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        Random rnd = new Random(3);
        INDArray x1 = features(rnd, BATCH);
        INDArray x2 = features(rnd, BATCH);
        INDArray eps = Nd4j.randn(DataType.FLOAT, BATCH, 32);
        Layer refLayer = ref.getLayer(0);
        Layer ourLayer = ours.getLayer(0);
        // forward on x1, then a new input x2 without a forward pass: z must be recomputed from x2
        for (Layer l : new Layer[] {refLayer, ourLayer}) {
            l.activate(x1, true, mgr);
            l.setInput(x2, mgr);
        }
        Pair<Gradient, INDArray> r = refLayer.backpropGradient(eps.dup(), mgr);
        Pair<Gradient, INDArray> o = ourLayer.backpropGradient(eps.dup(), mgr);
        assertArrayEquals(r.getFirst().gradient().toFloatVector(), o.getFirst().gradient().toFloatVector(), 0f, "after setInput");
        assertNotNull(r.getSecond());
        assertNull(o.getSecond(), "first layer: no input gradient");
        // an inference forward pass keeps nothing
        for (Layer l : new Layer[] {refLayer, ourLayer}) {
            l.activate(x1, true, mgr);
            l.activate(x2, false, mgr);
        }
        r = refLayer.backpropGradient(eps.dup(), mgr);
        o = ourLayer.backpropGradient(eps.dup(), mgr);
        assertArrayEquals(r.getFirst().gradient().toFloatVector(), o.getFirst().gradient().toFloatVector(), 0f, "after inference");

        // the second layer keeps its input gradient, equal to DL4J's
        INDArray h = features(new Random(5), BATCH).get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 32)).dup();
        INDArray eps2 = Nd4j.randn(DataType.FLOAT, BATCH, 24);
        ref.getLayer(1).activate(h, true, mgr);
        ours.getLayer(1).activate(h, true, mgr);
        r = ref.getLayer(1).backpropGradient(eps2.dup(), mgr);
        o = ours.getLayer(1).backpropGradient(eps2.dup(), mgr);
        assertArrayEquals(r.getSecond().dup('c').reshape(-1).toFloatVector(), o.getSecond().dup('c').reshape(-1).toFloatVector(), 0f,
                "input gradient");
        assertArrayEquals(r.getFirst().gradient().toFloatVector(), o.getFirst().gradient().toFloatVector(), 0f, "kept z");
        // a second backward pass without a forward pass recomputes z (the kept one is used once)
        r = ref.getLayer(1).backpropGradient(eps2.dup(), mgr);
        o = ours.getLayer(1).backpropGradient(eps2.dup(), mgr);
        assertArrayEquals(r.getFirst().gradient().toFloatVector(), o.getFirst().gradient().toFloatVector(), 0f, "second backward");
    }

    @Test
    void jsonRoundTripKeepsTheLayerClassAndItsFlag() {
        MultiLayerConfiguration conf = mlp(true).getLayerWiseConfigurations();
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(conf.toJson());
        CachingDenseLayer first = (CachingDenseLayer) back.getConf(0).getLayer();
        CachingDenseLayer second = (CachingDenseLayer) back.getConf(1).getLayer();
        assertFalse(first.isInputGradient());
        assertTrue(second.isInputGradient());
        assertEquals(conf.getConf(0).getLayer(), first);
        assertEquals(Activation.RELU.getActivationFunction(), first.getActivationFn());
        MultiLayerNetwork restored = new MultiLayerNetwork(back);
        restored.init();
        assertArrayEquals(mlp(true).params().toFloatVector(), restored.params().toFloatVector(), 0f);
    }
}
