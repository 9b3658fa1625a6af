package io.bluefog.mpi.it;

import io.bluefog.collectives.engine.EngineFailureContract;
import io.bluefog.collectives.testing.CollectivesContract;
import io.bluefog.collectives.testing.LargeAllreduceContract;
import io.bluefog.collectives.testing.ResponseCacheContract;
import io.bluefog.config.BlueFogConfig;
import io.bluefog.mpi.MpiRun;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The collectives' {@link CollectivesContract} (closed forms and serial references, the same suite
 * {@code CollectivesContractTest} runs on LocalCluster for n = 1..16) on the MPI transport: one JVM
 * per rank under mpirun.
 */
@Tag("mpi")
class CollectivesMpiTest {
    @ParameterizedTest(name = "np = {0}")
    @ValueSource(ints = {2, 4})
    void contractHoldsUnderMpirun(int np) {
        MpiRun.assertSuitePassed(np, CollectivesContract.class.getName(), new CollectivesContract().checks().keySet());
    }

    /**
     * The response cache under mpirun ({@link ResponseCacheContract}): repeated calls agreed by the
     * cache round (counted), every mismatch after caching failing on every rank with the full
     * round's text, per-rank weights changed after caching used, ranks with different capacities.
     */
    @ParameterizedTest(name = "np = {0}")
    @ValueSource(ints = {2, 3, 4})
    void responseCacheContractHoldsUnderMpirun(int np) {
        MpiRun.assertSuitePassed(np, ResponseCacheContract.class.getName(), new ResponseCacheContract().checks().keySet());
    }

    /**
     * Again with a 24-byte pipeline chunk, so that every neighborAllreduce moves in several MPI
     * messages per neighbor (most with a shorter last chunk), as 1 MiB chunks do for large tensors.
     */
    @Test
    void contractHoldsWithTinyPipelineChunks() {
        MpiRun.assertSuitePassed(4, List.of("-D" + BlueFogConfig.PIPELINE_CHUNK + "=24"),
                CollectivesContract.class.getName(), new CollectivesContract().checks().keySet());
    }

    /**
     * With negotiation skipped (neighborAllreduce checked between neighbors only), every check but
     * the one that expects a mismatch to fail on every rank, which skipping gives up by design.
     */
    @Test
    void contractHoldsWithNegotiationSkipped() {
        String[] checks = new CollectivesContract().checks().keySet().stream()
                .filter(name -> !name.equals("shapeMismatchFailsOnEveryRank")).toArray(String[]::new);
        MpiRun.assertSuitePassed(4, List.of("-D" + BlueFogConfig.SKIP_NEGOTIATE + "=true"),
                CollectivesContract.class.getName(), List.of(checks), checks);
    }

    /**
     * Allreduces above 1 MiB, which this transport runs over point-to-point messages
     * ({@code DirectAllreduce}), equal the serial rank-order sum bit for bit; np = 3 and 4 give
     * blocks of unequal length, and a 4 KiB pipeline chunk many chunks per block.
     */
    @ParameterizedTest(name = "np = {0}")
    @ValueSource(ints = {2, 3, 4})
    void largeAllreduceIsTheRankOrderSumUnderMpirun(int np) {
        MpiRun.assertSuitePassed(np, List.of("-D" + BlueFogConfig.PIPELINE_CHUNK + "=4096"),
                LargeAllreduceContract.class.getName(), new LargeAllreduceContract().checks().keySet());
    }

    /**
     * An exception inside an operation on one rank ends the operation on every rank with that
     * rank's cause, not a timeout (its own mpirun: it breaks the job's engines for good).
     */
    @Test
    void oneRankFailureEndsTheOperationOnEveryRank() {
        MpiRun.assertSuitePassed(3, EngineFailureContract.class.getName(), new EngineFailureContract().checks().keySet());
    }
}
