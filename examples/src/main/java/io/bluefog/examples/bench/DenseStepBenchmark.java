package io.bluefog.examples.bench;

import io.bluefog.examples.fashion.Models;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * What one training step's gradient costs with DL4J's dense layers and with
 * {@link io.bluefog.optimizers.dl4j.layers.CachingDenseLayer} (a benchmark, not a test): the
 * Fashion-MNIST model of {@link Models#build} and of {@link Models#buildForWholeModelTraining}, the
 * same seed, {@code computeGradientAndScore} on one fixed batch of uniform pixels and one-hot labels.
 * It first checks that both give the same gradient and score bits, then alternates rounds of
 * {@code --steps} calls of each (after {@code --warmup} calls of each, for the JIT) and prints the
 * median over rounds of each one's CPU milliseconds per step (this thread's CPU time, so other load
 * on the machine inflates it little) and their ratio, taken within each round.
 *
 * <pre>
 * mpi-launch/bfrun -np 1 io.bluefog.examples.bench.DenseStepBenchmark [--model mlp] [--batch-size 64] [--rounds 9]
 * </pre>
 * Run it with {@code OMP_NUM_THREADS=1} (bfrun sets it), as the ranks of the main job run.
 */
@Command(name = "dense-step-benchmark", mixinStandardHelpOptions = true,
        description = "CPU ms per gradient step: DL4J's dense layers vs CachingDenseLayer, same model and batch.")
public final class DenseStepBenchmark implements Callable<Integer> {
    @Option(names = "--model", defaultValue = "mlp", description = "mlp or cnn (default: ${DEFAULT-VALUE})")
    String model;

    @Option(names = "--batch-size", defaultValue = "64", description = "rows per step (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--rounds", defaultValue = "9", description = "alternating timed rounds (default: ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--steps", defaultValue = "200", description = "steps per round (default: ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--warmup", defaultValue = "600", description = "untimed steps of each first (default: ${DEFAULT-VALUE})")
    int warmup;

    public static void main(String[] args) {
        System.exit(new CommandLine(new DenseStepBenchmark()).execute(args));
    }

    @Override
    public Integer call() {
        if (batch < 1 || rounds < 1 || steps < 1 || warmup < 0) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--batch-size, --rounds and --steps must be >= 1 and --warmup >= 0");
        }
        Models.Kind kind = Models.Kind.parse(model);
        MultiLayerNetwork dl4j = Models.build(kind, 42);
        MultiLayerNetwork caching = Models.buildForWholeModelTraining(kind, 42);
        Random rnd = new Random(42);
        float[] pixels = new float[batch * 784];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = rnd.nextFloat();
        }
        INDArray x = Nd4j.create(pixels, new long[] {batch, 784}, 'c');
        INDArray y = Nd4j.zeros(DataType.FLOAT, batch, 10);
        for (int r = 0; r < batch; r++) {
            y.putScalar(r, rnd.nextInt(10), 1f);
        }
        step(dl4j, x, y);
        step(caching, x, y);
        boolean same = Arrays.equals(dl4j.getFlattenedGradients().toFloatVector(), caching.getFlattenedGradients().toFloatVector())
                && Double.doubleToLongBits(dl4j.score()) == Double.doubleToLongBits(caching.score());
        System.out.printf(Locale.ROOT, "%s, batch %d: gradient and score bit-identical: %s%n", kind, batch, same ? "yes" : "NO");
        for (int i = 0; i < warmup; i++) {
            step(dl4j, x, y);
            step(caching, x, y);
        }
        double[] a = new double[rounds];
        double[] b = new double[rounds];
        double[] ratio = new double[rounds];
        for (int k = 0; k < rounds; k++) {
            a[k] = cpuMsPerStep(dl4j, x, y);
            b[k] = cpuMsPerStep(caching, x, y);
            ratio[k] = b[k] / a[k];
        }
        System.out.printf(Locale.ROOT, "CPU ms per step, median of %d rounds of %d: DL4J dense layers %.3f, CachingDenseLayer %.3f,"
                + " ratio %.3f (rounds %.3f..%.3f)%n", rounds, steps, CollectivesBenchmark.median(a), CollectivesBenchmark.median(b),
                CollectivesBenchmark.median(ratio),
                Arrays.stream(ratio).min().orElse(0), Arrays.stream(ratio).max().orElse(0));
        return same ? 0 : 1;
    }

    private double cpuMsPerStep(MultiLayerNetwork net, INDArray x, INDArray y) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long t0 = mx.getCurrentThreadCpuTime();
        for (int i = 0; i < steps; i++) {
            step(net, x, y);
        }
        return (mx.getCurrentThreadCpuTime() - t0) / 1e6 / steps;
    }

    private static void step(MultiLayerNetwork net, INDArray x, INDArray y) {
        net.setInput(x);
        net.setLabels(y);
        net.computeGradientAndScore();
    }
}
