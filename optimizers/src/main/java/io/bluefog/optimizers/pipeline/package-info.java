/**
 * Pipeline-parallel optimization: a model split into Δ consecutive stages, one per rank
 * ({@link io.bluefog.optimizers.pipeline.PipelineStage}: a chain function with its vector-Jacobian
 * product, {@link io.bluefog.optimizers.pipeline.FunctionStage}, or layers of a DL4J network,
 * {@link io.bluefog.optimizers.pipeline.MultiLayerStage}); GPipe's micro-batch schedule
 * ({@link io.bluefog.optimizers.pipeline.GPipeEngine}, Huang et al., NeurIPS 2019); synchronous
 * training ({@link io.bluefog.optimizers.pipeline.PipelineTrainer}); and PPRS, Pipeline Parallel
 * Random Smoothing ({@link io.bluefog.optimizers.pipeline.Pprs}, Colin, Dos Santos and Scaman,
 * NeurIPS 2019, Algorithm 1), with gradient descent and Nesterov's method as its γ = 0, K = 1
 * baselines.
 */
package io.bluefog.optimizers.pipeline;
