package io.bluefog.optimizers.pipeline;

import io.bluefog.collectives.pipeline.StageTensor;

/**
 * One stage of a model split into Δ consecutive stages, f = f_Δ ∘ ⋯ ∘ f_1: its forward pass and its
 * vector-Jacobian product. {@link GPipeEngine} calls {@link #forward} for micro-batches 0..K−1, then
 * {@link #backward} for the same micro-batches; a stage keeps (or recomputes) what its backward pass
 * needs per micro-batch.
 *
 * <p>The last stage's forward returns the loss of the micro-batch as a tensor of shape [1]; its
 * backward receives the seed [w_k] (the micro-batch's weight in the total loss, Σ_k w_k ℓ_k) and
 * must behave as the vector-Jacobian product of that scalar, i.e. scale its gradients by w_k.
 * Stages with parameters accumulate w_k-weighted parameter gradients across the micro-batches of
 * one pass (cleared by {@link #zeroGradients()}).
 */
public interface PipelineStage {
    /**
     * @param microBatch 0 &le; k &lt; K
     * @param input      the stage's input h_{s−1} (stage 0: the pipeline's input for micro-batch k)
     * @return h_s = f_s(h_{s−1}); the last stage: the loss, shape [1]
     */
    StageTensor forward(int microBatch, StageTensor input);

    /**
     * @param microBatch     a micro-batch whose {@link #forward} ran in this pass
     * @param outputGradient ∂F/∂h_s, the shape of this stage's output (last stage: [w_k])
     * @return ∂F/∂h_{s−1}, the shape of this stage's input
     */
    StageTensor backward(int microBatch, StageTensor outputGradient);

    /** Clears accumulated parameter gradients and per-micro-batch state before a new pass. */
    default void zeroGradients() {
    }

    /**
     * @return the input shape this stage accepts for micro-batch k, checked against the previous
     *         stage's header before the data is received; null to accept any
     */
    default long[] expectedInputShape(int microBatch) {
        return null;
    }
}
