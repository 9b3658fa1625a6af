package io.bluefog.optimizers.pipeline;

import io.bluefog.collectives.pipeline.StageTensor;
import java.util.function.Supplier;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Layers {@code [fromLayer, toLayer)} of a Deeplearning4j {@link MultiLayerNetwork}: the part shared
 * by {@link MultiLayerStage} (GPipe) and {@code ddg.MultiLayerModule} (DDG). Validates the range,
 * runs the layers forward in training mode (each layer's input preprocessor, then
 * {@link Layer#activate(INDArray, boolean, LayerWorkspaceMgr)}; the output layer of the last range
 * only gets its input and labels), and backward in reverse order
 * ({@link Layer#backpropGradient(INDArray, LayerWorkspaceMgr)}, then the preprocessor's
 * {@code backprop}). Also knows the range's slice of the flat parameter vector (DL4J lays the
 * layers' parameters out one after the other).
 */
public final class LayerRange {
    /** Receives each layer's parameter gradient during {@link #backward}, last layer first. */
    @FunctionalInterface
    public interface GradientSink {
        /**
         * @param index    the layer's index in the network
         * @param layer    the layer
         * @param gradient its parameter gradient, as returned by {@code backpropGradient}
         */
        void accept(int index, Layer layer, Gradient gradient);
    }

    private final MultiLayerNetwork net;
    private final int fromLayer;
    private final int toLayer;
    private final boolean last;
    private final DataType dtype;
    private final long offset;
    private final long count;
    private final LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();

    /**
     * @param net       an initialised network; its gradient view is initialised if it is not yet
     * @param fromLayer first layer, 0 &le; fromLayer &lt; toLayer
     * @param toLayer   one past the last layer, &le; number of layers; the range is the last one
     *                  exactly when {@code toLayer} equals the number of layers
     * @param role      what the range is called in the error message ("stage", "module")
     * @throws IllegalArgumentException if {@code net} is null, the range is empty or out of bounds,
     *                                  or the last range does not end with an output layer
     */
    public LayerRange(MultiLayerNetwork net, int fromLayer, int toLayer, String role) {
        if (net == null) {
            throw new IllegalArgumentException("net must not be null");
        }
        int n = net.getnLayers();
        if (fromLayer < 0 || fromLayer >= toLayer || toLayer > n) {
            throw new IllegalArgumentException("layers [" + fromLayer + ", " + toLayer + ") are not a non-empty range of the "
                    + n + " layers");
        }
        this.net = net;
        this.fromLayer = fromLayer;
        this.toLayer = toLayer;
        this.last = toLayer == n;
        if (last && !(net.getLayer(n - 1) instanceof IOutputLayer)) {
            throw new IllegalArgumentException("the last " + role + " must end with an output layer; layer " + (n - 1)
                    + " is " + net.getLayer(n - 1).getClass().getSimpleName());
        }
        this.dtype = net.getLayerWiseConfigurations().getDataType();
        if (net.getFlattenedGradients() == null) {
            net.initGradientsView();
        }
        long off = 0;
        for (int j = 0; j < fromLayer; j++) {
            off += net.getLayer(j).numParams();
        }
        long c = 0;
        for (int j = fromLayer; j < toLayer; j++) {
            c += net.getLayer(j).numParams();
        }
        this.offset = off;
        this.count = c;
    }

    public MultiLayerNetwork net() {
        return net;
    }

    public int fromLayer() {
        return fromLayer;
    }

    public int toLayer() {
        return toLayer;
    }

    /** @return true if the range ends with the network's output layer */
    public boolean isLast() {
        return last;
    }

    /** @return the network's data type, used inside the range */
    public DataType dtype() {
        return dtype;
    }

    /** @return index of the range's first parameter in the network's flat parameter vector */
    public long parameterOffset() {
        return offset;
    }

    /** @return number of parameters of the range's layers */
    public long parameterCount() {
        return count;
    }

    /** @return {@code t} as a c-order array of the network's dtype */
    public INDArray toArray(StageTensor t) {
        return Nd4j.create(t.values(), t.shape(), 'c').castTo(dtype);
    }

    /** @return {@code a} as a float64 tensor */
    public static StageTensor toTensor(INDArray a) {
        INDArray d = a.castTo(DataType.DOUBLE).dup('c');
        return new StageTensor(d.shape(), d.data().asDouble());
    }

    /**
     * Runs the range's layers on {@code x} in training mode; the output layer (last range only) gets
     * its input and the labels that {@code labels} supplies (called only then, and may throw).
     *
     * @return the last layer's activation, or the output layer's (preprocessed) input
     */
    public INDArray forward(INDArray x, Supplier<INDArray> labels) {
        int m = (int) x.size(0);
        for (int j = fromLayer; j < toLayer; j++) {
            InputPreProcessor pre = net.getLayerWiseConfigurations().getInputPreProcess(j);
            if (pre != null) {
                x = pre.preProcess(x, m, mgr);
            }
            Layer layer = net.getLayer(j);
            if (last && j == toLayer - 1) {
                INDArray y = labels.get();
                layer.setInput(x, mgr);
                ((IOutputLayer) layer).setLabels(y);
            } else {
                x = layer.activate(x, true, mgr);
            }
        }
        return x;
    }

    /** @return the output layer's {@code computeScore} without regularisation (last range, after {@link #forward}) */
    public double score() {
        return ((IOutputLayer) net.getLayer(toLayer - 1)).computeScore(0.0, true, mgr);
    }

    /**
     * Backpropagates through the range, last layer first, after a {@link #forward} on the same
     * input; hands each layer's parameter gradient to {@code sink}.
     *
     * @param eps the gradient at the range's output (null for the last range)
     * @param m   the number of rows of the range's input
     * @return the gradient at the range's input
     * @throws IllegalStateException if the first layer returns no input gradient
     */
    public INDArray backward(INDArray eps, int m, GradientSink sink) {
        for (int j = toLayer - 1; j >= fromLayer; j--) {
            Layer layer = net.getLayer(j);
            Pair<Gradient, INDArray> p = layer.backpropGradient(eps, mgr);
            sink.accept(j, layer, p.getFirst());
            eps = p.getSecond();
            InputPreProcessor pre = net.getLayerWiseConfigurations().getInputPreProcess(j);
            if (pre != null && eps != null) {
                eps = pre.backprop(eps, m, mgr);
            }
        }
        if (eps == null) {
            throw new IllegalStateException("layer " + fromLayer + " returned no input gradient");
        }
        return eps;
    }
}
