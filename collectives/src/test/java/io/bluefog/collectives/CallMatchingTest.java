package io.bluefog.collectives;

import static io.bluefog.collectives.testing.SerialReference.filled;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.CollectiveMismatchException;
import io.bluefog.local.LocalCluster;
import io.bluefog.topology.Topologies;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A rank that skips one of several identical neighborAllreduce calls: unnamed, the calls are paired
 * by order and the skipped rank's next call meets its peers' previous one (the engine cannot tell
 * identical calls apart); named per step, as the training job names its calls, the pairing fails
 * with {@link CollectiveMismatchException} naming both ranks' names and call numbers.
 */
class CallMatchingTest {
    static final int CALLS = 5;
    static final int SKIPPED = 2;

    @Test
    void aSkippedNamedCallIsAMismatchNamingBothRanksCalls() {
        int n = 2;
        LocalCluster.builder(n).build().run(bf -> {
            int r = bf.rank();
            try (Collectives c = Collectives.of(bf)) {
                Mixing ring = Mixing.of(Topologies.ring(n));
                CollectiveMismatchException e = assertThrows(CollectiveMismatchException.class, () -> {
                    for (int k = 0; k < CALLS; k++) {
                        if (r == 1 && k == SKIPPED) {
                            continue;
                        }
                        INDArray x = filled(1000 * k + r, DataType.FLOAT, 3);
                        c.named("step " + k).neighborAllreduce(x, ring);
                    }
                });
                String m = e.getMessage();
                assertTrue(m.contains("rank 0 called neighborAllreduce 'step " + SKIPPED + "' float32 [3]"), m);
                assertTrue(m.contains("rank 1 called neighborAllreduce 'step " + (SKIPPED + 1) + "' float32 [3]"), m);
                assertTrue(m.contains("(call #" + SKIPPED + ")"), m);
                // Both ranks failed the same pairing, so they are still in step: the next call works.
                INDArray y = c.named("after").allreduce(filled(r, DataType.FLOAT, 2), io.bluefog.comm.ReduceOp.SUM);
                assertEquals(n * (n - 1) / 2.0, y.getDouble(0), 0.0);
            }
        });
    }
}
