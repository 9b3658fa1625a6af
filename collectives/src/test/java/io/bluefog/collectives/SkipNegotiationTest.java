package io.bluefog.collectives;

import static io.bluefog.collectives.testing.SerialReference.filled;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.CollectiveMismatchException;
import io.bluefog.collectives.testing.CollectivesContract;
import io.bluefog.comm.ReduceOp;
import io.bluefog.config.BlueFogConfig;
import io.bluefog.local.LocalCluster;
import io.bluefog.testing.ContractSuite;
import io.bluefog.testing.LocalContractTests;
import io.bluefog.testing.RankCheck;
import io.bluefog.topology.Topologies;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Negotiation skipped ({@code BLUEFOG_SKIP_NEGOTIATE}, BlueFog's {@code set_skip_negotiate_stage}):
 * neighborAllreduce checks its header with its neighbors only. Every closed form and serial
 * reference of the contract still holds; a mismatch fails on the disagreeing ranks and their
 * neighbors, and the other ranks complete with the right values.
 */
class SkipNegotiationTest {
    /** The contract's mismatch check expects every rank to fail, which is what skipping gives up. */
    static final String EVERY_RANK_MISMATCH_CHECK = "shapeMismatchFailsOnEveryRank";
    /** Exact arithmetic on small integers: sums of three ranks divided by 3. */
    static final double TOLERANCE = 1e-6;

    static LocalCluster skipping(int n) {
        return LocalCluster.builder(n).config(BlueFogConfig.defaults().withSkipNegotiation(true)).build();
    }

    @TestFactory
    Stream<DynamicNode> contractHoldsWithoutTheCoordinator() {
        Map<String, RankCheck> checks = new LinkedHashMap<>(new CollectivesContract().checks());
        checks.remove(EVERY_RANK_MISMATCH_CHECK);
        ContractSuite suite = () -> checks;
        return IntStream.of(1, 2, 3, 4, 8).mapToObj(n -> DynamicContainer.dynamicContainer("n = " + n,
                LocalContractTests.forCluster(suite, skipping(n))));
    }

    @Test
    void mismatchFailsOnTheRankAndItsNeighborsOthersComplete() {
        int n = 4;
        skipping(n).run(bf -> {
            int r = bf.rank();
            try (Collectives c = Collectives.of(bf)) {
                assertTrue(c.config().skipNegotiation());
                INDArray x = filled(r, DataType.FLOAT, r == 0 ? 4 : 3);
                if (r == 2) {
                    // Rank 2's neighbors 1 and 3 agree with it: (1 + 2 + 3) / 3.
                    INDArray out = c.neighborAllreduce(x, Mixing.of(Topologies.ring(n)));
                    for (double v : out.toDoubleVector()) {
                        assertEquals(2.0, v, TOLERANCE);
                    }
                } else {
                    CollectiveMismatchException e = assertThrows(CollectiveMismatchException.class,
                            () -> c.neighborAllreduce(x, Mixing.of(Topologies.ring(n))));
                    String expected = r == 0 ? "its neighbor rank 1 called neighborAllreduce float32 [3]"
                            : "its neighbor rank 0 called neighborAllreduce float32 [4]";
                    assertTrue(e.getMessage().contains(expected), e.getMessage());
                }
                // Still in step: a global operation afterwards gives the closed form on every rank.
                assertEquals(n * (n - 1) / 2.0, c.allreduce(filled(r, DataType.FLOAT, 2), ReduceOp.SUM).getDouble(0), 0.0);
            }
        });
    }
}
