package io.bluefog.mpi.it;

import io.bluefog.testing.ContractSuite;
import io.bluefog.testing.RankCheck;
import java.util.LinkedHashMap;
import java.util.Map;

/** A suite whose second check fails on the last rank: {@link MpiRunMpiTest} shows the runner notices. */
public final class FailsOnLastRankSuite implements ContractSuite {
    @Override
    public Map<String, RankCheck> checks() {
        Map<String, RankCheck> c = new LinkedHashMap<>();
        c.put("passes", bf -> bf.communicator().barrier());
        c.put("failsOnLastRank", bf -> {
            if (bf.rank() == bf.size() - 1) {
                throw new AssertionError("deliberate failure on rank " + bf.rank());
            }
            bf.communicator().barrier();
        });
        return c;
    }
}
