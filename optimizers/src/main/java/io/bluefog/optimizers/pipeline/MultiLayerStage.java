package io.bluefog.optimizers.pipeline;

import io.bluefog.collectives.pipeline.StageTensor;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Layers {@code [fromLayer, toLayer)} of a Deeplearning4j {@link MultiLayerNetwork} as one pipeline
 * stage, split at layer boundaries. Forward: each layer's input preprocessor (e.g. DL4J's
 * {@code CnnToFeedForwardPreProcessor}) then {@link Layer#activate(INDArray, boolean,
 * LayerWorkspaceMgr)} in training mode. Backward: the stage's forward is recomputed from the stored
 * stage input of the micro-batch (GPipe's re-materialisation: DL4J layers keep only their last
 * input), then {@link Layer#backpropGradient(INDArray, LayerWorkspaceMgr)} and the preprocessors'
 * {@code backprop} run in reverse order. The last stage must end with the network's output layer
 * ({@link IOutputLayer}); its forward returns {@code computeScore} (ℓ_k, the micro-batch's mean
 * loss, without regularisation) and its backward scales DL4J's output-layer gradients, which are
 * those of the summed loss m_k ℓ_k, by w_k / m_k, so that every stage computes the gradient of
 * Σ_k w_k ℓ_k.
 *
 * <p>Parameter gradients of the stage's layers are accumulated over the pass under DL4J's names
 * ({@code "<layer>_W"}, {@code "<layer>_b"}, ...) in {@link #gradients()}: the gradient of
 * Σ_k w_k ℓ_k. With w_k = m_k/m that is the batch's mean-loss gradient, i.e.
 * {@code computeGradientAndScore()}'s gradient of the whole batch divided by m (DL4J leaves that
 * division to its updater). Layers
 * must be deterministic in training mode (no dropout: the recomputed forward would draw new masks).
 * Every rank may hold the whole network (same configuration and seed) and use only its layers.
 * Tensors cross stages in float64; the network's own dtype is used inside the stage.
 */
public final class MultiLayerStage implements PipelineStage {
    private final LayerRange range;
    private final Map<Integer, INDArray> stageInputs = new HashMap<>();
    private final Map<String, INDArray> gradients = new LinkedHashMap<>();
    private List<INDArray> labels;

    /**
     * @param net       an initialised network
     * @param fromLayer first layer of the stage, 0 &le; fromLayer &lt; toLayer
     * @param toLayer   one past the stage's last layer, &le; number of layers; the stage is the last
     *                  one exactly when {@code toLayer} equals the number of layers
     * @throws IllegalArgumentException if the range is empty or out of bounds
     */
    public MultiLayerStage(MultiLayerNetwork net, int fromLayer, int toLayer) {
        this.range = new LayerRange(net, fromLayer, toLayer, "stage");
    }

    /**
     * Splits layers into {@code stages} contiguous ranges with parameter counts as equal as a greedy
     * cut allows (each stage at least one layer).
     *
     * @return boundaries b_0 = 0 &lt; b_1 &lt; ... &lt; b_Δ = number of layers; stage s is [b_s, b_{s+1})
     * @throws IllegalArgumentException if {@code stages} is not in [1, number of layers]
     */
    public static int[] balancedSplit(MultiLayerNetwork net, int stages) {
        int n = net.getnLayers();
        if (stages < 1 || stages > n) {
            throw new IllegalArgumentException("stages = " + stages + " must be in [1, " + n + "] (one layer at least per stage)");
        }
        long[] params = new long[n];
        long total = 0;
        for (int j = 0; j < n; j++) {
            params[j] = net.getLayer(j).numParams();
            total += params[j];
        }
        int[] bounds = new int[stages + 1];
        bounds[stages] = n;
        long acc = 0;
        int j = 0;
        for (int s = 1; s < stages; s++) {
            long target = total * s / stages;
            // take at least one layer, leave at least one per remaining stage
            acc += params[j++];
            while (j < n - (stages - s) && acc + params[j] / 2 < target) {
                acc += params[j++];
            }
            bounds[s] = j;
        }
        return bounds;
    }

    /**
     * Splits n consecutive layers with the given costs into {@code stages} contiguous ranges (each
     * at least one layer) minimising the largest stage cost, the pipeline's bottleneck: the exact
     * linear-partition optimum by dynamic programming over (stages, first layers), O(n²Δ). The
     * layers after the first stage are split optimally as well (recursively), and among the first
     * stages that achieve that the shortest is taken, so the result depends only on {@code layerCosts}: feed it the same measured times on every
     * rank (e.g. rank 0's {@link #measureLayerSeconds}, broadcast) and every rank cuts alike.
     *
     * @param layerCosts per-layer cost (e.g. seconds of forward plus backward), finite and &ge; 0, length n
     * @return boundaries b_0 = 0 &lt; b_1 &lt; ... &lt; b_Δ = n; stage s is [b_s, b_{s+1})
     * @throws IllegalArgumentException if {@code stages} is not in [1, n] or a cost is negative or not finite
     */
    public static int[] timeBalancedSplit(double[] layerCosts, int stages) {
        int n = layerCosts.length;
        if (stages < 1 || stages > n) {
            throw new IllegalArgumentException("stages = " + stages + " must be in [1, " + n + "] (one layer at least per stage)");
        }
        double[] prefix = new double[n + 1];
        for (int j = 0; j < n; j++) {
            if (!(layerCosts[j] >= 0) || Double.isInfinite(layerCosts[j])) {
                throw new IllegalArgumentException("layer " + j + " has cost " + layerCosts[j] + "; costs must be finite and >= 0");
            }
            prefix[j + 1] = prefix[j] + layerCosts[j];
        }
        // best[s][j]: the smallest bottleneck of layers [j, n) in s stages; cut[s][j]: the earliest end of the first of them
        double[][] best = new double[stages + 1][n + 1];
        int[][] cut = new int[stages + 1][n + 1];
        for (int j = 0; j < n; j++) {
            best[1][j] = prefix[n] - prefix[j];
            cut[1][j] = n;
        }
        for (int s = 2; s <= stages; s++) {
            for (int j = 0; j <= n - s; j++) {
                best[s][j] = Double.POSITIVE_INFINITY;
                for (int e = j + 1; e <= n - s + 1; e++) {
                    double v = Math.max(prefix[e] - prefix[j], best[s - 1][e]);
                    if (v < best[s][j]) {
                        best[s][j] = v;
                        cut[s][j] = e;
                    }
                }
            }
        }
        int[] bounds = new int[stages + 1];
        int j = 0;
        for (int s = stages; s >= 1; s--) {
            bounds[stages - s] = j;
            j = cut[s][j];
        }
        bounds[stages] = n;
        return bounds;
    }

    /**
     * Times each layer's forward (training mode, with its input preprocessor) and backward
     * ({@code backpropGradient}, then the preprocessor's {@code backprop}) on one batch, as
     * {@link LayerRange} runs them, and returns the median over {@code repeats} passes of the sum
     * per layer, in seconds. Wall-clock: the numbers depend on the machine and its load, so split
     * once (e.g. on rank 0) and share the times, not the measurement.
     *
     * @param features a batch of the network's input, shape [m, ...]
     * @param labels   its labels, shape [m, classes]
     * @param repeats  timed passes (after one untimed warm-up), &ge; 1
     * @return seconds per layer, length n
     */
    public static double[] measureLayerSeconds(MultiLayerNetwork net, INDArray features, INDArray labels, int repeats) {
        if (repeats < 1) {
            throw new IllegalArgumentException("repeats = " + repeats + " must be >= 1");
        }
        int n = net.getnLayers();
        LayerRange[] ranges = new LayerRange[n];
        for (int j = 0; j < n; j++) {
            ranges[j] = new LayerRange(net, j, j + 1, "layer");
        }
        int m = (int) features.size(0);
        INDArray f = features.castTo(ranges[0].dtype());
        INDArray y = labels.castTo(ranges[0].dtype());
        double[][] samples = new double[n][repeats];
        for (int r = -1; r < repeats; r++) {
            INDArray x = f;
            long[] nanos = new long[n];
            for (int j = 0; j < n; j++) {
                long t0 = System.nanoTime();
                x = ranges[j].forward(x, () -> y);
                nanos[j] += System.nanoTime() - t0;
            }
            INDArray eps = null;
            for (int j = n - 1; j >= 0; j--) {
                long t0 = System.nanoTime();
                eps = ranges[j].backward(eps, m, (i, l, g) -> { });
                nanos[j] += System.nanoTime() - t0;
            }
            if (r >= 0) {
                for (int j = 0; j < n; j++) {
                    samples[j][r] = nanos[j] / 1e9;
                }
            }
        }
        double[] out = new double[n];
        for (int j = 0; j < n; j++) {
            java.util.Arrays.sort(samples[j]);
            out[j] = repeats % 2 == 1 ? samples[j][repeats / 2] : (samples[j][repeats / 2 - 1] + samples[j][repeats / 2]) / 2;
        }
        return out;
    }

    /** Labels of micro-batches 0..K−1 (last stage only), before {@link GPipeEngine#run}. */
    public void setLabels(List<INDArray> labels) {
        if (!range.isLast()) {
            throw new IllegalStateException("only the last stage takes labels");
        }
        this.labels = List.copyOf(labels);
    }

    /** @return true if this stage ends with the output layer */
    public boolean isLast() {
        return range.isLast();
    }

    /** @return the accumulated parameter gradients of this stage's layers, by DL4J name; copies */
    public Map<String, INDArray> gradients() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        gradients.forEach((k, v) -> out.put(k, v.dup()));
        return out;
    }

    @Override
    public void zeroGradients() {
        stageInputs.clear();
        gradients.clear();
    }

    /** Runs the stage's layers on {@code x}; the output layer only gets its input (and labels). */
    private INDArray runLayers(int microBatch, INDArray x) {
        return range.forward(x, () -> {
            if (labels == null || microBatch >= labels.size()) {
                throw new IllegalStateException("no labels for micro-batch " + microBatch + " (call setLabels before the pass)");
            }
            return labels.get(microBatch).castTo(range.dtype());
        });
    }

    @Override
    public StageTensor forward(int microBatch, StageTensor input) {
        INDArray x = range.toArray(input);
        stageInputs.put(microBatch, x);
        INDArray y = runLayers(microBatch, x);
        if (range.isLast()) {
            return StageTensor.vector(range.score());
        }
        return LayerRange.toTensor(y);
    }

    @Override
    public StageTensor backward(int microBatch, StageTensor outputGradient) {
        INDArray x = stageInputs.remove(microBatch);
        if (x == null) {
            throw new IllegalStateException("backward of micro-batch " + microBatch + " without its forward");
        }
        int m = (int) x.size(0);
        runLayers(microBatch, x);
        double scale;
        INDArray eps;
        if (range.isLast()) {
            // DL4J's output layer returns gradients of the micro-batch's summed loss m_k ℓ_k
            scale = outputGradient.values()[0] / m;
            eps = null;
        } else {
            scale = 1.0;
            eps = range.toArray(outputGradient);
        }
        eps = range.backward(eps, m, (j, layer, gradient) -> {
            for (Map.Entry<String, INDArray> e : gradient.gradientForVariable().entrySet()) {
                INDArray g = e.getValue().castTo(DataType.DOUBLE).mul(scale);
                gradients.merge(j + "_" + e.getKey(), g, INDArray::addi);
            }
        });
        if (scale != 1.0) {
            eps = eps.mul(scale);
        }
        return LayerRange.toTensor(eps);
    }
}
