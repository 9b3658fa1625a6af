package io.bluefog.examples.fashion;

import io.bluefog.examples.data.FashionMnistData;
import io.bluefog.optimizers.dl4j.layers.CachingDenseLayer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.Locale;

/**
 * The two Fashion-MNIST models, built with Deeplearning4j. Their DL4J updater is {@link NoOp}: the
 * decentralized optimizer does the update. Inputs are flat 784-pixel rows in [0, 1]; outputs 10
 * softmax probabilities, loss multi-class cross entropy.
 */
public final class Models {
    private Models() {
    }

    /** The model names accepted by {@code --model}. */
    public enum Kind {
        /** Multi-layer perceptron 784-256-128-10, ReLU, 235,146 parameters. */
        MLP,
        /**
         * LeNet-style CNN (LeCun et al., Proc. IEEE 1998): conv 5x5x20 - maxpool 2 - conv 5x5x50 - maxpool 2 -
         * dense 500 - softmax 10, ReLU, 431,080 parameters.
         */
        CNN;

        /** @return the lower-case name the command line uses ({@code mlp}, {@code cnn}) */
        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** @throws IllegalArgumentException naming {@code --model} */
        public static Kind parse(String name) {
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException | NullPointerException e) {
                throw new IllegalArgumentException("model must be mlp or cnn, got '" + name + "'");
            }
        }
    }

    /** @return an initialised network (float32 parameters), initial weights from {@code seed} */
    public static MultiLayerNetwork build(Kind kind, long seed) {
        MultiLayerNetwork net = new MultiLayerNetwork(kind == Kind.MLP ? mlp(seed, false) : cnn(seed));
        net.init();
        return net;
    }

    /**
     * {@link #build} for training the whole model in one process (the data-parallel and decentralized
     * trainer): the MLP's dense layers are {@link CachingDenseLayer}s, which reuse the forward pass's
     * pre-activations in the backward pass and, for the first layer, compute no input gradient. The
     * weights, gradients and scores are bit-identical to {@link #build}'s; a step does two fewer
     * 64x784x256 matrix products (about 30% of the MLP's step on one core). Not for pipeline stages,
     * which ask every stage's first layer for its input gradient. The CNN is {@link #build}'s.
     */
    public static MultiLayerNetwork buildForWholeModelTraining(Kind kind, long seed) {
        MultiLayerNetwork net = new MultiLayerNetwork(kind == Kind.MLP ? mlp(seed, true) : cnn(seed));
        net.init();
        return net;
    }

    private static MultiLayerConfiguration mlp(long seed, boolean caching) {
        DenseLayer first = new DenseLayer.Builder().nIn(FashionMnistData.FEATURES).nOut(256).activation(Activation.RELU).build();
        DenseLayer second = new DenseLayer.Builder().nIn(256).nOut(128).activation(Activation.RELU).build();
        return new NeuralNetConfiguration.Builder()
                .seed(seed)
                .updater(new NoOp())
                .weightInit(WeightInit.XAVIER)
                .list()
                .layer(caching ? CachingDenseLayer.of(first, false) : first)
                .layer(caching ? CachingDenseLayer.of(second, true) : second)
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(128)
                        .nOut(FashionMnistData.CLASSES).activation(Activation.SOFTMAX).build())
                .build();
    }

    static MultiLayerConfiguration cnn(long seed) {
        return new NeuralNetConfiguration.Builder()
                .seed(seed)
                .updater(new NoOp())
                .weightInit(WeightInit.XAVIER)
                .list()
                .layer(new ConvolutionLayer.Builder(5, 5).nOut(20).stride(1, 1).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new ConvolutionLayer.Builder(5, 5).nOut(50).stride(1, 1).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new DenseLayer.Builder().nOut(500).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(FashionMnistData.CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutionalFlat(FashionMnistData.ROWS, FashionMnistData.COLS, 1))
                .build();
    }
}
