package io.bluefog.optimizers.dl4j.layers;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.feedforward.dense.DenseLayer;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The layer of {@link CachingDenseLayer}: DL4J's dense layer whose training forward pass keeps a
 * copy of the pre-activation z for the backward pass that follows it, and which can skip the input
 * gradient.
 *
 * <p>When the kept z is used: the backward pass comes after a training-mode {@code activate} with no
 * {@code setInput} or {@code clear} in between (each of them drops it, so a backward pass on a new
 * input recomputes z as DL4J does), and the layer has no dropout, weight noise, layer normalisation
 * or mask. Like DL4J's layer, it assumes the parameters do not change between a forward pass and
 * its backward pass. Otherwise the backward pass is DL4J's. The backward pass's arithmetic is
 * DL4J's {@code BaseLayer.backpropGradient} (1.0.0-M2.1) with the same operations in the same order,
 * so gradients are bit-identical.
 */
public class CachingDense extends DenseLayer {
    private static final long serialVersionUID = 1L;

    private final boolean inputGradient;
    /** A copy of the last training forward pass's z, outside every workspace, reused while its shape fits. */
    private INDArray keptZ;
    /** Whether {@link #keptZ} holds z of the current input. */
    private boolean kept;

    /** @see CachingDenseLayer#instantiate */
    public CachingDense(NeuralNetConfiguration conf, DataType dataType, boolean inputGradient) {
        super(conf, dataType);
        this.inputGradient = inputGradient;
    }

    @Override
    public void setInput(INDArray input, LayerWorkspaceMgr workspaceMgr) {
        kept = false;
        super.setInput(input, workspaceMgr);
    }

    @Override
    public void clear() {
        kept = false;
        super.clear();
    }

    /** DL4J's {@code BaseLayer.activate}, keeping a copy of z before the activation overwrites it. */
    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        kept = false;
        if (!training || !plain()) {
            return super.activate(training, workspaceMgr);
        }
        INDArray z = preOutput(true, workspaceMgr);
        keep(z);
        return layerConf().getActivationFn().getActivation(z, true);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        if (!kept || !plain()) {
            kept = false;
            Pair<Gradient, INDArray> dl4j = super.backpropGradient(epsilon, workspaceMgr);
            return inputGradient ? dl4j : new Pair<>(dl4j.getFirst(), null);
        }
        kept = false;
        assertInputSet(true);
        // z as DL4J's backward pass recomputes it (an ACTIVATIONS array the activation may overwrite)
        INDArray z = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, keptZ.dataType(), keptZ.shape(), keptZ.ordering());
        z.assign(keptZ);
        INDArray delta = layerConf().getActivationFn().backprop(z, epsilon).getFirst();

        Gradient ret = new DefaultGradient();
        if (hasBias()) {
            INDArray biasGrad = gradientViews.get(DefaultParamInitializer.BIAS_KEY);
            delta.sum(biasGrad, 0);
            ret.gradientForVariable().put(DefaultParamInitializer.BIAS_KEY, biasGrad);
        }
        INDArray W = getParamWithNoise(DefaultParamInitializer.WEIGHT_KEY, true, workspaceMgr);
        INDArray epsilonNext = null;
        if (inputGradient) {
            epsilonNext = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, delta.dataType(),
                    new long[] {W.size(0), delta.size(0)}, 'f');
            epsilonNext = W.mmuli(delta.transpose(), epsilonNext).transpose();
        }
        INDArray weightGrad = gradientViews.get(DefaultParamInitializer.WEIGHT_KEY);
        Nd4j.gemm(input.castTo(weightGrad.dataType()), delta, weightGrad, true, false, 1.0, 0.0);
        ret.gradientForVariable().put(DefaultParamInitializer.WEIGHT_KEY, weightGrad);
        weightNoiseParams.clear();
        return new Pair<>(ret, epsilonNext);
    }

    /** @return whether z can be kept: no dropout, weight noise, layer normalisation or mask */
    private boolean plain() {
        return layerConf().getIDropout() == null && layerConf().getWeightNoise() == null && !hasLayerNorm()
                && maskArray == null;
    }

    private void keep(INDArray z) {
        if (keptZ == null || keptZ.dataType() != z.dataType() || !java.util.Arrays.equals(keptZ.shape(), z.shape())
                || keptZ.ordering() != z.ordering()) {
            try (MemoryWorkspace none = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                keptZ = Nd4j.createUninitialized(z.dataType(), z.shape(), z.ordering());
            }
        }
        keptZ.assign(z);
        kept = true;
    }
}
