package io.bluefog.examples.pipeline;

import io.bluefog.BlueFog;
import io.bluefog.comm.ReduceOp;
import io.bluefog.examples.data.FashionMnistData;
import io.bluefog.examples.data.Partition;
import io.bluefog.examples.data.Shard;
import io.bluefog.examples.data.ShardIterator;
import io.bluefog.examples.fashion.Models;
import io.bluefog.optimizers.pipeline.LayerRange;
import io.bluefog.optimizers.pipeline.Pprs;
import io.bluefog.optimizers.pipeline.PprsConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The paper's Section 6 (Figure 3) on Fashion-MNIST: adversarial examples against a small CNN by
 * minimising eq. 17 of Colin, Dos Santos and Scaman (NeurIPS 2019),
 * <pre>
 * F(x̃) = Σ_{i≠y} max{0, 1 − f(x̃)_y + f(x̃)_i} + λ‖x̃ − x‖∞
 * </pre>
 * over the attacked image x̃ (784 pixels in [0, 1] at the start x̃_0 = x), where y is the target
 * class and f(x̃) the CNN's logits (the input of its softmax). The loss reported is the mean of F
 * over P (image, target) pairs: test images drawn with the seed, each with a target drawn among the
 * other nine classes. The P pairs form one separable problem in R^{784P} (Σ_p F_p, so each pair
 * follows its own PPRS run with its own Gaussian noise), whose K points per iteration go through
 * the network as one batch of K·P rows.
 *
 * <p>Methods, as in the paper: PPRS ({@link Pprs}, μ = 0) for each K of {@code samples}, GD (γ = 0,
 * K = 1, μ = 0) and AGD (γ = 0, K = 1, constant μ = 0.99); learning rates from the paper's grid
 * {10⁻³..10⁻⁷} and, for PPRS, γ from the same grid. The depth Δ is simulated: an iteration of K
 * gradients costs 2(K + Δ − 1) stage-steps, GD/AGD 2Δ. For each Δ the budget is
 * {@code budgetIterations} GD iterations, 2·budget·Δ stage-steps, so a method with K samples runs
 * ⌊budget·Δ/(K + Δ − 1)⌋ iterations; every configuration runs once for the largest Δ and the curves
 * of the smaller Δ are prefixes. For each Δ and method the grid point with the lowest final mean
 * loss is kept (selection on the same pairs, like the paper's "best learning rate"); a run whose
 * loss is not finite counts as diverged.
 *
 * <p>The CNN is {@link Models#build}'s {@code cnn} (the main job's) trained on rank 0 for one epoch
 * of {@code trainSamples} training images with plain SGD (fixed seed), unless {@code modelFile}
 * exists (a DL4J {@link ModelSerializer} zip, loaded by every rank); with a {@code modelFile} that
 * does not exist the trained model is saved there. The trained parameters are broadcast, so every
 * rank holds the same network. Pairs are dealt to ranks round-robin; the per-rank sums of F are
 * summed with an allreduce. A rank's Gaussian noise is seeded with (seed, rank), so PPRS's numbers
 * depend on the number of ranks (GD and AGD's do not, up to the float32 network's rounding).
 */
final class AdversarialExperiment {
    /** The paper's grid of learning rates and smoothing parameters γ. */
    static final double[] PAPER_GRID = {1e-3, 1e-4, 1e-5, 1e-6, 1e-7};

    /**
     * @param trainSamples     training images for the one SGD epoch (0: all 60,000)
     * @param testSamples      test images the accuracy is measured on (the pairs are drawn among them)
     * @param pairs            P, (image, target) pairs
     * @param budgetIterations GD iterations that define the simulated-time budget of every Δ
     * @param lambda           λ of eq. 17
     * @param samples          the K of PPRS
     * @param delays           the simulated depths Δ
     * @param lrGrid           learning rates tried for every method
     * @param gammaGrid        γ tried for PPRS
     * @param agdMomentum      the constant μ of AGD
     * @param modelFile        a DL4J model zip to load (or to save the trained model to), or null
     */
    record Settings(Path dataDir, int trainSamples, int testSamples, int pairs, int budgetIterations, double lambda,
            int[] samples, int[] delays, double[] lrGrid, double[] gammaGrid, double agdMomentum, long seed, Path modelFile) {
        Settings {
            if (trainSamples < 0 || testSamples < 1 || pairs < 1 || budgetIterations < 1 || !(lambda >= 0)) {
                throw new IllegalArgumentException("--train-samples >= 0, --test-samples >= 1, --pairs >= 1, --budget-iterations >= 1"
                        + " and --lambda >= 0 are required");
            }
            if (samples.length == 0 || Arrays.stream(samples).anyMatch(k -> k < 1)) {
                throw new IllegalArgumentException("--samples must be a non-empty list of K >= 1, got " + Arrays.toString(samples));
            }
            if (delays.length == 0 || Arrays.stream(delays).anyMatch(d -> d < 1)) {
                throw new IllegalArgumentException("--delays must be a non-empty list of Δ >= 1, got " + Arrays.toString(delays));
            }
            if (lrGrid.length == 0 || Arrays.stream(lrGrid).anyMatch(v -> !(v > 0))) {
                throw new IllegalArgumentException("--lr-grid must be a non-empty list of positive values");
            }
            if (gammaGrid.length == 0 || Arrays.stream(gammaGrid).anyMatch(v -> !(v > 0))) {
                throw new IllegalArgumentException("--gamma-grid must be a non-empty list of positive values");
            }
            if (!(agdMomentum >= 0 && agdMomentum < 1)) {
                throw new IllegalArgumentException("--agd-momentum must be in [0, 1), got " + agdMomentum);
            }
        }
    }

    private static final int TRAIN_BATCH = 64;
    private static final double TRAIN_LR = 0.1;
    private static final int MAX_ROWS = 512;

    private AdversarialExperiment() {
    }

    /** One rank's part; every rank calls it. @return the result (complete on every rank) */
    static Map<String, Object> run(BlueFog bf, Settings s, PrintStream log) {
        long start = System.nanoTime();
        boolean lead = bf.rank() == 0;
        MultiLayerNetwork net = network(bf, s, log);
        Shard test = FashionMnistData.testSet(s.dataDir(), s.testSamples());
        double accuracy = net.evaluate(new ExistingDataSetIterator(test.toDataSet().batchBy(500))).accuracy();
        if (lead) {
            log.printf(Locale.ROOT, "adversarial: CNN test accuracy %.4f on %d test images%n", accuracy, test.size());
        }
        // pairs: test images and targets drawn with the seed, dealt round-robin to the ranks
        SplittableRandom rnd = new SplittableRandom(s.seed() + 17);
        List<float[]> images = new ArrayList<>();
        List<Integer> targets = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int p = 0; p < s.pairs(); p++) {
            int idx = rnd.nextInt(test.size());
            int label = test.labels()[idx];
            int target = (label + 1 + rnd.nextInt(FashionMnistData.CLASSES - 1)) % FashionMnistData.CLASSES;
            if (p % bf.size() == bf.rank()) {
                images.add(test.features()[idx]);
                targets.add(target);
                labels.add(label);
            }
        }
        MarginAttack attack = new MarginAttack(net, images, targets.stream().mapToInt(Integer::intValue).toArray(), s.lambda());
        int maxDelay = Arrays.stream(s.delays()).max().orElseThrow();

        List<Method> methods = new ArrayList<>();
        for (double lr : s.lrGrid()) {
            methods.add(new Method("GD", 1, lr, 0, 0));
            methods.add(new Method("AGD", 1, lr, 0, s.agdMomentum()));
        }
        for (int k : s.samples()) {
            for (double lr : s.lrGrid()) {
                for (double gamma : s.gammaGrid()) {
                    methods.add(new Method("PPRS", k, lr, gamma, 0));
                }
            }
        }
        double initial = allreduceSum(bf, new double[] {sum(attack.values(attack.start()))})[0] / s.pairs();
        List<Map<String, Object>> grid = new ArrayList<>();
        Map<Method, double[]> curves = new LinkedHashMap<>();
        for (Method m : methods) {
            int iterations = m.iterations(s.budgetIterations(), maxDelay);
            double[] local = new double[iterations + 1];
            local[0] = sum(attack.values(attack.start()));
            PprsConfig config = new PprsConfig(iterations, m.samples(), m.lr(), m.gamma(), PprsConfig.Momentum.constant(m.mu()),
                    s.seed() * 31 + bf.rank());
            if (attack.pairs() > 0) { // a rank without pairs (P < ranks) only takes part in the sums
                new Pprs(config).run(attack::averagedGradient, attack.start(),
                        (t, g, y) -> local[t + 1] = sum(attack.values(y)));
            }
            double[] mean = allreduceSum(bf, local);
            for (int t = 0; t < mean.length; t++) {
                mean[t] /= s.pairs();
            }
            curves.put(m, mean);
            Map<String, Object> row = m.describe();
            for (int delta : s.delays()) {
                row.put("final_loss_delta_" + delta, mean[m.iterations(s.budgetIterations(), delta)]);
            }
            grid.add(row);
            if (lead) {
                log.printf(Locale.ROOT, "  %-4s K=%-3d lr=%.0e gamma=%.0e mu=%.2f  T=%-4d final %s%n", m.name(), m.samples(), m.lr(),
                        m.gamma(), m.mu(), iterations, Arrays.toString(s.delays()).replace(" ", "") + " -> "
                        + Arrays.stream(s.delays()).mapToObj(d -> String.format(Locale.ROOT, "%.4g",
                                mean[m.iterations(s.budgetIterations(), d)])).toList());
                log.flush();
            }
        }
        // per Δ, the best grid point of each method
        List<Map<String, Object>> perDelta = new ArrayList<>();
        for (int delta : s.delays()) {
            List<Map<String, Object>> series = new ArrayList<>();
            List<String> families = new ArrayList<>(List.of("GD", "AGD"));
            for (int k : s.samples()) {
                families.add("PPRS K=" + k);
            }
            for (String family : families) {
                Method best = null;
                double bestLoss = Double.POSITIVE_INFINITY;
                for (Method m : methods) {
                    if (!m.family().equals(family)) {
                        continue;
                    }
                    double v = curves.get(m)[m.iterations(s.budgetIterations(), delta)];
                    if (Double.isFinite(v) && (best == null || v < bestLoss)) {
                        best = m;
                        bestLoss = v;
                    }
                }
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("method", family);
                if (best == null) {
                    entry.put("diverged_everywhere", "true");
                    series.add(entry);
                    continue;
                }
                int iterations = best.iterations(s.budgetIterations(), delta);
                double[] time = new double[iterations + 1];
                for (int t = 0; t <= iterations; t++) {
                    time[t] = 2.0 * t * (best.samples() + delta - 1);
                }
                entry.putAll(best.describe());
                entry.put("iterations", iterations);
                entry.put("final_loss", bestLoss);
                entry.put("simulated_time", time);
                entry.put("loss", Arrays.copyOf(curves.get(best), iterations + 1));
                series.add(entry);
            }
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("delta", delta);
            d.put("budget_stage_steps", 2L * s.budgetIterations() * delta);
            d.put("best", series);
            perDelta.add(d);
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("experiment", "adversarial");
        result.put("problem", "eq. 17: sum_{i != y} max(0, 1 - z_y + z_i) + lambda ||x~ - x||_inf, z = CNN logits, mean over pairs");
        result.put("ranks", bf.size());
        result.put("model", s.modelFile() != null && Files.exists(s.modelFile()) ? "loaded from " + s.modelFile()
                : "Models cnn, 1 SGD epoch (lr " + TRAIN_LR + ", batch " + TRAIN_BATCH + ") on "
                        + (s.trainSamples() == 0 ? FashionMnistData.TRAIN_COUNT : s.trainSamples()) + " training images, seed " + s.seed());
        result.put("test_accuracy", accuracy);
        result.put("test_samples", test.size());
        result.put("pairs", s.pairs());
        result.put("lambda", s.lambda());
        result.put("budget_gd_iterations", s.budgetIterations());
        result.put("agd_momentum", s.agdMomentum());
        result.put("initial_loss", initial);
        result.put("seconds", (System.nanoTime() - start) / 1e9);
        result.put("per_delta", perDelta);
        result.put("grid", grid);
        return result;
    }

    /** One grid point. {@code iterations(budget, Δ)} = ⌊budget·Δ/(K + Δ − 1)⌋, at least 1. */
    record Method(String name, int samples, double lr, double gamma, double mu) {
        String family() {
            return name.equals("PPRS") ? "PPRS K=" + samples : name;
        }

        int iterations(int budget, int delta) {
            return (int) Math.max(1, (long) budget * delta / (samples + delta - 1));
        }

        Map<String, Object> describe() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", family());
            m.put("K", samples);
            m.put("lr", lr);
            m.put("gamma", gamma);
            m.put("mu", mu);
            return m;
        }
    }

    // ------------------------------------------------------------------------------ the network

    private static MultiLayerNetwork network(BlueFog bf, Settings s, PrintStream log) {
        Path file = s.modelFile();
        if (file != null && Files.exists(file)) {
            try {
                return ModelSerializer.restoreMultiLayerNetwork(file.toFile(), false);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot load --model-file " + file + ": " + e.getMessage(), e);
            }
        }
        MultiLayerNetwork net = Models.build(Models.Kind.CNN, s.seed());
        int n = (int) net.numParams();
        DoubleBuffer buf = ByteBuffer.allocateDirect(n * Double.BYTES).order(ByteOrder.nativeOrder()).asDoubleBuffer();
        if (bf.rank() == 0) {
            long t0 = System.nanoTime();
            train(net, s);
            log.printf(Locale.ROOT, "adversarial: trained the CNN for one epoch in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            if (file != null) {
                try {
                    Path parent = file.toAbsolutePath().getParent();
                    if (parent != null) {
                        Files.createDirectories(parent);
                    }
                    ModelSerializer.writeModel(net, file.toFile(), false);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot save the model to --model-file " + file + ": " + e.getMessage(), e);
                }
            }
            double[] p = net.params().toDoubleVector();
            buf.put(0, p);
        }
        bf.communicator().broadcast(buf, 0);
        if (bf.rank() != 0) {
            double[] p = new double[n];
            buf.get(0, p);
            net.setParams(Nd4j.create(p).castTo(net.params().dataType()).reshape(1, n));
        }
        return net;
    }

    /** One epoch of plain SGD on the mean cross-entropy (DL4J's gradient is the batch's sum). */
    private static void train(MultiLayerNetwork net, Settings s) {
        Shard train = FashionMnistData.trainShard(s.dataDir(), Partition.parse("iid"), 0, 1, s.seed(), s.trainSamples());
        int batches = ShardIterator.batchesPerEpoch(train.size(), 1, TRAIN_BATCH);
        ShardIterator it = new ShardIterator(train, TRAIN_BATCH, batches, s.seed());
        while (it.hasNext()) {
            DataSet b = it.next();
            net.setInput(b.getFeatures());
            net.setLabels(b.getLabels());
            net.computeGradientAndScore();
            net.params().subi(net.gradient().gradient().mul(TRAIN_LR / b.numExamples()));
        }
        net.clear();
    }

    // ------------------------------------------------------------------------------ eq. 17

    /**
     * Σ_p F_p over this rank's pairs as a function on R^{784P} (pair p's image at offset 784p), with
     * its subgradient through the CNN: DL4J's backpropagation through the layers before the output
     * layer ({@link LayerRange}), the logits z = hW + b of the output layer computed here.
     */
    static final class MarginAttack {
        private final LayerRange body;
        private final INDArray weights;
        private final INDArray bias;
        private final double[] origin;
        private final int[] targets;
        private final double lambda;
        private final int features;

        MarginAttack(MultiLayerNetwork net, List<float[]> images, int[] targets, double lambda) {
            int n = net.getnLayers();
            if (net.getLayerWiseConfigurations().getInputPreProcess(n - 1) != null) {
                throw new IllegalArgumentException("the output layer of the attacked network must take its input as it is");
            }
            this.body = new LayerRange(net, 0, n - 1, "attacked part");
            this.weights = net.getLayer(n - 1).getParam("W");
            this.bias = net.getLayer(n - 1).getParam("b");
            this.features = images.isEmpty() ? FashionMnistData.FEATURES : images.get(0).length;
            this.origin = new double[images.size() * features];
            for (int p = 0; p < images.size(); p++) {
                for (int j = 0; j < features; j++) {
                    origin[p * features + j] = images.get(p)[j];
                }
            }
            this.targets = targets.clone();
            this.lambda = lambda;
        }

        /** @return x̃_0 = x, the pairs' images one after the other */
        double[] start() {
            return origin.clone();
        }

        int pairs() {
            return targets.length;
        }

        /** @return F_p at the pairs' blocks of {@code flat} (NaN where not finite) */
        double[] values(double[] flat) {
            double[] out = new double[pairs()];
            if (pairs() == 0) {
                return out;
            }
            if (!allFinite(flat)) {
                Arrays.fill(out, Double.NaN);
                return out;
            }
            double[][] z = logits(rows(new double[][] {flat}, 0, pairs()), false);
            for (int p = 0; p < pairs(); p++) {
                out[p] = margin(z[p], targets[p], null) + lambda * linf(flat, p, null);
            }
            return out;
        }

        /** @return (1/K) Σ_k ∇ Σ_p F_p(points[k]), length 784P (NaN everywhere if a point is not finite) */
        double[] averagedGradient(double[][] points) {
            double[] sum = new double[origin.length];
            if (pairs() == 0) {
                return sum;
            }
            for (double[] pt : points) {
                if (!allFinite(pt)) {
                    Arrays.fill(sum, Double.NaN);
                    return sum;
                }
            }
            int total = points.length * pairs();
            double w = 1.0 / points.length;
            for (int from = 0; from < total; from += MAX_ROWS) {
                int to = Math.min(total, from + MAX_ROWS);
                INDArray x = rows(points, from, to);
                int m = to - from;
                double[][] z = logits(x, true);
                double[][] dz = new double[m][];
                for (int r = 0; r < m; r++) {
                    dz[r] = new double[z[r].length];
                    margin(z[r], targets[(from + r) % pairs()], dz[r]);
                }
                INDArray eps = Nd4j.create(dz).castTo(weights.dataType()).mmul(weights.transpose());
                double[][] dx = body.backward(eps, m, (i, l, g) -> { }).castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE)
                        .reshape(m, features).toDoubleMatrix();
                for (int r = 0; r < m; r++) {
                    int row = from + r;
                    int p = row % pairs();
                    double[] pt = points[row / pairs()];
                    int off = p * features;
                    for (int j = 0; j < features; j++) {
                        sum[off + j] += w * dx[r][j];
                    }
                    double[] sub = new double[1];
                    int arg = (int) linf(pt, p, sub);
                    if (arg >= 0) {
                        sum[off + arg] += w * lambda * sub[0];
                    }
                }
            }
            return sum;
        }

        /** Rows from..to of the stacked points (row k·P + p = pair p of point k), as the network's input. */
        private INDArray rows(double[][] points, int from, int to) {
            double[][] r = new double[to - from][];
            for (int row = from; row < to; row++) {
                int p = row % pairs();
                r[row - from] = Arrays.copyOfRange(points[row / pairs()], p * features, (p + 1) * features);
            }
            return Nd4j.create(r).castTo(weights.dataType());
        }

        private double[][] logits(INDArray x, boolean keepForBackward) {
            INDArray h = body.forward(x, () -> null);
            INDArray z = h.mmul(weights).addiRowVector(bias);
            return z.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).toDoubleMatrix();
        }

        /**
         * Multi-margin loss Σ_{i≠y} max{0, 1 − z_y + z_i}; with {@code dz} its subgradient in z
         * (+1 for each active i, −(number active) for y).
         */
        static double margin(double[] z, int y, double[] dz) {
            double loss = 0;
            for (int i = 0; i < z.length; i++) {
                if (i == y) {
                    continue;
                }
                double v = 1 - z[y] + z[i];
                if (v > 0) {
                    loss += v;
                    if (dz != null) {
                        dz[i] += 1;
                        dz[y] -= 1;
                    }
                }
            }
            return loss;
        }

        /**
         * ‖x̃_p − x_p‖∞ of block p of {@code flat}; with {@code sign} (length 1), the subgradient's
         * coordinate: returns the first index of the maximum (−1 if x̃_p = x_p, subgradient 0) and
         * its sign in sign[0].
         */
        double linf(double[] flat, int p, double[] sign) {
            int off = p * features;
            double best = 0;
            int arg = -1;
            for (int j = 0; j < features; j++) {
                double v = Math.abs(flat[off + j] - origin[off + j]);
                if (v > best) {
                    best = v;
                    arg = j;
                }
            }
            if (sign != null) {
                sign[0] = arg < 0 ? 0 : Math.signum(flat[off + arg] - origin[off + arg]);
                return arg;
            }
            return best;
        }
    }

    private static boolean allFinite(double[] v) {
        for (double d : v) {
            if (!Double.isFinite(d)) {
                return false;
            }
        }
        return true;
    }

    private static double sum(double[] v) {
        double s = 0;
        for (double d : v) {
            s += d;
        }
        return s;
    }

    /** Element-wise sum over the ranks. */
    static double[] allreduceSum(BlueFog bf, double[] v) {
        DoubleBuffer b = ByteBuffer.allocateDirect(v.length * Double.BYTES).order(ByteOrder.nativeOrder()).asDoubleBuffer();
        b.put(0, v);
        bf.communicator().allreduce(b, ReduceOp.SUM);
        double[] out = new double[v.length];
        b.get(0, out);
        return out;
    }
}
