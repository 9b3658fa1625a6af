/**
 * Internal machinery of {@link io.bluefog.collectives.Collectives} (public only so the facade can
 * reach it; not an API): the per-rank {@link io.bluefog.collectives.engine.Engine} and its
 * communication thread, the rank-0 header agreement ({@code Coordinator}: mismatch detection,
 * timeouts, fusion decisions), data movement per operation ({@code Executor} picks one
 * {@code Operation} class per {@link io.bluefog.collectives.engine.OpKind}, sharing an
 * {@code ExecutionContext}), weighted sums ({@code Combiner}), failure notices between ranks
 * ({@code PeerFailures}), pooled buffers and zero-copy NIO views of ND4J arrays
 * ({@link io.bluefog.collectives.engine.Tensors}).
 */
package io.bluefog.collectives.engine;
