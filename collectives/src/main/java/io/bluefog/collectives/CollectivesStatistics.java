package io.bluefog.collectives;

/**
 * Counters of one rank's collectives since {@link Collectives#of} (for tests, benchmarks and logs).
 *
 * @param operations      operations dispatched for execution (each call counts once, fused or not)
 * @param batches         coordinator rounds that executed data movement (a fused batch counts once)
 * @param fusedOperations operations that travelled in a batch of two or more
 * @param negotiateNanos  wall time in header agreement rounds: mostly waiting until the slowest rank
 *                        makes the same call (load imbalance), plus one small round trip through rank 0
 * @param executeNanos    wall time executing agreed batches: moving the data and combining it
 * @param cachedBatches   batches agreed by the response cache's round alone, without the round through
 *                        rank 0 (see {@link CollectivesConfig#cacheCapacity()})
 * @param earlyBatches    of the cached batches, those whose data travelled with the cache round (a small
 *                        call alone on the MPI transport: one exchange between the ranks per call)
 */
public record CollectivesStatistics(long operations, long batches, long fusedOperations, long negotiateNanos,
                                    long executeNanos, long cachedBatches, long earlyBatches) {
    /** Counters without the cache's (0 cached batches). */
    public CollectivesStatistics(long operations, long batches, long fusedOperations, long negotiateNanos,
            long executeNanos) {
        this(operations, batches, fusedOperations, negotiateNanos, executeNanos, 0, 0);
    }
}
