package io.bluefog.optimizers.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.BlueFogTimeoutException;
import io.bluefog.CommunicationException;
import io.bluefog.collectives.pipeline.StageChannel;
import io.bluefog.collectives.pipeline.StageTensor;
import io.bluefog.local.LocalCluster;
import io.bluefog.timeline.Timeline;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * GPipe over a chain of Java functions on LocalCluster: every micro-batch's input gradient equals
 * the serial chain rule computed in one thread (the same floating-point operations in the same
 * order, so exactly), the losses match, and stage 0 finishes at stage-step 2(K + Δ − 1).
 */
class GPipeEngineTest {
    private static final long TIMEOUT_MILLIS = 60_000;
    private static final int WIDTH = 5;

    /** Link i < Δ−1: x ↦ tanh(A_i x); last link: x ↦ ½‖A x − b‖². A and b from a fixed seed. */
    static ChainFunction link(int i, int stages) {
        SplittableRandom rnd = new SplittableRandom(1000 + i);
        double[][] a = new double[WIDTH][WIDTH];
        for (double[] row : a) {
            Arrays.setAll(row, j -> rnd.nextDouble(-1, 1));
        }
        double[] b = new double[WIDTH];
        Arrays.setAll(b, j -> rnd.nextDouble(-1, 1));
        boolean last = i == stages - 1;
        return new ChainFunction() {
            double[] ax(double[] x) {
                double[] y = new double[WIDTH];
                for (int r = 0; r < WIDTH; r++) {
                    for (int c = 0; c < WIDTH; c++) {
                        y[r] += a[r][c] * x[c];
                    }
                }
                return y;
            }

            double[] atv(double[] v) {
                double[] y = new double[WIDTH];
                for (int r = 0; r < WIDTH; r++) {
                    for (int c = 0; c < WIDTH; c++) {
                        y[c] += a[r][c] * v[r];
                    }
                }
                return y;
            }

            @Override
            public double[] apply(double[] x) {
                double[] y = ax(x);
                if (last) {
                    double s = 0;
                    for (int r = 0; r < WIDTH; r++) {
                        s += 0.5 * (y[r] - b[r]) * (y[r] - b[r]);
                    }
                    return new double[] {s};
                }
                for (int r = 0; r < WIDTH; r++) {
                    y[r] = Math.tanh(y[r]);
                }
                return y;
            }

            @Override
            public double[] vjp(double[] x, double[] g) {
                double[] y = ax(x);
                double[] v = new double[WIDTH];
                for (int r = 0; r < WIDTH; r++) {
                    v[r] = last ? (y[r] - b[r]) * g[0] : (1 - Math.tanh(y[r]) * Math.tanh(y[r])) * g[r];
                }
                return atv(v);
            }
        };
    }

    static double[] input(int mb) {
        SplittableRandom rnd = new SplittableRandom(77 + mb);
        double[] x = new double[WIDTH];
        Arrays.setAll(x, j -> rnd.nextDouble(-2, 2));
        return x;
    }

    /** Serial reference: forward through all links, then the chain rule backwards. */
    static double[] serialGradient(int stages, double[] x0, double weight, double[] lossOut) {
        List<double[]> xs = new ArrayList<>();
        double[] x = x0;
        for (int i = 0; i < stages; i++) {
            xs.add(x);
            x = link(i, stages).apply(x);
        }
        lossOut[0] = x[0];
        double[] g = {weight};
        for (int i = stages - 1; i >= 0; i--) {
            g = link(i, stages).vjp(xs.get(i), g);
        }
        return g;
    }

    static Stream<Arguments> sizes() {
        List<Arguments> out = new ArrayList<>();
        for (int d = 1; d <= 4; d++) {
            for (int k = 1; k <= 5; k++) {
                out.add(Arguments.of(d, k));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "stages = {0}, micro-batches = {1}")
    @MethodSource("sizes")
    void inputGradientsEqualTheSerialChainRule(int stages, int k) {
        double[] weights = new double[k];
        Arrays.setAll(weights, i -> (i + 1.0) / (k * (k + 1) / 2.0));
        List<GPipeEngine.Pass> passes = LocalCluster.call(stages, bf -> {
            StageChannel ch = StageChannel.oneStagePerRank(bf.communicator(), TIMEOUT_MILLIS);
            GPipeEngine engine = new GPipeEngine(ch, new FunctionStage(link(ch.stage(), stages), WIDTH), Timeline.disabled());
            List<StageTensor> inputs = new ArrayList<>();
            for (int mb = 0; mb < k; mb++) {
                inputs.add(StageTensor.vector(input(mb)));
            }
            GPipeEngine.Pass pass = engine.run(ch.stage() == 0 ? inputs : null, weights);
            GPipeEngine.Pass again = engine.run(ch.stage() == 0 ? inputs : null, weights);
            assertEquals(pass.inputGradients(), again.inputGradients(), "a second pass repeats the first");
            return pass;
        });
        GPipeEngine.Pass first = passes.get(0);
        GPipeEngine.Pass lastStage = passes.get(stages - 1);
        assertEquals(2L * (k + stages - 1), first.stageSteps(), "GPipe: stage 0 ends at 2(K + Δ − 1)");
        for (int mb = 0; mb < k; mb++) {
            double[] loss = new double[1];
            double[] expected = serialGradient(stages, input(mb), weights[mb], loss);
            assertArrayEquals(expected, first.inputGradients().get(mb).values(), 0.0, "micro-batch " + mb);
            assertEquals(loss[0], lastStage.losses()[mb], 0.0);
        }
    }

    @Test
    void aStageThatThrowsEndsThePassOnEveryRank() {
        int stages = 3;
        IllegalStateException boom = new IllegalStateException("stage 1 broke");
        AtomicReferenceArray<Throwable> seen = new AtomicReferenceArray<>(stages);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> LocalCluster.run(stages, bf -> {
            StageChannel ch = StageChannel.oneStagePerRank(bf.communicator(), TIMEOUT_MILLIS);
            ChainFunction f = link(ch.stage(), stages);
            ChainFunction stageFn = ch.stage() != 1 ? f : new ChainFunction() {
                @Override
                public double[] apply(double[] x) {
                    throw boom;
                }

                @Override
                public double[] vjp(double[] x, double[] g) {
                    throw boom;
                }
            };
            try {
                new GPipeEngine(ch, new FunctionStage(stageFn, WIDTH), Timeline.disabled())
                        .run(List.of(StageTensor.vector(input(0)), StageTensor.vector(input(1))), new double[] {0.5, 0.5});
            } catch (Throwable t) {
                seen.set(bf.rank(), t);
                throw t;
            }
        }));
        assertEquals(boom, e);
        for (int r : new int[] {0, 2}) {
            assertTrue(seen.get(r) instanceof CommunicationException, "rank " + r + ": " + seen.get(r));
            assertTrue(seen.get(r).getMessage().contains("rank 1 failed"), seen.get(r).getMessage());
        }
    }

    @Test
    void aStalledStageEndsThePassWithATimeoutNamingIt() {
        int stages = 3;
        AtomicReferenceArray<Throwable> seen = new AtomicReferenceArray<>(stages);
        BlueFogTimeoutException e = assertThrows(BlueFogTimeoutException.class, () -> LocalCluster.run(stages, bf -> {
            StageChannel ch = StageChannel.oneStagePerRank(bf.communicator(), 300);
            ChainFunction f = link(ch.stage(), stages);
            ChainFunction stageFn = ch.stage() != 1 ? f : new ChainFunction() {
                @Override
                public double[] apply(double[] x) {
                    // stalls: waits for a message nobody sends, until the job fails
                    bf.communicator().irecv(ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder()).asDoubleBuffer(), 0, 999)
                            .waitFor();
                    return x;
                }

                @Override
                public double[] vjp(double[] x, double[] g) {
                    return g;
                }
            };
            try {
                new GPipeEngine(ch, new FunctionStage(stageFn, WIDTH), Timeline.disabled())
                        .run(List.of(StageTensor.vector(input(0))), new double[] {1});
            } catch (Throwable t) {
                seen.set(bf.rank(), t);
                throw t;
            }
        }));
        assertTrue(e.getMessage().contains("from stage 1 (rank 1)"), e.getMessage());
        for (int r = 0; r < stages; r++) {
            assertTrue(seen.get(r) != null, "rank " + r + " ended with an error");
        }
        // the first to give up is a neighbour of the stalled stage (0 waits for its gradient, 2 for its activation)
        assertTrue(e.getMessage().startsWith("stage 0 (rank 0)") || e.getMessage().startsWith("stage 2 (rank 2)"), e.getMessage());
    }

    @Test
    void everyForwardAndBackwardIsASpanOnItsStagesLane(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        int stages = 3;
        int k = 4;
        double[] weights = {0.25, 0.25, 0.25, 0.25};
        LocalCluster.run(stages, bf -> {
            StageChannel ch = StageChannel.oneStagePerRank(bf.communicator(), TIMEOUT_MILLIS);
            try (Timeline timeline = Timeline.open(dir.resolve("pipe-").toString(), bf.rank())) {
                List<StageTensor> inputs = new ArrayList<>();
                for (int mb = 0; mb < k; mb++) {
                    inputs.add(StageTensor.vector(input(mb)));
                }
                new GPipeEngine(ch, new FunctionStage(link(ch.stage(), stages), WIDTH), timeline)
                        .run(ch.stage() == 0 ? inputs : null, weights);
            }
        });
        java.util.regex.Pattern name = java.util.regex.Pattern.compile("\"name\"\\s*:\\s*\"([^\"]*)\"");
        for (int s = 0; s < stages; s++) {
            String text = java.nio.file.Files.readString(dir.resolve("pipe-" + s + ".json"));
            List<String> spans = new ArrayList<>();
            java.util.regex.Matcher m = name.matcher(text);
            while (m.find()) {
                spans.add(m.group(1));
            }
            String laneName = spans.contains("pipeline stage " + s) ? "pipeline stage " + s : null;
            assertEquals("pipeline stage " + s, laneName);
            for (int mb = 0; mb < k; mb++) {
                assertTrue(spans.contains("forward " + mb), "stage " + s + ": " + spans);
                assertTrue(spans.contains("backward " + mb), "stage " + s + ": " + spans);
                assertEquals(s > 0, spans.contains("wait activation " + mb), "stage " + s + ": " + spans);
                assertEquals(s < stages - 1, spans.contains("wait gradient " + mb), "stage " + s + ": " + spans);
            }
        }
    }
}
