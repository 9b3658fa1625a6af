/**
 * Backpropagation without the backward lock over a model split into K modules, one per rank
 * (Huo's thesis, chapters 5 and 6; Huo, Gu, Yang and Huang, ICML 2018; Huo, Gu and Huang, NeurIPS
 * 2018): {@link io.bluefog.optimizers.pipeline.ddg.DdgEngine} runs module k with staleness K − k,
 * either with delayed gradients (DDG, Algorithms 9 and 10) or with features replay (Algorithm 11);
 * {@link io.bluefog.optimizers.pipeline.ddg.DdgUpdater} is SGD, momentum or Adam-DDG;
 * {@link io.bluefog.optimizers.pipeline.ddg.DdgModule} is a module seen through a flat parameter
 * vector, {@link io.bluefog.optimizers.pipeline.ddg.MultiLayerModule} layers of a DL4J network;
 * {@link io.bluefog.optimizers.pipeline.ddg.DdgTrainer} trains a DL4J network split over the world.
 * Messages travel on {@link io.bluefog.collectives.pipeline.StageChannel}.
 */
package io.bluefog.optimizers.pipeline.ddg;
