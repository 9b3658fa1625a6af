package io.bluefog.optimizers.pipeline.ddg;

import io.bluefog.collectives.pipeline.StageTensor;

/**
 * One module k of a feed-forward network split into K consecutive modules,
 * w = [w_G(1), …, w_G(K)] (Huo, thesis chapter 5.3 and 6.3: "Decoupled parallel backpropagation"
 * and "Features replay"), seen through a flat float64 parameter vector w_G(k) so that
 * {@link DdgUpdater} can update it and {@link DdgEngine} can keep copies of it.
 *
 * <p>Every call is at the module's current parameters. The last module also computes the loss:
 * its {@link #forward} returns the loss f(h_{L_K}, y) as a tensor of shape [1] and its
 * {@link #backward} receives {@code outputGradient == null} and differentiates that loss. A module
 * must be deterministic (the engine recomputes a forward pass from a stored input).
 */
public interface DdgModule {
    /** @return d_k, the length of this module's flat parameter vector, &ge; 0 */
    int parameterCount();

    /** @return a copy of w_G(k), length {@link #parameterCount()} */
    double[] parameters();

    /**
     * Replaces w_G(k) by a copy of {@code parameters}.
     *
     * @throws IllegalArgumentException if the length is not {@link #parameterCount()}
     */
    void setParameters(double[] parameters);

    /**
     * h_{L_k} = F_G(k)(h_{L_{k−1}}; w_G(k)).
     *
     * @param input  the module's input (module 1: the data sample)
     * @param labels the targets y (last module only; ignored, possibly null, elsewhere)
     * @return the module's output; the last module: the loss, shape [1]
     */
    StageTensor forward(StageTensor input, StageTensor labels);

    /**
     * The module's backward pass at its current parameters for {@code input}: equations (5.6) and
     * (5.7) of the thesis (the forward pass is recomputed from {@code input} first).
     *
     * @param input          the module's input of the sample
     * @param labels         the targets (last module only)
     * @param outputGradient δ = ∂f/∂h_{L_k}, the shape of the module's output; null for the last module
     * @return ∂f/∂h_{L_{k−1}} (shape of {@code input}) and ∂f/∂w_G(k) (length {@link #parameterCount()})
     */
    Gradients backward(StageTensor input, StageTensor labels, StageTensor outputGradient);

    /** @return the input shape this module accepts, checked on arrival; null to accept any */
    default long[] expectedInputShape() {
        return null;
    }

    /**
     * The result of one backward pass of a module.
     *
     * @param inputGradient     ∂f/∂h_{L_{k−1}}
     * @param parameterGradient ∂f/∂w_G(k), flat, in the order of {@link #parameters()}
     */
    record Gradients(StageTensor inputGradient, double[] parameterGradient) {
        public Gradients {
            if (inputGradient == null || parameterGradient == null) {
                throw new IllegalArgumentException("inputGradient and parameterGradient must not be null");
            }
            parameterGradient = parameterGradient.clone();
        }

        @Override
        public double[] parameterGradient() {
            return parameterGradient.clone();
        }
    }
}
