package io.bluefog.optimizers.pipeline.ddg;

import io.bluefog.collectives.pipeline.StageChannel;
import io.bluefog.collectives.pipeline.StageTensor;
import io.bluefog.timeline.Timeline;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * Runs one rank's module of a network split into K modules on K ranks with backpropagation free of
 * the backward lock (Huo, thesis chapters 5 and 6; Huo, Gu, Yang and Huang, "Decoupled Parallel
 * Backpropagation with Convergence Guarantee", ICML 2018; Huo, Gu and Huang, "Training Neural
 * Networks Using Features Replay", NeurIPS 2018). Module k (1-based, as in the thesis; stage
 * k − 1 of the {@link StageChannel}) has staleness K − k: at iteration t it updates with the
 * gradient of the sample of iteration t − K + k.
 *
 * <h2>One iteration t on module k</h2>
 * <ol>
 *   <li>Forward (sequential across modules, as in the thesis): take the sample (module 1) or the
 *       activation of iteration t from module k − 1, compute h_{L_k}^t with the current weights,
 *       store the input (and, for DDG, a copy of w_G(k)^t) and send h_{L_k}^t to module k + 1. The last
 *       module computes the loss of iteration t.</li>
 *   <li>Backward (all modules in parallel, no backward lock): s = t − K + k. If s &ge; 0, take the
 *       error gradient δ of sample s that module k + 1 sent during its iteration t − 1 (the last
 *       module differentiates its loss, s = t) and the stored input of sample s, then
 *       <ul>
 *         <li>{@link Method#DDG} (Algorithm 9/10): backward at the stored weights w_G(k)^s, so
 *             g_k^t = [∇f_{x_s}(w^s)]_G(k) exactly, equation (5.8);</li>
 *         <li>{@link Method#FEATURES_REPLAY} (Algorithm 11): replay the stored input through the
 *             module with the current weights w_G(k)^t and backpropagate δ, equations (6.7)–(6.9).</li>
 *       </ul>
 *       Send ∂f/∂h_{L_{k−1}} of sample s to module k − 1 (for its iteration t + 1). If s &lt; 0 the
 *       gradient is 0 (equation 5.8; Algorithm 11 sets the replayed input to 0, which has no
 *       error gradient to meet either).</li>
 *   <li>Update: w_G(k)^{t+1} = {@link DdgUpdater#update}(w_G(k)^t, g_k^t, t).</li>
 * </ol>
 * Module k's iteration t waits for module k + 1's iteration t − 1 (its δ) and module k − 1's
 * forward of iteration t, never for a backward pass of the same iteration; so the backward passes
 * of one iteration overlap and an iteration costs about T_F + T_B/K instead of T_F + T_B (Table 3).
 * DDG keeps K − k + 1 copies of its weights and inputs, features replay K − k + 1 inputs; both
 * recompute the module's forward pass before its backward (the module keeps no activations).
 *
 * <h2>Contract</h2>
 * Every rank of the pipeline builds an engine with the same method and calls {@link #step} the same
 * number of times, then {@link #finish}; module 1 passes the samples, the last module the labels.
 * With K = 1 both methods are ordinary backpropagation. A module that throws ends the job on every
 * rank (on the in-JVM transport its neighbours fail with {@link io.bluefog.CommunicationException},
 * mpirun aborts the job); a module that stalls makes its neighbours' waits end with
 * {@link io.bluefog.BlueFogTimeoutException} naming the module (stage and rank) they waited for.
 *
 * <p>Staleness is recorded: in each {@link Step}, and on the timeline lane {@code "ddg module k"}
 * (spans {@code "forward t"}, {@code "backward sample s (staleness d)"}, {@code "wait activation t"},
 * {@code "wait gradient s"}, {@code "update t"}).
 */
public final class DdgEngine {
    /** How a module gets the gradient it updates with. */
    public enum Method {
        /** delayed gradients, thesis chapter 5 (Algorithms 9 and 10) */
        DDG,
        /** features replay, thesis chapter 6 (Algorithm 11) */
        FEATURES_REPLAY
    }

    /**
     * What one iteration did on this rank.
     *
     * @param iteration  t
     * @param module     k, 1-based as in the thesis
     * @param staleness  K − k
     * @param sample     t − K + k, the iteration whose sample the update used; −1 if none yet
     * @param updated    false while t − K + k &lt; 0 (zero gradient)
     * @param loss       the last module: f of iteration t's sample at w^t; NaN on other modules
     */
    public record Step(long iteration, int module, int staleness, long sample, boolean updated, double loss) {
    }

    private record Stored(long sample, StageTensor input, double[] weights, long[] outputShape) {
    }

    private final StageChannel channel;
    private final DdgModule module;
    private final DdgUpdater updater;
    private final Method method;
    private final Timeline timeline;
    private final String lane;
    private final int stage;
    private final int modules;
    private final int staleness;
    private final ArrayDeque<Stored> history = new ArrayDeque<>();
    private long iteration;
    private boolean finished;
    private long forwardNanos;
    private long backwardNanos;
    private long waitNanos;

    /**
     * @param channel  this rank's stage channel: stage k − 1 of K
     * @param module   this rank's module
     * @param updater  this module's update rule (its own instance: it keeps state)
     * @param method   DDG or features replay
     * @param timeline where spans go ({@link Timeline#disabled()} for none)
     */
    public DdgEngine(StageChannel channel, DdgModule module, DdgUpdater updater, Method method, Timeline timeline) {
        if (channel == null || module == null || updater == null || method == null || timeline == null) {
            throw new IllegalArgumentException("channel, module, updater, method and timeline must not be null");
        }
        this.channel = channel;
        this.module = module;
        this.updater = updater;
        this.method = method;
        this.timeline = timeline;
        this.stage = channel.stage();
        this.modules = channel.stages();
        this.staleness = modules - 1 - stage;
        this.lane = "ddg module " + (stage + 1);
    }

    /** @return K − k, the delay of this module's gradients in iterations */
    public int staleness() {
        return staleness;
    }

    /** @return k, 1-based */
    public int module() {
        return stage + 1;
    }

    /** @return K */
    public int modules() {
        return modules;
    }

    public Method method() {
        return method;
    }

    /** @return seconds spent in this module's forward passes so far */
    public double forwardSeconds() {
        return forwardNanos * 1e-9;
    }

    /**
     * @return seconds spent in this module's backward passes so far (each includes the recomputed
     *         forward pass and, for DDG, swapping the stored weights in and out)
     */
    public double backwardSeconds() {
        return backwardNanos * 1e-9;
    }

    /** @return seconds spent waiting for activations and error gradients so far */
    public double waitSeconds() {
        return waitNanos * 1e-9;
    }

    /** @return the number of iterations run so far */
    public long iterations() {
        return iteration;
    }

    private static int tag(long sample) {
        return (int) (sample & 0x7fffffffL);
    }

    /**
     * Iteration t (= {@link #iterations()}).
     *
     * @param input  module 1: the sample x_t; other modules: ignored (may be null)
     * @param labels the last module: y_t; other modules: ignored (may be null)
     * @throws IllegalArgumentException if module 1 gets no input or the last module no labels
     * @throws IllegalStateException    after {@link #finish}
     */
    public Step step(StageTensor input, StageTensor labels) {
        if (finished) {
            throw new IllegalStateException("module " + module() + ": step after finish");
        }
        boolean first = stage == 0;
        boolean last = stage == modules - 1;
        if (first && input == null) {
            throw new IllegalArgumentException("module 1 needs the sample of iteration " + iteration);
        }
        if (last && labels == null) {
            throw new IllegalArgumentException("module " + modules + " (the last) needs the labels of iteration " + iteration);
        }
        long t = iteration;
        // forward
        StageTensor x = input;
        long t0 = System.nanoTime();
        if (!first) {
            try (Timeline.Span w = timeline.span(lane, "wait activation " + t)) {
                x = channel.receiveActivation(tag(t), module.expectedInputShape()).tensor();
            }
        }
        long t1 = System.nanoTime();
        waitNanos += t1 - t0;
        StageTensor y;
        try (Timeline.Span f = timeline.span(lane, "forward " + t)) {
            y = module.forward(x, last ? labels : null);
        }
        forwardNanos += System.nanoTime() - t1;
        history.addLast(new Stored(t, x, method == Method.DDG && staleness > 0 ? module.parameters() : null, y.shape()));
        double loss = Double.NaN;
        if (last) {
            if (y.size() != 1) {
                throw new IllegalStateException("the last module's forward must return the loss, shape [1]; got "
                        + Arrays.toString(y.shape()));
            }
            loss = y.values()[0];
        } else {
            channel.sendActivation(tag(t), t, y);
        }
        // backward with the delayed error gradient
        long s = t - staleness;
        double[] gradient;
        if (s >= 0) {
            Stored stored = history.removeFirst();
            if (stored.sample() != s) {
                throw new AssertionError("history holds sample " + stored.sample() + ", expected " + s);
            }
            StageTensor delta = null;
            long t2 = System.nanoTime();
            if (!last) {
                try (Timeline.Span w = timeline.span(lane, "wait gradient " + s)) {
                    delta = channel.receiveGradient(tag(s), stored.outputShape()).tensor();
                }
            }
            long t3 = System.nanoTime();
            waitNanos += t3 - t2;
            DdgModule.Gradients g;
            try (Timeline.Span b = timeline.span(lane, "backward sample " + s + " (staleness " + staleness + ")")) {
                if (stored.weights() != null) {
                    double[] current = module.parameters();
                    module.setParameters(stored.weights());
                    try {
                        g = module.backward(stored.input(), last ? labels : null, delta);
                    } finally {
                        module.setParameters(current);
                    }
                } else {
                    g = module.backward(stored.input(), last ? labels : null, delta);
                }
            }
            backwardNanos += System.nanoTime() - t3;
            if (!first) {
                channel.sendGradient(tag(s), t, g.inputGradient());
            }
            gradient = g.parameterGradient();
        } else {
            gradient = new double[module.parameterCount()];
        }
        try (Timeline.Span u = timeline.span(lane, "update " + t)) {
            double[] w = module.parameters();
            updater.update(w, gradient, t);
            module.setParameters(w);
        }
        iteration++;
        return new Step(t, module(), staleness, s >= 0 ? s : -1, s >= 0, loss);
    }

    /**
     * Ends the run on this rank: takes the error gradient module k + 1 sent in its last iteration
     * (it would serve iteration T, which does not run) and waits until every send completed.
     * Every rank calls it once, after the same number of {@link #step}s.
     */
    public void finish() {
        if (finished) {
            return;
        }
        finished = true;
        long s = iteration - staleness;
        if (stage < modules - 1 && s >= 0) {
            try (Timeline.Span w = timeline.span(lane, "wait gradient " + s)) {
                channel.receiveGradient(tag(s), null);
            }
        }
        channel.awaitSends();
        history.clear();
    }
}
