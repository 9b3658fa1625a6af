package io.bluefog.examples.fashion;

import io.bluefog.collectives.pipeline.StageTensor;
import io.bluefog.optimizers.pipeline.MultiLayerStage;
import io.bluefog.optimizers.pipeline.ddg.MultiLayerModule;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * Measures, in this one process, each layer's forward and backward seconds per batch as a DDG
 * module ({@link MultiLayerModule} of that one layer; its backward recomputes the forward, as in
 * {@code --parallelism ddg|features-replay}) and prints T_F and T_B of the whole network, the
 * ideal DDG iteration T_F + T_B/K (thesis Table 3) and the splits for K modules balanced by
 * parameter count ({@link MultiLayerStage#balancedSplit}, the default of {@code --split}) and by
 * measured time ({@link MultiLayerStage.timeBalancedSplit} of forward + backward), with the slowest
 * module's share of the compute for each.
 *
 * <p>{@code LayerTiming [--model cnn|mlp] [--batch-size 64] [--repeats 20] [--max-modules 4]};
 * inputs are uniform pixels and one-hot labels from a fixed seed (the cost does not depend on the
 * values). Timings are wall-clock medians over the repeats after as many warm-up rounds.
 */
public final class LayerTiming {
    private LayerTiming() {
    }

    public static void main(String[] args) {
        Models.Kind kind = Models.Kind.CNN;
        int batch = 64;
        int repeats = 20;
        int maxModules = 4;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--model" -> kind = Models.Kind.parse(args[i + 1]);
                case "--batch-size" -> batch = Integer.parseInt(args[i + 1]);
                case "--repeats" -> repeats = Integer.parseInt(args[i + 1]);
                case "--max-modules" -> maxModules = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (--model, --batch-size, --repeats, --max-modules)");
            }
        }
        if (args.length % 2 != 0 || batch < 1 || repeats < 1 || maxModules < 1) {
            throw new IllegalArgumentException("usage: LayerTiming [--model cnn|mlp] [--batch-size N>0] [--repeats N>0] [--max-modules N>0]");
        }
        MultiLayerNetwork net = Models.build(kind, 42);
        int n = net.getnLayers();
        Random rnd = new Random(42);
        double[] pixels = new double[batch * 784];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = rnd.nextDouble();
        }
        double[] onehot = new double[batch * 10];
        for (int r = 0; r < batch; r++) {
            onehot[r * 10 + rnd.nextInt(10)] = 1;
        }
        StageTensor labels = new StageTensor(new long[] {batch, 10}, onehot);
        StageTensor[] inputs = new StageTensor[n + 1];
        inputs[0] = new StageTensor(new long[] {batch, 784}, pixels);
        MultiLayerModule[] layers = new MultiLayerModule[n];
        for (int j = 0; j < n; j++) {
            layers[j] = new MultiLayerModule(net, j, j + 1);
            inputs[j + 1] = layers[j].forward(inputs[j], j == n - 1 ? labels : null);
        }
        double[] fwd = new double[n];
        double[] bwd = new double[n];
        for (int j = 0; j < n; j++) {
            StageTensor in = inputs[j];
            StageTensor out = inputs[j + 1];
            StageTensor lab = j == n - 1 ? labels : null;
            StageTensor grad = j == n - 1 ? null : new StageTensor(out.shape(), new double[out.size()]);
            MultiLayerModule m = layers[j];
            fwd[j] = median(repeats, () -> m.forward(in, lab));
            bwd[j] = median(repeats, () -> m.backward(in, lab, grad));
        }
        double tf = Arrays.stream(fwd).sum();
        double tb = Arrays.stream(bwd).sum();
        System.out.printf(Locale.ROOT, "model %s, batch %d, %d repeats (median ms; backward includes the recomputed forward)%n", kind,
                batch, repeats);
        double[] cost = new double[n];
        for (int j = 0; j < n; j++) {
            cost[j] = fwd[j] + bwd[j];
            System.out.printf(Locale.ROOT, "  layer %d %-18s params %7d  forward %8.2f  backward %8.2f  share %5.1f%%%n", j,
                    net.getLayer(j).getClass().getSimpleName(), net.getLayer(j).numParams(), 1e3 * fwd[j], 1e3 * bwd[j],
                    100 * cost[j] / (tf + tb));
        }
        System.out.printf(Locale.ROOT, "T_F %.2f ms, T_B %.2f ms, T_F + T_B %.2f ms%n", 1e3 * tf, 1e3 * tb, 1e3 * (tf + tb));
        for (int k = 2; k <= Math.min(maxModules, n); k++) {
            int[] byParams = MultiLayerStage.balancedSplit(net, k);
            int[] byTime = MultiLayerStage.timeBalancedSplit(cost, k);
            System.out.printf(Locale.ROOT, "K=%d: T_F + T_B/K %.2f ms; split by parameters %s slowest module %.1f%%; by time %s slowest %.1f%%%n",
                    k, 1e3 * (tf + tb / k), Arrays.toString(byParams), 100 * slowest(cost, byParams) / (tf + tb),
                    Arrays.toString(byTime), 100 * slowest(cost, byTime) / (tf + tb));
        }
    }

    private static double slowest(double[] cost, int[] bounds) {
        double max = 0;
        for (int s = 0; s + 1 < bounds.length; s++) {
            double sum = 0;
            for (int j = bounds[s]; j < bounds[s + 1]; j++) {
                sum += cost[j];
            }
            max = Math.max(max, sum);
        }
        return max;
    }

    private static double median(int repeats, Runnable work) {
        for (int i = 0; i < repeats; i++) {
            work.run();
        }
        double[] t = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            long start = System.nanoTime();
            work.run();
            t[i] = (System.nanoTime() - start) * 1e-9;
        }
        Arrays.sort(t);
        return t[repeats / 2];
    }
}
