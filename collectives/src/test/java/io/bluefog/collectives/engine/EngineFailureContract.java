package io.bluefog.collectives.engine;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.BlueFog;
import io.bluefog.CommunicationException;
import io.bluefog.testing.ContractSuite;
import io.bluefog.testing.RankCheck;
import io.bluefog.timeline.Timeline;
import io.bluefog.topology.Topologies;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The engine's failure model on any transport (run on LocalCluster by {@code EngineFailureTest} and
 * under mpirun by the mpi-launch module): an exception raised inside an operation on rank 1 alone
 * ends that operation on every rank, the others with a {@link CommunicationException} naming rank 1
 * and its cause, long before the timeout. It breaks the communicator's engines for good, so it runs
 * alone (its own cluster or mpirun).
 */
public final class EngineFailureContract implements ContractSuite {
    static final long TIMEOUT_MILLIS = 120_000;
    static final int BAD_RANK = 1;
    /** Not a rank of the world: the operation fails on the rank whose plan names it. */
    static final int NO_SUCH_RANK = 99;

    @Override
    public Map<String, RankCheck> checks() {
        Map<String, RankCheck> m = new LinkedHashMap<>();
        m.put("oneRankFailureEndsTheOpEverywhere", EngineFailureContract::oneRankFailureEndsTheOpEverywhere);
        return m;
    }

    static Throwable failureOf(Op op) {
        return assertThrows(CompletionException.class, () -> op.future().join()).getCause();
    }

    /**
     * Fully connected, so every rank receives from rank 1, whose corrupted plan (a source outside the
     * world, which neither the coordinator nor the peers can see) throws inside the operation before
     * it sends anything.
     */
    static void oneRankFailureEndsTheOpEverywhere(BlueFog bf) {
        int n = bf.size();
        if (n < 2) {
            return; // no peer to tell
        }
        Engine engine = new Engine(bf.communicator(), 1 << 20, TIMEOUT_MILLIS, 1 << 20, false, Timeline.disabled());
        try {
            NeighborPlan plan = NeighborPlan.of(Topologies.fullyConnected(n), bf.rank());
            if (bf.rank() == BAD_RANK) {
                plan.sources[0] = NO_SUCH_RANK;
            }
            Op op = engine.runInCallerOrSubmit(Op.neighborAllreduce(Nd4j.ones(DataType.FLOAT, 8), plan, false));
            Throwable cause = failureOf(op);
            if (bf.rank() == BAD_RANK) {
                assertTrue(String.valueOf(cause.getMessage()).contains(Integer.toString(NO_SUCH_RANK)),
                        "the failing rank gets its own exception: " + cause);
            } else {
                assertInstanceOf(PeerFailures.PeerFailureException.class, cause, "rank " + bf.rank() + ": " + cause);
                String msg = cause.getMessage();
                assertTrue(msg.contains("rank " + BAD_RANK + " failed") && msg.contains("IndexOutOfBounds")
                        && msg.contains(Integer.toString(NO_SUCH_RANK)), "rank " + bf.rank() + " names the cause: " + msg);
            }
            // Broken on every rank: a later call fails at once.
            Op later = engine.runInCallerOrSubmit(Op.barrier());
            Throwable laterCause = failureOf(later);
            assertInstanceOf(CommunicationException.class, laterCause);
        } finally {
            engine.close();
        }
    }
}
