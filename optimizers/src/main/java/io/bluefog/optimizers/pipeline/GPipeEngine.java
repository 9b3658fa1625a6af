package io.bluefog.optimizers.pipeline;

import io.bluefog.collectives.pipeline.StageChannel;
import io.bluefog.collectives.pipeline.StageTensor;
import io.bluefog.timeline.Timeline;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Runs one rank's stage of a pipeline with GPipe's schedule (Huang et al., "GPipe: Efficient
 * Training of Giant Neural Networks using Pipeline Parallelism", NeurIPS 2019; Figure 2 of Colin,
 * Dos Santos and Scaman, NeurIPS 2019): the K micro-batches go forward through the Δ stages one
 * after the other, so that stage s works on micro-batch k while stage s + 1 works on k − 1; once
 * the last stage has the loss of every micro-batch, the error gradients go backward the same way.
 *
 * <h2>Stage-steps</h2>
 * Every forward or backward of one micro-batch on one stage is one stage-step. The engine keeps a
 * logical clock (Lamport's): a stage-step ends at max(this stage's previous step, the step at which
 * the sender finished the input, carried in the {@link StageChannel} header) + 1. With this
 * schedule stage 0 finishes the pass at step 2(K + Δ − 1), instead of 2KΔ for one micro-batch at a
 * time ({@link Pass#stageSteps()}); the wall-clock time of a pass follows when stages take equal
 * time per step.
 *
 * <h2>Contract</h2>
 * Every rank of the pipeline calls {@link #run} with the same K and weights; stage 0 passes the K
 * inputs. Weights w_k: the pass computes the gradient of Σ_k w_k ℓ_k (w_k = 1/K: the mean over
 * micro-batches; w_k = m_k/m for a batch of m rows split in micro-batches of m_k rows: the batch's
 * mean loss). A stage that throws ends the pass on every rank (its neighbours fail with
 * {@link io.bluefog.CommunicationException} on the in-JVM transport; mpirun aborts the job); a
 * stage that stalls makes its neighbours' waits end with {@link io.bluefog.BlueFogTimeoutException}
 * naming the stage they waited for, after the channel's timeout.
 *
 * <p>Timeline: on lane {@code "pipeline stage s"}, one span per forward ({@code "forward k"}) and
 * backward ({@code "backward k"}) and one per wait ({@code "wait activation k"},
 * {@code "wait gradient k"}), so the bubble is visible in the Chrome trace.
 */
public final class GPipeEngine {
    private final StageChannel channel;
    private final PipelineStage stage;
    private final Timeline timeline;
    private final String lane;

    /**
     * @param channel  this rank's stage channel (decides the stage index and Δ)
     * @param stage    this rank's stage
     * @param timeline where spans go ({@link Timeline#disabled()} for none)
     */
    public GPipeEngine(StageChannel channel, PipelineStage stage, Timeline timeline) {
        if (channel == null || stage == null || timeline == null) {
            throw new IllegalArgumentException("channel, stage and timeline must not be null");
        }
        this.channel = channel;
        this.stage = stage;
        this.timeline = timeline;
        this.lane = "pipeline stage " + channel.stage();
    }

    /**
     * What one pass produced on this rank.
     *
     * @param inputGradients stage 0: ∂(w_k ℓ_k)/∂(input k) for each micro-batch k; other stages: empty
     * @param losses         last stage: ℓ_k for each micro-batch (unweighted); other stages: empty
     * @param stageSteps     the logical stage-step at which this stage finished the pass
     */
    public record Pass(List<StageTensor> inputGradients, double[] losses, long stageSteps) {
        public Pass {
            inputGradients = List.copyOf(inputGradients);
            losses = losses.clone();
        }

        @Override
        public double[] losses() {
            return losses.clone();
        }

        /** @return Σ_k inputGradients[k] (stage 0), element-wise in micro-batch order */
        public double[] inputGradientSum() {
            if (inputGradients.isEmpty()) {
                throw new IllegalStateException("only stage 0 has input gradients");
            }
            double[] sum = new double[inputGradients.get(0).size()];
            for (StageTensor g : inputGradients) {
                double[] v = g.values();
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += v[i];
                }
            }
            return sum;
        }
    }

    /** @return this rank's stage index */
    public int stageIndex() {
        return channel.stage();
    }

    /** @return Δ */
    public int stages() {
        return channel.stages();
    }

    /**
     * One forward and backward pass of K micro-batches.
     *
     * @param inputs  stage 0: the K inputs; other stages: ignored (may be null)
     * @param weights w_k, length K &ge; 1, the same on every rank
     * @throws IllegalArgumentException if weights are empty or stage 0's inputs are not K
     */
    public Pass run(List<StageTensor> inputs, double[] weights) {
        if (weights == null || weights.length == 0) {
            throw new IllegalArgumentException("weights must give at least one micro-batch");
        }
        int k = weights.length;
        int s = channel.stage();
        boolean first = s == 0;
        boolean last = s == channel.stages() - 1;
        if (first && (inputs == null || inputs.size() != k)) {
            throw new IllegalArgumentException("stage 0 needs " + k + " inputs (one per weight), got "
                    + (inputs == null ? "null" : inputs.size()));
        }
        stage.zeroGradients();
        long clock = 0;
        double[] losses = last ? new double[k] : new double[0];
        long[][] outputShapes = new long[k][];
        for (int mb = 0; mb < k; mb++) {
            StageTensor x;
            long ready = 0;
            if (first) {
                x = inputs.get(mb);
            } else {
                try (Timeline.Span w = timeline.span(lane, "wait activation " + mb)) {
                    StageChannel.Received r = channel.receiveActivation(mb, stage.expectedInputShape(mb));
                    x = r.tensor();
                    ready = r.step();
                }
            }
            StageTensor y;
            try (Timeline.Span f = timeline.span(lane, "forward " + mb)) {
                y = stage.forward(mb, x);
            }
            clock = Math.max(clock, ready) + 1;
            if (last) {
                if (y.size() != 1) {
                    throw new IllegalStateException("the last stage's forward must return the loss, shape [1]; got "
                            + Arrays.toString(y.shape()));
                }
                losses[mb] = y.values()[0];
            } else {
                outputShapes[mb] = y.shape();
                channel.sendActivation(mb, clock, y);
            }
        }
        List<StageTensor> grads = first ? new ArrayList<>(Collections.nCopies(k, null)) : List.of();
        for (int mb = 0; mb < k; mb++) {
            StageTensor g;
            long ready = 0;
            if (last) {
                g = StageTensor.vector(weights[mb]);
            } else {
                try (Timeline.Span w = timeline.span(lane, "wait gradient " + mb)) {
                    StageChannel.Received r = channel.receiveGradient(mb, outputShapes[mb]);
                    g = r.tensor();
                    ready = r.step();
                }
            }
            StageTensor gx;
            try (Timeline.Span b = timeline.span(lane, "backward " + mb)) {
                gx = stage.backward(mb, g);
            }
            clock = Math.max(clock, ready) + 1;
            if (first) {
                grads.set(mb, gx);
            } else {
                channel.sendGradient(mb, clock, gx);
            }
        }
        channel.awaitSends();
        return new Pass(grads, losses, clock);
    }
}
