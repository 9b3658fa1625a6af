package io.bluefog.collectives.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.BlueFogTimeoutException;
import io.bluefog.CommunicationException;
import io.bluefog.local.LocalCluster;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Stage-to-stage traffic on LocalCluster: values, order, pooling, shape mismatch and deadlines. */
class StageChannelTest {
    private static final long TIMEOUT_MILLIS = 60_000;

    /**
     * Micro-batch k's activation starts at stage 0 as [k, k + 1, k + 2] (shape [1, 3]); every stage
     * adds its index; the last stage sends back the sum s as a gradient, and each stage on the way
     * back multiplies by 2. Closed forms: stage s receives k + j + Σ_{i<s} i, stage s receives the
     * gradient 2^(Δ-1-s) * sum at the last stage.
     */
    @ParameterizedTest(name = "stages = {0}")
    @ValueSource(ints = {2, 3, 4})
    void activationsForwardAndGradientsBackward(int stages) {
        int k = 5;
        LocalCluster.run(stages, bf -> {
            StageChannel ch = StageChannel.oneStagePerRank(bf.communicator(), TIMEOUT_MILLIS);
            int s = ch.stage();
            long allocationsAfterFirst = 0;
            for (int iteration = 0; iteration < 3; iteration++) {
                double offset = s * (s - 1) / 2.0;
                double lastOffset = (stages - 1) * (stages - 2) / 2.0 + (stages - 1);
                for (int mb = 0; mb < k; mb++) {
                    double[] x;
                    if (s == 0) {
                        x = new double[] {mb, mb + 1, mb + 2};
                    } else {
                        StageChannel.Received r = ch.receiveActivation(mb, new long[] {1, 3});
                        x = r.tensor().values();
                        assertArrayEquals(new double[] {mb + offset, mb + 1 + offset, mb + 2 + offset}, x, 0.0);
                        assertEquals(mb + s, r.step(), "the sender's step travels in the header");
                    }
                    for (int j = 0; j < 3; j++) {
                        x[j] += s;
                    }
                    if (s + 1 < stages) {
                        ch.sendActivation(mb, mb + s + 1, new StageTensor(new long[] {1, 3}, x));
                    }
                }
                for (int mb = 0; mb < k; mb++) {
                    double sumAtLast = 3 * mb + 3 + 3 * lastOffset;
                    double g;
                    if (s == stages - 1) {
                        g = sumAtLast;
                    } else {
                        g = ch.receiveGradient(mb, new long[] {1}).tensor().values()[0];
                        assertEquals(sumAtLast * Math.pow(2, stages - 1 - s), g, 0.0);
                    }
                    if (s > 0) {
                        ch.sendGradient(mb, 0, StageTensor.vector(2 * g));
                    }
                }
                ch.awaitSends();
                if (iteration == 0) {
                    allocationsAfterFirst = ch.bufferAllocations();
                } else {
                    assertEquals(allocationsAfterFirst, ch.bufferAllocations(), "later iterations reuse pooled buffers");
                }
            }
        });
    }

    @Test
    void wrongActivationShapeNamesBothStagesAndEndsTheJobOnEveryRank() {
        AtomicReferenceArray<Throwable> seen = new AtomicReferenceArray<>(3);
        StageMismatchException e = assertThrows(StageMismatchException.class, () -> LocalCluster.run(3, bf -> {
            StageChannel ch = StageChannel.oneStagePerRank(bf.communicator(), TIMEOUT_MILLIS);
            try {
                if (ch.stage() == 0) {
                    ch.sendActivation(0, 1, new StageTensor(new long[] {2, 3}, new double[6]));
                    ch.awaitSends();
                } else if (ch.stage() == 1) {
                    ch.receiveActivation(0, new long[] {3, 2});
                } else {
                    ch.receiveActivation(0, null); // never sent: released when stage 1 fails
                }
            } catch (Throwable t) {
                seen.set(bf.rank(), t);
                throw t;
            }
        }));
        assertTrue(e.getMessage().contains("stage 1 (rank 1) expects the activation of micro-batch 0 with shape [3, 2]"), e.getMessage());
        assertTrue(e.getMessage().contains("stage 0 (rank 0) sent shape [2, 3]"), e.getMessage());
        // Stage 0's small message may have completed eagerly; stage 2 certainly waited.
        assertTrue(seen.get(2) instanceof CommunicationException, "stage 2 released with " + seen.get(2));
        assertTrue(seen.get(2).getMessage().contains("rank 1 failed"), seen.get(2).getMessage());
    }

    @Test
    void wrongMicroBatchOrderIsAMismatch() {
        StageMismatchException e = assertThrows(StageMismatchException.class, () -> LocalCluster.run(2, bf -> {
            StageChannel ch = StageChannel.oneStagePerRank(bf.communicator(), TIMEOUT_MILLIS);
            if (ch.stage() == 0) {
                ch.sendActivation(1, 1, StageTensor.vector(1));
                ch.awaitSends();
            } else {
                ch.receiveActivation(0, null);
            }
        }));
        assertTrue(e.getMessage().contains("sent the activation of micro-batch 1"), e.getMessage());
    }

    @Test
    void aStalledStageTimesOutNamingTheStageWaitedFor() {
        BlueFogTimeoutException e = assertThrows(BlueFogTimeoutException.class, () -> LocalCluster.run(2, bf -> {
            StageChannel ch = StageChannel.oneStagePerRank(bf.communicator(), 200);
            if (ch.stage() == 1) {
                ch.receiveActivation(0, null);
            } else {
                // stage 0 stalls: it stays alive without sending until stage 1 gave up.
                while (true) {
                    bf.communicator().irecv(java.nio.ByteBuffer.allocateDirect(8).order(java.nio.ByteOrder.nativeOrder())
                            .asDoubleBuffer(), 1, 999).waitFor();
                }
            }
        }));
        assertTrue(e.getMessage().contains("stage 1 (rank 1) waited 200 ms for the activation of micro-batch 0 from stage 0 (rank 0)"),
                e.getMessage());
    }

    @Test
    void badArgumentsAreRejectedBeforeAnythingIsSent() {
        LocalCluster.run(2, bf -> {
            assertThrows(IllegalArgumentException.class, () -> new StageChannel(bf.communicator(), new int[] {0, 0}, 10));
            assertThrows(IllegalArgumentException.class, () -> new StageChannel(bf.communicator(), new int[] {0, 2}, 10));
            assertThrows(IllegalArgumentException.class, () -> new StageChannel(bf.communicator(), new int[] {0, 1}, 0));
            StageChannel ch = StageChannel.oneStagePerRank(bf.communicator(), 10);
            if (ch.stage() == 0) {
                assertThrows(IllegalStateException.class, () -> ch.sendGradient(0, 0, StageTensor.vector(1)));
                assertThrows(IllegalStateException.class, () -> ch.receiveActivation(0, null));
            } else {
                assertThrows(IllegalStateException.class, () -> ch.sendActivation(0, 0, StageTensor.vector(1)));
            }
        });
        assertThrows(IllegalArgumentException.class, () -> new StageTensor(new long[] {2, 2}, new double[3]));
    }
}
