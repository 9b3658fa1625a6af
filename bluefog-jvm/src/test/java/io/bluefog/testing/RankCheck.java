package io.bluefog.testing;

import io.bluefog.BlueFog;

/**
 * One contract check, run by every rank of a job with that rank's context. It must make the same
 * sequence of collective calls on every rank (so that all ranks stay in step under any
 * transport) and signals failure by throwing (e.g. a JUnit assertion).
 */
@FunctionalInterface
public interface RankCheck {
    /**
     * @param bf this rank's context
     * @throws Exception if the check fails on this rank
     */
    void run(BlueFog bf) throws Exception;
}
