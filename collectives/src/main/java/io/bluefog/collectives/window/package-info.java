/**
 * One-sided communication windows after BlueFog's {@code win_*} operations ({@link
 * io.bluefog.collectives.window.Windows}): each rank exposes a tensor and holds one receive buffer
 * per in-neighbor; puts, accumulates and gets move data without the peer's participation, served by
 * a per-rank window service thread over the transport's two-sided messages, so the same code runs on
 * {@code LocalCluster} and under mpirun. The basis of the asynchronous optimizers (push-sum, win-put).
 */
package io.bluefog.collectives.window;
