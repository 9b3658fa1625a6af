package io.bluefog.collectives;

/**
 * Told which elements of an in-place result hold their final values, so that a caller can read
 * each block of the result while it is still in the cache of the core that wrote it (for example a
 * per-iteration error or norm) instead of making a second pass over memory after the call. Passed
 * to {@link Collectives#neighborAllreduceInPlace(org.nd4j.linalg.api.ndarray.INDArray, Mixing,
 * ResultBlocks)}.
 *
 * <p><b>Calls.</b> For one collective call, {@link #ready} is called with consecutive ranges that
 * cover the result exactly once, in ascending order ({@code offset} of each call = {@code offset +
 * count} of the previous one, the first at 0), all before the collective call returns; never two at
 * once. Offsets and counts are in elements of the array's C-order flattening.
 *
 * <p><b>Threads.</b> On a transport whose ranks share one address space (the in-JVM
 * {@code LocalCluster}) the calls come from the threads that combine every rank's result while the
 * ranks wait (one per core), as each block is written; elsewhere (MPI, views, fused batches) from
 * the calling thread with the whole result (in pieces of at most {@code Integer.MAX_VALUE} elements),
 * after the combine. So an implementation must
 * not call collectives, block or depend on thread-confined state; what it wrote is visible to the
 * calling thread once the collective call has returned.
 *
 * <p><b>Errors.</b> What {@link #ready} throws ends the calls for this result and is rethrown by the
 * collective call on this rank only, after the result is complete (the collective itself has
 * completed on every rank, and later calls proceed normally).
 */
@FunctionalInterface
public interface ResultBlocks {
    /**
     * @param offset index of the first element that is final, 0 .. length - 1
     * @param count  number of elements from {@code offset} on that are final, at least 1
     */
    void ready(long offset, int count);
}
