/**
 * Asynchronous decentralized optimizers on one-sided windows ({@link io.bluefog.collectives.window.Windows}):
 * {@link io.bluefog.optimizers.async.AsyncPushSum} (asynchronous push-sum / SGP) and
 * {@link io.bluefog.optimizers.async.WinPut} (asynchronous D-SGD with puts), with an optional bound
 * on staleness.
 */
package io.bluefog.optimizers.async;
