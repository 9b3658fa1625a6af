/**
 * Pipeline stage traffic: {@link io.bluefog.collectives.pipeline.StageChannel} moves activations
 * forward and error gradients backward between consecutive stages (one stage per rank) over the
 * {@link io.bluefog.comm.Communicator}'s nonblocking point-to-point calls, with a shape header,
 * pooled direct buffers and deadlines. The schedules and optimizers that use it are in
 * {@code io.bluefog.optimizers.pipeline}.
 */
package io.bluefog.collectives.pipeline;
