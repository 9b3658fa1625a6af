package io.bluefog.optimizers.pipeline.ddg;

import io.bluefog.collectives.pipeline.StageTensor;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
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
    private final MultiLayerNetwork net;
    private final int fromLayer;
    private final int toLayer;
    private final boolean last;
    private final DataType dtype;
    private final long offset;
    private final int count;
    private final LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();

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
            throw new IllegalArgumentException("the last module must end with an output layer; layer " + (n - 1) + " is "
                    + net.getLayer(n - 1).getClass().getSimpleName());
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
        this.count = Math.toIntExact(c);
    }

    /** @return true if this module ends with the output layer */
    public boolean isLast() {
        return last;
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
            throw new IllegalArgumentException("module of layers [" + fromLayer + ", " + toLayer + ") has " + count
                    + " parameters, got " + parameters.length);
        }
        if (count == 0) {
            return;
        }
        INDArray flat = net.params();
        INDArray src = Nd4j.createFromArray(parameters).castTo(flat.dataType());
        flat.reshape(flat.length()).get(NDArrayIndex.interval(offset, offset + count)).assign(src);
    }

    private static INDArray toArray(StageTensor t, DataType dtype) {
        return Nd4j.create(t.values(), t.shape(), 'c').castTo(dtype);
    }

    private static StageTensor toTensor(INDArray a) {
        INDArray d = a.castTo(DataType.DOUBLE).dup('c');
        return new StageTensor(d.shape(), d.data().asDouble());
    }

    private INDArray runLayers(INDArray x, StageTensor labels) {
        int m = (int) x.size(0);
        for (int j = fromLayer; j < toLayer; j++) {
            InputPreProcessor pre = net.getLayerWiseConfigurations().getInputPreProcess(j);
            if (pre != null) {
                x = pre.preProcess(x, m, mgr);
            }
            Layer layer = net.getLayer(j);
            if (last && j == toLayer - 1) {
                if (labels == null) {
                    throw new IllegalArgumentException("the last module needs labels");
                }
                layer.setInput(x, mgr);
                ((IOutputLayer) layer).setLabels(toArray(labels, dtype));
            } else {
                x = layer.activate(x, true, mgr);
            }
        }
        return x;
    }

    @Override
    public StageTensor forward(StageTensor input, StageTensor labels) {
        INDArray y = runLayers(toArray(input, dtype), labels);
        if (last) {
            return StageTensor.vector(((IOutputLayer) net.getLayer(toLayer - 1)).computeScore(0.0, true, mgr));
        }
        return toTensor(y);
    }

    @Override
    public Gradients backward(StageTensor input, StageTensor labels, StageTensor outputGradient) {
        INDArray x = toArray(input, dtype);
        int m = (int) x.size(0);
        runLayers(x, labels);
        INDArray eps = last ? null : toArray(outputGradient, dtype).mul(m);
        double[] grad = new double[count];
        int pos = count;
        for (int j = toLayer - 1; j >= fromLayer; j--) {
            Layer layer = net.getLayer(j);
            Pair<org.deeplearning4j.nn.gradient.Gradient, INDArray> p = layer.backpropGradient(eps, mgr);
            int np = Math.toIntExact(layer.numParams());
            pos -= np;
            if (np > 0) {
                double[] g = layer.getGradientsViewArray().castTo(DataType.DOUBLE).dup().data().asDouble();
                for (int i = 0; i < np; i++) {
                    grad[pos + i] = g[i] / m;
                }
            }
            eps = p.getSecond();
            InputPreProcessor pre = net.getLayerWiseConfigurations().getInputPreProcess(j);
            if (pre != null && eps != null) {
                eps = pre.backprop(eps, m, mgr);
            }
        }
        if (eps == null) {
            throw new IllegalStateException("layer " + fromLayer + " returned no input gradient");
        }
        return new Gradients(toTensor(eps.div(m)), grad);
    }

    @Override
    public long[] expectedInputShape() {
        return null;
    }
}
