package io.bluefog.optimizers.pipeline.ddg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.BlueFogTimeoutException;
import io.bluefog.CommunicationException;
import io.bluefog.collectives.pipeline.StageChannel;
import io.bluefog.collectives.pipeline.StageTensor;
import io.bluefog.local.LocalCluster;
import io.bluefog.optimizers.pipeline.ddg.DdgEngine.Method;
import io.bluefog.timeline.Timeline;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * DDG and features replay on LocalCluster against serial simulations written here, one thread,
 * straight from the thesis's formulas: DDG (Algorithm 9/10, equation 5.8) updates module k at
 * iteration t with [∇f_{x_s}(w^s)]_G(k), s = t − K + k; features replay (Algorithm 11) replays the
 * stored input of sample s through module k with w^t and backpropagates the error gradient module
 * k + 1 produced at iteration t − 1. The engine performs the same floating-point operations, so the
 * weights after every iteration agree exactly (tolerance {@value #EXACT}).
 */
class DdgEngineTest {
    private static final long TIMEOUT_MILLIS = 60_000;
    private static final double EXACT = 0.0;
    private static final int ITERATIONS = 7;
    private static final int IN = 3;
    private static final int OUT = 2;

    /** Module k of K (0-based): two layers, widths IN→4→4 for the first, 4→4→… then OUT for the last. */
    static TanhMlpModule module(int k, int modules) {
        int in = k == 0 ? IN : 4;
        int out = k == modules - 1 ? OUT : 4;
        return new TanhMlpModule(new int[] {in, 4, out}, k == modules - 1, 500 + k);
    }

    static StageTensor sample(long t) {
        SplittableRandom r = new SplittableRandom(7000 + t);
        double[] x = new double[IN];
        Arrays.setAll(x, i -> r.nextDouble(-1, 1));
        return StageTensor.vector(x);
    }

    static StageTensor label(long t) {
        SplittableRandom r = new SplittableRandom(9000 + t);
        double[] y = new double[OUT];
        Arrays.setAll(y, i -> r.nextDouble(-1, 1));
        return StageTensor.vector(y);
    }

    /** What one rank saw: weights after every iteration, the steps, the losses. */
    record Run(List<double[]> weights, List<DdgEngine.Step> steps) {
    }

    static List<Run> runEngine(int modules, Method method, Supplier<DdgUpdater> updater) {
        return LocalCluster.call(modules, bf -> {
            StageChannel ch = StageChannel.oneStagePerRank(bf.communicator(), TIMEOUT_MILLIS);
            TanhMlpModule m = module(ch.stage(), modules);
            DdgEngine engine = new DdgEngine(ch, m, updater.get(), method, Timeline.disabled());
            List<double[]> w = new ArrayList<>();
            List<DdgEngine.Step> steps = new ArrayList<>();
            for (long t = 0; t < ITERATIONS; t++) {
                steps.add(engine.step(ch.stage() == 0 ? sample(t) : null, ch.stage() == modules - 1 ? label(t) : null));
                w.add(m.parameters());
            }
            engine.finish();
            return new Run(w, steps);
        });
    }

    /**
     * Serial DDG: g_k^t = [∇f_{x_s}(w^s)]_G(k) with s = t − delay_k (0 if s &lt; 0). With delay_k =
     * K − k it is Algorithm 9/10; with every delay 0 it is ordinary backpropagation.
     *
     * @return weights[t][k] after iteration t
     */
    static double[][][] serialDelayed(int modules, int[] delays, Supplier<DdgUpdater> updater) {
        TanhMlpModule[] ms = new TanhMlpModule[modules];
        DdgUpdater[] ups = new DdgUpdater[modules];
        double[][][] w = new double[ITERATIONS + 1][modules][];
        for (int k = 0; k < modules; k++) {
            ms[k] = module(k, modules);
            ups[k] = updater.get();
            w[0][k] = ms[k].parameters();
        }
        for (int t = 0; t < ITERATIONS; t++) {
            for (int k = 0; k < modules; k++) {
                int s = t - delays[k];
                double[] g = new double[ms[k].parameterCount()];
                if (s >= 0) {
                    g = fullGradient(ms, w[s], s)[k];
                }
                double[] next = w[t][k].clone();
                ups[k].update(next, g, t);
                w[t + 1][k] = next;
            }
        }
        return Arrays.copyOfRange(w, 1, ITERATIONS + 1);
    }

    /** Backpropagation through all modules at weights {@code at} on sample s: each module's block. */
    static double[][] fullGradient(TanhMlpModule[] ms, double[][] at, int s) {
        int modules = ms.length;
        StageTensor[] inputs = new StageTensor[modules];
        StageTensor h = sample(s);
        for (int k = 0; k < modules; k++) {
            ms[k].setParameters(at[k]);
            inputs[k] = h;
            if (k < modules - 1) {
                h = ms[k].forward(h, null);
            }
        }
        double[][] g = new double[modules][];
        StageTensor delta = null;
        for (int k = modules - 1; k >= 0; k--) {
            DdgModule.Gradients gk = ms[k].backward(inputs[k], k == modules - 1 ? label(s) : null, delta);
            g[k] = gk.parameterGradient();
            delta = gk.inputGradient();
        }
        return g;
    }

    /** Serial features replay, Algorithm 11 with δ_k^t of equation (6.7). */
    static double[][][] serialFeaturesReplay(int modules, Supplier<DdgUpdater> updater) {
        TanhMlpModule[] ms = new TanhMlpModule[modules];
        DdgUpdater[] ups = new DdgUpdater[modules];
        double[][][] w = new double[ITERATIONS + 1][modules][];
        for (int k = 0; k < modules; k++) {
            ms[k] = module(k, modules);
            ups[k] = updater.get();
            w[0][k] = ms[k].parameters();
        }
        StageTensor[][] stored = new StageTensor[modules][ITERATIONS];
        // deltaFor[k][t]: the error gradient module k uses at iteration t (made by k + 1 at t − 1)
        StageTensor[][] deltaFor = new StageTensor[modules][ITERATIONS + 1];
        for (int t = 0; t < ITERATIONS; t++) {
            StageTensor h = sample(t);
            for (int k = 0; k < modules; k++) {
                ms[k].setParameters(w[t][k]);
                stored[k][t] = h;
                if (k < modules - 1) {
                    h = ms[k].forward(h, null);
                }
            }
            for (int k = 0; k < modules; k++) {
                int s = t - (modules - 1 - k);
                double[] g = new double[ms[k].parameterCount()];
                if (s >= 0) {
                    ms[k].setParameters(w[t][k]);
                    DdgModule.Gradients gk = ms[k].backward(stored[k][s], k == modules - 1 ? label(s) : null,
                            k == modules - 1 ? null : deltaFor[k][t]);
                    g = gk.parameterGradient();
                    if (k > 0) {
                        deltaFor[k - 1][t + 1] = gk.inputGradient();
                    }
                }
                double[] next = w[t][k].clone();
                ups[k].update(next, g, t);
                w[t + 1][k] = next;
            }
        }
        return Arrays.copyOfRange(w, 1, ITERATIONS + 1);
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (int modules = 1; modules <= 3; modules++) {
            for (String rule : List.of("sgd", "momentum", "adam")) {
                out.add(Arguments.of(modules, rule));
            }
        }
        return out.stream();
    }

    static Supplier<DdgUpdater> rule(String name) {
        return switch (name) {
            case "sgd" -> () -> DdgUpdater.sgd(0.1);
            case "momentum" -> () -> DdgUpdater.momentum(0.05, 0.9);
            case "adam" -> () -> DdgUpdater.adam(0.01);
            default -> throw new IllegalArgumentException(name);
        };
    }

    static int[] thesisDelays(int modules) {
        int[] d = new int[modules];
        Arrays.setAll(d, k -> modules - 1 - k);
        return d;
    }

    static void assertSameWeights(double[][][] expected, List<Run> runs, String what) {
        for (int k = 0; k < runs.size(); k++) {
            for (int t = 0; t < ITERATIONS; t++) {
                assertArrayEquals(expected[t][k], runs.get(k).weights().get(t), EXACT,
                        what + ": module " + (k + 1) + " after iteration " + t);
            }
        }
    }

    static boolean sameWeights(double[][][] expected, List<Run> runs) {
        for (int k = 0; k < runs.size(); k++) {
            for (int t = 0; t < ITERATIONS; t++) {
                if (!Arrays.equals(expected[t][k], runs.get(k).weights().get(t))) {
                    return false;
                }
            }
        }
        return true;
    }

    @ParameterizedTest(name = "K = {0}, {1}")
    @MethodSource("cases")
    void ddgUpdatesModuleKWithTheGradientOfIterationTMinusKPlusK(int modules, String rule) {
        List<Run> runs = runEngine(modules, Method.DDG, rule(rule));
        assertSameWeights(serialDelayed(modules, thesisDelays(modules), rule(rule)), runs, "DDG");
        double[][][] backprop = serialDelayed(modules, new int[modules], rule(rule));
        if (modules == 1) {
            assertSameWeights(backprop, runs, "K = 1 is backpropagation");
        } else {
            assertFalse(sameWeights(backprop, runs), "with K > 1 the delays change the updates");
        }
        for (int k = 0; k < modules; k++) {
            for (DdgEngine.Step step : runs.get(k).steps()) {
                assertEquals(modules - 1 - k, step.staleness());
                assertEquals(k + 1, step.module());
                long s = step.iteration() - (modules - 1 - k);
                assertEquals(s >= 0 ? s : -1, step.sample(), "the sample of iteration t − K + k");
                assertEquals(s >= 0, step.updated());
                assertEquals(k == modules - 1, !Double.isNaN(step.loss()));
            }
        }
    }

    @ParameterizedTest(name = "K = {0}, {1}")
    @MethodSource("cases")
    void featuresReplayMatchesAlgorithm11(int modules, String rule) {
        List<Run> runs = runEngine(modules, Method.FEATURES_REPLAY, rule(rule));
        assertSameWeights(serialFeaturesReplay(modules, rule(rule)), runs, "features replay");
        if (modules == 1) {
            assertSameWeights(serialDelayed(1, new int[1], rule(rule)), runs, "K = 1 is backpropagation");
        } else {
            assertFalse(sameWeights(serialDelayed(modules, thesisDelays(modules), rule(rule)), runs),
                    "features replay differs from DDG when K > 1");
        }
    }

    /** The reference itself: the test module's backward pass against central differences of its loss. */
    @Test
    void testModuleGradientMatchesCentralDifferences() {
        double tolerance = 1e-7;
        double h = 1e-6;
        TanhMlpModule[] ms = {module(0, 2), module(1, 2)};
        double[][] at = {ms[0].parameters(), ms[1].parameters()};
        double[][] g = fullGradient(ms, at, 3);
        for (int k = 0; k < 2; k++) {
            for (int i = 0; i < at[k].length; i++) {
                double[] plus = at[k].clone();
                double[] minus = at[k].clone();
                plus[i] += h;
                minus[i] -= h;
                ms[k].setParameters(plus);
                double fPlus = ms[1].forward(ms[0].forward(sample(3), null), label(3)).values()[0];
                ms[k].setParameters(minus);
                double fMinus = ms[1].forward(ms[0].forward(sample(3), null), label(3)).values()[0];
                ms[k].setParameters(at[k]);
                assertEquals((fPlus - fMinus) / (2 * h), g[k][i], tolerance, "module " + (k + 1) + " parameter " + i);
            }
        }
    }

    @Test
    void lastModuleReportsTheLossAtTheCurrentWeights() {
        int modules = 2;
        List<Run> runs = runEngine(modules, Method.DDG, rule("sgd"));
        double[][][] w = serialDelayed(modules, thesisDelays(modules), rule("sgd"));
        TanhMlpModule[] ms = {module(0, modules), module(1, modules)};
        for (int t = 0; t < ITERATIONS; t++) {
            StageTensor h = sample(t);
            if (t > 0) {
                ms[0].setParameters(w[t - 1][0]);
                ms[1].setParameters(w[t - 1][1]);
            }
            double loss = ms[1].forward(ms[0].forward(h, null), label(t)).values()[0];
            assertEquals(loss, runs.get(1).steps().get(t).loss(), EXACT, "loss of iteration " + t);
        }
    }

    @Test
    void theTimelineRecordsEachModulesStaleness(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        int modules = 3;
        LocalCluster.run(modules, bf -> {
            StageChannel ch = StageChannel.oneStagePerRank(bf.communicator(), TIMEOUT_MILLIS);
            try (Timeline timeline = Timeline.open(dir.resolve("ddg-").toString(), bf.rank())) {
                DdgEngine engine = new DdgEngine(ch, module(ch.stage(), modules), DdgUpdater.sgd(0.1), Method.DDG, timeline);
                for (long t = 0; t < ITERATIONS; t++) {
                    engine.step(sample(t), label(t));
                }
                engine.finish();
            }
        });
        java.util.regex.Pattern name = java.util.regex.Pattern.compile("\"name\"\\s*:\\s*\"([^\"]*)\"");
        for (int k = 0; k < modules; k++) {
            String text = java.nio.file.Files.readString(dir.resolve("ddg-" + k + ".json"));
            List<String> spans = new ArrayList<>();
            java.util.regex.Matcher m = name.matcher(text);
            while (m.find()) {
                spans.add(m.group(1));
            }
            int staleness = modules - 1 - k;
            assertTrue(spans.contains("ddg module " + (k + 1)), "module " + (k + 1) + ": " + spans);
            for (int t = 0; t < ITERATIONS; t++) {
                assertTrue(spans.contains("forward " + t), "module " + (k + 1) + ": " + spans);
                assertTrue(spans.contains("update " + t), "module " + (k + 1) + ": " + spans);
                assertEquals(t + staleness < ITERATIONS, spans.contains("backward sample " + t + " (staleness " + staleness + ")"),
                        "module " + (k + 1) + ", sample " + t + ": " + spans);
            }
        }
    }

    @Test
    void aModuleThatThrowsEndsTheRunOnEveryRank() {
        int modules = 3;
        IllegalStateException boom = new IllegalStateException("module 2 broke");
        AtomicReferenceArray<Throwable> seen = new AtomicReferenceArray<>(modules);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> LocalCluster.run(modules, bf -> {
            StageChannel ch = StageChannel.oneStagePerRank(bf.communicator(), TIMEOUT_MILLIS);
            TanhMlpModule m = module(ch.stage(), modules);
            DdgModule mod = ch.stage() != 1 ? m : new DelegatingModule(m) {
                @Override
                public Gradients backward(StageTensor input, StageTensor labels, StageTensor outputGradient) {
                    throw boom;
                }
            };
            try {
                DdgEngine engine = new DdgEngine(ch, mod, DdgUpdater.sgd(0.1), Method.DDG, Timeline.disabled());
                for (long t = 0; t < ITERATIONS; t++) {
                    engine.step(sample(t), label(t));
                }
                engine.finish();
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
    void aStalledModuleEndsTheRunWithATimeoutNamingIt() {
        int modules = 3;
        AtomicReferenceArray<Throwable> seen = new AtomicReferenceArray<>(modules);
        BlueFogTimeoutException e = assertThrows(BlueFogTimeoutException.class, () -> LocalCluster.run(modules, bf -> {
            StageChannel ch = StageChannel.oneStagePerRank(bf.communicator(), 300);
            TanhMlpModule m = module(ch.stage(), modules);
            DdgModule mod = ch.stage() != 1 ? m : new DelegatingModule(m) {
                @Override
                public Gradients backward(StageTensor input, StageTensor labels, StageTensor outputGradient) {
                    // stalls: waits for a message nobody sends, until the job fails
                    bf.communicator().irecv(ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder()).asDoubleBuffer(), 0, 999)
                            .waitFor();
                    return super.backward(input, labels, outputGradient);
                }
            };
            try {
                DdgEngine engine = new DdgEngine(ch, mod, DdgUpdater.sgd(0.1), Method.FEATURES_REPLAY, Timeline.disabled());
                for (long t = 0; t < ITERATIONS; t++) {
                    engine.step(sample(t), label(t));
                }
                engine.finish();
            } catch (Throwable t) {
                seen.set(bf.rank(), t);
                throw t;
            }
        }));
        assertTrue(e.getMessage().contains("stage 1 (rank 1)"), e.getMessage());
        for (int r = 0; r < modules; r++) {
            assertNotNull(seen.get(r), "rank " + r + " ended with an error");
        }
    }

    @Test
    void badInputIsRejectedBeforeWork() {
        LocalCluster.run(2, bf -> {
            StageChannel ch = StageChannel.oneStagePerRank(bf.communicator(), TIMEOUT_MILLIS);
            DdgEngine engine = new DdgEngine(ch, module(ch.stage(), 2), DdgUpdater.sgd(0.1), Method.DDG, Timeline.disabled());
            assertEquals(1 - ch.stage(), engine.staleness());
            if (ch.stage() == 0) {
                assertThrows(IllegalArgumentException.class, () -> engine.step(null, null));
            } else {
                assertThrows(IllegalArgumentException.class, () -> engine.step(null, null));
            }
        });
        assertThrows(IllegalArgumentException.class, () -> DdgUpdater.sgd(0));
        assertThrows(IllegalArgumentException.class, () -> DdgUpdater.momentum(0.1, 1.0));
        assertThrows(IllegalArgumentException.class, () -> DdgUpdater.adam(0.1, 0.9, 1.0, 1e-8));
    }

    /** Forwards every call to a module; tests override one method. */
    static class DelegatingModule implements DdgModule {
        final DdgModule inner;

        DelegatingModule(DdgModule inner) {
            this.inner = inner;
        }

        @Override
        public int parameterCount() {
            return inner.parameterCount();
        }

        @Override
        public double[] parameters() {
            return inner.parameters();
        }

        @Override
        public void setParameters(double[] p) {
            inner.setParameters(p);
        }

        @Override
        public StageTensor forward(StageTensor input, StageTensor labels) {
            return inner.forward(input, labels);
        }

        @Override
        public Gradients backward(StageTensor input, StageTensor labels, StageTensor outputGradient) {
            return inner.backward(input, labels, outputGradient);
        }
    }
}
