package io.bluefog.optimizers.pipeline.ddg;

import io.bluefog.collectives.pipeline.StageTensor;
import io.bluefog.optimizers.pipeline.LayerRange;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Layers {@code [fromLayer, toLayer)} of a Deeplearning4j {@link MultiLayerNetwork} as one
 * {@link DdgModule}. Its flat parameter vector is the slice of {@code net.params()} that holds these
 * layers (DL4J lays the layers' parameters out one after the other), so updating it updates the
 * network. Forward: each layer's input preprocessor, then {@link Layer#activate} in training mode;
 * the last module ends with the network's output layer ({@link IOutputLayer}) and its forward
 * returns {@code computeScore} without regularisation: the mean loss over the rows of the batch.
 * Backward: the forward is recomputed from the given input (DL4J layers keep only their last input),
 * then {@link Layer#backpropGradient} and the preprocessors' {@code backprop} in reverse order; the
 * parameter gradient is read from each layer's gradient view (same layout as its parameters) and,
 * like DL4J's own training (whose updater divides by the minibatch size), divided by the number of
 * rows m, so it is the gradient of the mean loss; the input gradient is divided by m as well.
 * Layers must be deterministic in training mode (no dropout). Tensors cross modules in float64; the
 * network's own dtype is used inside.
 */
public final class MultiLayerModule implements DdgModule {
    private final LayerRange range;
    private final MultiLayerNetwork net;
    private final long offset;
    private final int count;

    /**
     * @param net       an initialised network (every rank may hold the whole network, same
     *                  configuration and seed, and use only its layers)
     * @param fromLayer first layer, 0 &le; fromLayer &lt; toLayer
     * @param toLayer   one past the last layer, &le; number of layers; the module is the last one
     *                  exactly when {@code toLayer} equals the number of layers
     * @throws IllegalArgumentException if the range is empty or out of bounds, or the last module
     *                                  does not end with an output layer
     */
    public MultiLayerModule(MultiLayerNetwork net, int fromLayer, int toLayer) {
        this.range = new LayerRange(net, fromLayer, toLayer, "module");
        this.net = net;
        this.offset = range.parameterOffset();
        this.count = Math.toIntExact(range.parameterCount());
    }

    /** @return true if this module ends with the output layer */
    public boolean isLast() {
        return range.isLast();
    }

    @Override
    public int parameterCount() {
        return count;
    }

    private INDArray slice() {
        return net.params().reshape(net.params().length()).get(NDArrayIndex.interval(offset, offset + count));
    }

    @Override
    public double[] parameters() {
        if (count == 0) {
            return new double[0];
        }
        return slice().castTo(DataType.DOUBLE).dup().data().asDouble();
    }

    @Override
    public void setParameters(double[] parameters) {
        if (parameters.length != count) {
            throw new IllegalArgumentException("module of layers [" + range.fromLayer() + ", " + range.toLayer() + ") has " + count
                    + " parameters, got " + parameters.length);
        }
        if (count == 0) {
            return;
        }
        INDArray flat = net.params();
        INDArray src = Nd4j.createFromArray(parameters).castTo(flat.dataType());
        flat.reshape(flat.length()).get(NDArrayIndex.interval(offset, offset + count)).assign(src);
    }

    private INDArray runLayers(INDArray x, StageTensor labels) {
        return range.forward(x, () -> {
            if (labels == null) {
                throw new IllegalArgumentException("the last module needs labels");
            }
            return range.toArray(labels);
        });
    }

    @Override
    public StageTensor forward(StageTensor input, StageTensor labels) {
        INDArray y = runLayers(range.toArray(input), labels);
        if (range.isLast()) {
            return StageTensor.vector(range.score());
        }
        return LayerRange.toTensor(y);
    }

    @Override
    public Gradients backward(StageTensor input, StageTensor labels, StageTensor outputGradient) {
        INDArray x = range.toArray(input);
        int m = (int) x.size(0);
        runLayers(x, labels);
        INDArray eps = range.isLast() ? null : range.toArray(outputGradient).mul(m);
        double[] grad = new double[count];
        int[] pos = {count};
        eps = range.backward(eps, m, (j, layer, gradient) -> {
            int np = Math.toIntExact(layer.numParams());
            pos[0] -= np;
            if (np > 0) {
                double[] g = layer.getGradientsViewArray().castTo(DataType.DOUBLE).dup().data().asDouble();
                for (int i = 0; i < np; i++) {
                    grad[pos[0] + i] = g[i] / m;
                }
            }
        });
        return new Gradients(LayerRange.toTensor(eps.div(m)), grad);
    }

    @Override
    public long[] expectedInputShape() {
        return null;
    }
}
