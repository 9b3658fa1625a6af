package io.bluefog.collectives.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.CommunicationException;
import io.bluefog.local.LocalCluster;
import io.bluefog.testing.LocalContractTests;
import io.bluefog.timeline.Timeline;
import io.bluefog.topology.Topologies;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The engine's failure model: an exception raised inside an operation on one rank alone breaks that
 * rank's engine and ends the operation on every other rank promptly with the real cause, instead
 * of a timeout. The timeout is set far beyond the test's run time: a peer that learnt of the failure
 * only by timing out would fail with {@code BlueFogTimeoutException}, not with the cause.
 */
class EngineFailureTest {
    private static final long TIMEOUT_MILLIS = EngineFailureContract.TIMEOUT_MILLIS;
    private static final int BAD_RANK = EngineFailureContract.BAD_RANK;
    private static final int NO_SUCH_RANK = EngineFailureContract.NO_SUCH_RANK;

    private static Engine engine(io.bluefog.BlueFog bf) {
        return new Engine(bf.communicator(), 1 << 20, TIMEOUT_MILLIS, 1 << 20, false, Timeline.disabled());
    }

    private static Throwable failureOf(Op op) {
        return EngineFailureContract.failureOf(op);
    }

    /** The transport-independent check (also run under mpirun), on worlds of 2, 3 and 5 ranks. */
    @TestFactory
    Stream<DynamicNode> contract() {
        return LocalContractTests.forSizes(new EngineFailureContract(), 2, 3, 5);
    }

    @Test
    void anIllegalArgumentInsideAnOpOnOneRankEndsItOnEveryRankWithItsCause() {
        int n = 4;
        // One rank per machine; every machine of the fully connected machine graph receives from
        // BAD_RANK's, whose plan names a machine that does not exist: it throws IllegalArgumentException
        // inside the operation, before it sends, and the coordinator cannot see it (plans agree in mode
        // and topology).
        List<String[]> outcome = LocalCluster.builder(n).ranksPerMachine(1).timeoutMillis(TIMEOUT_MILLIS).build()
                .call(bf -> {
            Engine engine = engine(bf);
            try {
                NeighborPlan plan = NeighborPlan.of(Topologies.fullyConnected(n), bf.machineRank());
                if (bf.rank() == BAD_RANK) {
                    plan.sources[0] = NO_SUCH_RANK;
                }
                Op op = engine.runInCallerOrSubmit(
                        Op.hierarchicalNeighborAllreduce(Nd4j.ones(DataType.FLOAT, 8), plan, false));
                Throwable cause = failureOf(op);
                // The engine is broken now on every rank: later calls fail at once.
                Op later = engine.runInCallerOrSubmit(Op.barrier());
                Throwable laterCause = failureOf(later);
                assertInstanceOf(CommunicationException.class, laterCause);
                return new String[] {cause.getClass().getSimpleName(), String.valueOf(cause.getMessage())};
            } finally {
                engine.close();
            }
        });
        String[] bad = outcome.get(BAD_RANK);
        assertEquals("IllegalArgumentException", bad[0], "the failing rank gets its own exception: " + bad[1]);
        assertTrue(bad[1].contains(Integer.toString(NO_SUCH_RANK)), bad[1]);
        for (int r = 0; r < n; r++) {
            if (r == BAD_RANK) {
                continue;
            }
            String[] peer = outcome.get(r);
            assertEquals("PeerFailureException", peer[0], "rank " + r + ": " + peer[1]);
            assertTrue(peer[1].contains("rank " + BAD_RANK + " failed"), "rank " + r + ": " + peer[1]);
            assertTrue(peer[1].contains("IllegalArgumentException") && peer[1].contains(bad[1]),
                    "rank " + r + " names the cause: " + peer[1]);
        }
    }

    @Test
    void aRankThatDoesNotExchangeWithTheFailedRankLearnsOfItAtItsNextCall() {
        int n = 4;
        // Ring: rank 3 neither sends to nor receives from rank 1, so its neighborAllreduce may complete;
        // then its next call (a coordinator round that rank 1 never joins) ends with rank 1's cause (here
        // an ArrayIndexOutOfBoundsException: any exception raised on one rank counts).
        List<String> outcome = LocalCluster.builder(n).timeoutMillis(TIMEOUT_MILLIS).build().call(bf -> {
            Engine engine = engine(bf);
            try {
                NeighborPlan plan = NeighborPlan.of(Topologies.ring(n), bf.rank());
                if (bf.rank() == BAD_RANK) {
                    plan.sources[0] = NO_SUCH_RANK;
                }
                Op op = engine.runInCallerOrSubmit(Op.neighborAllreduce(Nd4j.ones(DataType.FLOAT, 8), plan, false));
                if (bf.rank() != 3) {
                    failureOf(op);
                    return "";
                }
                // Its operation completes, or fails if the notice comes before its neighbors' data
                // (its waits poll notices too); either way it ends with rank 1's cause at once.
                if (op.future().isCompletedExceptionally()) {
                    return failureOf(op).getMessage();
                }
                Op next = engine.runInCallerOrSubmit(Op.barrier());
                return failureOf(next).getMessage();
            } finally {
                engine.close();
            }
        });
        assertTrue(outcome.get(3).contains("rank " + BAD_RANK + " failed") && outcome.get(3).contains("99"),
                outcome.get(3));
    }
}
