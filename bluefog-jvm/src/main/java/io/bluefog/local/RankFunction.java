package io.bluefog.local;

import io.bluefog.BlueFog;

/**
 * Like {@link RankTask}, but returns a per-rank result that {@link LocalCluster#call(RankFunction)}
 * collects in rank order.
 *
 * @param <T> the result type (null results are allowed)
 */
@FunctionalInterface
public interface RankFunction<T> {
    /**
     * Runs this rank's part of the job and returns its result.
     *
     * @param bf the rank's context; valid only during the call (closed afterwards)
     * @throws Exception any failure; it ends the run and is rethrown by {@link LocalCluster#call}
     */
    T apply(BlueFog bf) throws Exception;
}
