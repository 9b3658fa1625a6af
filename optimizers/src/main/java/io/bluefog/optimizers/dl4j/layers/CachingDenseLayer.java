package io.bluefog.optimizers.dl4j.layers;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LayerValidation;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A DL4J {@link DenseLayer} configuration whose layer ({@link CachingDense}) gives the same
 * activations, parameter gradients and score, bit for bit, with up to two of a dense layer's four
 * matrix products per training step left out:
 * <ul>
 *   <li>DL4J's {@code BaseLayer.backpropGradient} recomputes the pre-activation z = xW + b that the
 *       forward pass just computed (one GEMM of the layer's size). This layer keeps a copy of z from
 *       the training forward pass and uses it when the backward pass follows that forward pass on
 *       the same input, as it does in {@code computeGradientAndScore} and {@code fit}.</li>
 *   <li>With {@code inputGradient = false} the layer computes no gradient with respect to its input
 *       (Wδᵀ, returned as null, which DL4J's backpropagation accepts as "none", as for its embedding
 *       layers). Use it only for a network's first layer, whose input gradient nobody reads; for the
 *       784-256 first layer of the Fashion-MNIST MLP it is a quarter of the step's GEMM work.</li>
 * </ul>
 * Everything else (parameters, their initialisation and order, updaters, regularisation, JSON form
 * apart from the class name and the flag) is DL4J's {@code DenseLayer}'s: the configuration is a
 * field-for-field copy of one ({@link #of}). Layers with dropout, weight noise, layer normalisation
 * or a mask fall back to DL4J's own backward pass (only the input gradient is still dropped when
 * switched off).
 */
public class CachingDenseLayer extends DenseLayer {
    private static final long serialVersionUID = 1L;

    /** Whether the layer returns the gradient with respect to its input (false: null). */
    private boolean inputGradient = true;

    /** For JSON deserialisation; use {@link #of}. */
    public CachingDenseLayer() {
    }

    /**
     * @param conf          a built DL4J dense layer configuration (the builder's defaults still unset are
     *                      filled by the network builder, as for DL4J's own layer)
     * @param inputGradient false for a network's first layer: no gradient with respect to the input
     * @return a configuration with every field of {@code conf} and this class's layer
     */
    public static CachingDenseLayer of(DenseLayer conf, boolean inputGradient) {
        Objects.requireNonNull(conf, "conf");
        CachingDenseLayer copy = new CachingDenseLayer();
        for (Class<?> c = DenseLayer.class; c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers())) {
                    continue;
                }
                f.setAccessible(true);
                try {
                    f.set(copy, f.get(conf));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException("cannot copy DenseLayer field " + f.getName(), e);
                }
            }
        }
        copy.inputGradient = inputGradient;
        return copy;
    }

    /** @return whether the layer computes the gradient with respect to its input */
    public boolean isInputGradient() {
        return inputGradient;
    }

    /** DL4J's {@code DenseLayer.instantiate} with {@link CachingDense} as the layer. */
    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
            int layerIndex, INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        LayerValidation.assertNInNOutSet("CachingDenseLayer", getLayerName(), layerIndex, getNIn(), getNOut());
        CachingDense ret = new CachingDense(conf, networkDataType, inputGradient);
        ret.setListeners(trainingListeners);
        ret.setIndex(layerIndex);
        ret.setParamsViewArray(layerParamsView);
        Map<String, INDArray> paramTable = initializer().init(conf, layerParamsView, initializeParams);
        ret.setParamTable(paramTable);
        ret.setConf(conf);
        return ret;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CachingDenseLayer other && other.inputGradient == inputGradient && super.equals(o);
    }

    @Override
    public int hashCode() {
        return 31 * super.hashCode() + Boolean.hashCode(inputGradient);
    }
}
