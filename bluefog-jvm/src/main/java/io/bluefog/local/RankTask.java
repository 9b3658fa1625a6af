package io.bluefog.local;

import io.bluefog.BlueFog;

/**
 * The body of one rank in a {@link LocalCluster}: called once per rank, on that rank's own
 * thread, with that rank's {@link BlueFog} context.
 */
@FunctionalInterface
public interface RankTask {
    /**
     * Runs this rank's part of the job.
     *
     * @param bf the rank's context; valid only during the call (closed afterwards)
     * @throws Exception any failure; it ends the cluster's run and is rethrown by
     *                   {@link LocalCluster#run(RankTask)}
     */
    void run(BlueFog bf) throws Exception;
}
