/**
 * Deeplearning4j layers that compute exactly what DL4J's own layers compute, with less work per
 * training step: {@link io.bluefog.optimizers.dl4j.layers.CachingDenseLayer}.
 */
package io.bluefog.optimizers.dl4j.layers;
