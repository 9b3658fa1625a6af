package io.bluefog.collectives;

/**
 * Counters of one rank's communication thread since {@link Collectives#of} (for tests, benchmarks
 * and logs).
 *
 * @param operations       operations dispatched for execution (each call counts once, fused or not)
 * @param batches          coordinator rounds that executed data movement (a fused batch counts once)
 * @param fusedOperations  operations that travelled in a batch of two or more
 */
public record CollectivesStatistics(long operations, long batches, long fusedOperations) {
}
