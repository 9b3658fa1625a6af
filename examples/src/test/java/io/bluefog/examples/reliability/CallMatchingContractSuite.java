package io.bluefog.examples.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.BlueFog;
import io.bluefog.CollectiveMismatchException;
import io.bluefog.collectives.Collectives;
import io.bluefog.optimizers.DecentralizedOptimizer;
import io.bluefog.optimizers.OptimizerConfig;
import io.bluefog.optimizers.updaters.LocalUpdater;
import io.bluefog.testing.ContractSuite;
import io.bluefog.testing.RankCheck;
import io.bluefog.topology.Topologies;
import io.bluefog.topology.Topology;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Call matching in the training job's optimizer (issue 11, item 4), run on LocalCluster by
 * {@code CallMatchingLocalClusterTest} and under mpirun by the mpi-launch module's
 * {@code CallMatchingMpiTest}: an optimizer step that makes {@value #CALLS} identical
 * neighborAllreduce calls (x = 1000 k + r for the k-th), one of which rank 1 skips in iteration
 * {@value #SKIP_ITERATION}. Before the helpers named their calls, the skipped rank's calls were paired
 * with its peers' previous ones (rank 0 got 1005 where it expected 15, and no error until the job
 * ended); now every rank fails with a {@link CollectiveMismatchException} inside that step (rank 1:
 * the next one) naming both ranks' calls.
 */
public class CallMatchingContractSuite implements ContractSuite {
    static final int CALLS = 5;
    static final int SKIP_ITERATION = 2;
    static final int SKIPPED_CALL = 1;
    static final int STEPS = 5;
    static final int SKIPPER = 1;

    @Override
    public Map<String, RankCheck> checks() {
        Map<String, RankCheck> m = new LinkedHashMap<>();
        m.put("aSkippedOptimizerCallFailsInThatStepNamingBothRanksCalls", CallMatchingContractSuite::skippedCall);
        return m;
    }

    /** A user's optimizer: {@value #CALLS} mixes of x_k = 1000 k + r per step; rank 1 skips one in one iteration. */
    static final class RepeatedMixing extends DecentralizedOptimizer {
        RepeatedMixing(Collectives c, Topology defaultTopology, INDArray params, OptimizerConfig config) {
            super(c, defaultTopology, params, config);
        }

        @Override
        protected void update(INDArray gradient, Topology w, long round) {
            int r = collectives().rank();
            for (int k = 0; k < CALLS; k++) {
                if (r == SKIPPER && iteration() == SKIP_ITERATION && k == SKIPPED_CALL) {
                    continue;
                }
                mix(Nd4j.valueArrayOf(new long[] {3}, 1000.0 * k + r, DataType.FLOAT), w);
            }
        }
    }

    static void skippedCall(BlueFog bf) {
        int n = bf.size();
        if (n < 2) {
            return; // nobody to skip a call against
        }
        try (Collectives c = Collectives.of(bf)) {
            OptimizerConfig config = OptimizerConfig.builder().updater(LocalUpdater.sgd(0.1))
                    .topology(Topologies.ring(n)).build();
            RepeatedMixing opt = new RepeatedMixing(c, Topologies.ring(n), Nd4j.zeros(DataType.FLOAT, 3), config);
            INDArray g = Nd4j.zeros(DataType.FLOAT, 3);
            CollectiveMismatchException e = null;
            for (int k = 0; k < STEPS && e == null; k++) {
                try {
                    opt.step(g);
                } catch (CollectiveMismatchException m) {
                    e = m;
                }
            }
            if (e == null) {
                try {
                    // the unnamed calls of old: one rank is a call behind; this meets it
                    c.named("after the steps").barrier();
                } catch (CollectiveMismatchException m) {
                    e = m;
                }
            }
            assertNotNull(e, "rank " + bf.rank() + ": a skipped call went unnoticed");
            String msg = e.getMessage();
            // rank 1 is one call ahead from the skip on: its first call of the next iteration meets
            // its peers' last call of this one, in the same step (iteration() counts finished steps)
            long expectedIteration = bf.rank() == SKIPPER ? SKIP_ITERATION + 1 : SKIP_ITERATION;
            assertEquals(expectedIteration, opt.iteration(), "rank " + bf.rank() + " failed in another step: " + msg);
            assertTrue(msg.contains("rank " + SKIPPER + " called neighborAllreduce 'step " + (SKIP_ITERATION + 1) + " call 0'"), msg);
            assertTrue(msg.contains("called neighborAllreduce 'step " + SKIP_ITERATION + " call " + (CALLS - 1) + "'"), msg);
            assertTrue(msg.contains("(call #"), msg);
        }
    }
}
