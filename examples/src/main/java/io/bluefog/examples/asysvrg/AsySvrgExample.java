package io.bluefog.examples.asysvrg;

import io.bluefog.BlueFog;
import io.bluefog.examples.cli.JsonLines;
import io.bluefog.examples.cli.TransportOptions;
import io.bluefog.examples.convex.LogisticRegression;
import io.bluefog.examples.data.FashionMnistData;
import io.bluefog.examples.data.Partition;
import io.bluefog.examples.data.Shard;
import io.bluefog.optimizers.svrg.AsySvrg;
import io.bluefog.optimizers.svrg.AsySvrgConfig;
import io.bluefog.optimizers.svrg.AsySvrgConfig.Method;
import io.bluefog.optimizers.svrg.AsySvrgResult;
import io.bluefog.optimizers.svrg.FiniteSum;
import io.bluefog.local.LocalCluster;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Distributed-AsySVRG ({@link AsySvrg}; Huo, PhD thesis, chapter 2, Algorithms 2 and 3): rank 0 is
 * the server, ranks 1..K the workers. Two problems:
 * <ul>
 *   <li>{@code logistic}: the strongly convex &ell;2-regularised logistic regression of
 *       {@link LogisticRegression} (one generated share per worker); prints the relative error
 *       ‖w - w*‖/‖w*‖ to the serial optimum w* (Newton's method) per epoch: linear convergence.</li>
 *   <li>{@code fashion-mnist}: the thesis's MNIST experiment (&sect;2.5.1, Figure 1) on Fashion-MNIST:
 *       784-100-10 ReLU network, softmax loss, &ell;2 weight C = 1e-3, 10,000 training samples split
 *       over the workers, |I_t| = 10, m = n/|I_t|; training loss per epoch of SGD
 *       (&eta;_s = &alpha;/(1+s)^&beta;), SVRG (constant &eta;) and SGD_SVRG (SGD for --sgd-epochs, then SVRG).</li>
 * </ul>
 * With {@code --speedup-workers 1,2,3} (local transport only) SVRG also runs with 1, 2 and 3 workers
 * side by side in this JVM and prints the time to the loss all of them reach and the speedup
 * T_1/T_K (thesis eq. (2.52)).
 *
 * <pre>
 * mpi-launch/bfrun -np 3 asysvrg --problem logistic --epochs 30
 * java -cp ... io.bluefog.examples.asysvrg.AsySvrgExample --transport local --ranks 3 --problem fashion-mnist --metrics-dir out
 * </pre>
 */
@Command(name = "asysvrg", mixinStandardHelpOptions = true,
        description = "Asynchronous SVRG / SGD with a parameter server on windows (rank 0 = server).")
public final class AsySvrgExample implements Callable<Integer> {
    /** Values of {@code --problem}. */
    enum Problem {
        LOGISTIC, FASHION_MNIST;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** Values of {@code --method}. */
    enum Methods {
        SGD, SVRG, SGD_SVRG, ALL;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        List<Method> methods() {
            return this == ALL ? List.of(Method.SGD, Method.SVRG, Method.SGD_SVRG) : List.of(Method.valueOf(name()));
        }
    }

    static final class ProblemConverter implements CommandLine.ITypeConverter<Problem> {
        @Override
        public Problem convert(String v) {
            return Problem.valueOf(v.toUpperCase(Locale.ROOT).replace('-', '_'));
        }
    }

    static final class MethodsConverter implements CommandLine.ITypeConverter<Methods> {
        @Override
        public Methods convert(String v) {
            return Methods.valueOf(v.toUpperCase(Locale.ROOT).replace('-', '_'));
        }
    }

    @Option(names = "--problem", defaultValue = "fashion-mnist", converter = ProblemConverter.class,
            description = "logistic or fashion-mnist (default: ${DEFAULT-VALUE})")
    Problem problem;

    @Option(names = "--method", defaultValue = "all", converter = MethodsConverter.class,
            description = "sgd, svrg, sgd-svrg or all (default: ${DEFAULT-VALUE})")
    Methods method;

    @Option(names = "--epochs", description = "outer iterations (default: 30 logistic, 10 fashion-mnist)")
    Integer epochs;

    @Option(names = "--sgd-epochs", defaultValue = "3", description = "SGD epochs before SVRG in sgd-svrg (default: ${DEFAULT-VALUE})")
    int sgdEpochs;

    @Option(names = "--batch-size", defaultValue = "10", description = "|I_t| (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--inner-steps", defaultValue = "0", description = "m, updates per epoch; 0: n / batch size (default: ${DEFAULT-VALUE})")
    int innerSteps;

    @Option(names = "--lr", description = "SVRG's constant step size eta (default: 0.2 logistic, 0.025 fashion-mnist)")
    Double lr;

    @Option(names = "--sgd-lr", description = "SGD's alpha in alpha/(1+s)^beta (default: 0.2 logistic, 0.05 fashion-mnist)")
    Double sgdLr;

    @Option(names = "--sgd-decay", defaultValue = "0.5", description = "SGD's beta (default: ${DEFAULT-VALUE})")
    double sgdDecay;

    @Option(names = "--max-staleness", defaultValue = "8", description = "Delta: updates older than this many server steps are dropped (default: ${DEFAULT-VALUE})")
    int maxStaleness;

    @Option(names = "--seed", defaultValue = "1", description = "data, initialisation and sampling seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--samples", defaultValue = "10000", description = "fashion-mnist training samples (default: ${DEFAULT-VALUE})")
    int samples;

    @Option(names = "--l2", defaultValue = "1e-3", description = "fashion-mnist l2 weight C (default: ${DEFAULT-VALUE})")
    double l2;

    @Option(names = "--data-dir", description = "Fashion-MNIST IDX directory (default: /usr/share/datasets/fashion-mnist)")
    Path dataDir = FashionMnistData.DEFAULT_DIR;

    @Option(names = "--dimension", defaultValue = "20", description = "logistic: d (default: ${DEFAULT-VALUE})")
    int dimension;

    @Option(names = "--rows-per-worker", defaultValue = "200", description = "logistic: samples per worker (default: ${DEFAULT-VALUE})")
    int rowsPerWorker;

    @Option(names = "--lambda", defaultValue = "0.1", description = "logistic: l2 weight lambda (default: ${DEFAULT-VALUE})")
    double lambda;

    @Option(names = "--speedup-workers", split = ",", description = "local transport: also run SVRG with these worker counts and print time-to-loss speedup, e.g. 1,2,3")
    List<Integer> speedupWorkers = new ArrayList<>();

    @Option(names = "--metrics-dir", description = "write asysvrg-<problem>.json and .png here")
    Path metricsDir;

    @Option(names = "--quiet", description = "print only the summary")
    boolean quiet;

    @Mixin
    TransportOptions where = new TransportOptions(3);

    private final PrintStream out;

    public AsySvrgExample() {
        this(System.out);
    }

    AsySvrgExample(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new AsySvrgExample())
                .setParameterExceptionHandler(TransportOptions.oneLineUsageErrors()).execute(args));
    }

    private boolean logistic() {
        return problem == Problem.LOGISTIC;
    }

    /** @return the config of {@code m} for a job with {@code workers} workers holding {@code n} samples in all */
    AsySvrgConfig config(Method m, int n) {
        int e = epochs != null ? epochs : logistic() ? 30 : 10;
        double eta = lr != null ? lr : logistic() ? 0.2 : 0.025;
        double alpha = sgdLr != null ? sgdLr : logistic() ? 0.2 : 0.05;
        int inner = innerSteps > 0 ? innerSteps : Math.max(1, n / batchSize);
        return new AsySvrgConfig(m, e, m == Method.SGD_SVRG ? Math.min(sgdEpochs, e) : 0, inner, batchSize, eta, alpha,
                sgdDecay, maxStaleness, seed);
    }

    private void check() {
        CommandLine cl = new CommandLine(this);
        if (epochs != null && epochs < 1) {
            throw new CommandLine.ParameterException(cl, "--epochs must be >= 1, got " + epochs);
        }
        if (batchSize < 1 || sgdEpochs < 0 || innerSteps < 0 || maxStaleness < 0 || samples < 1 || dimension < 1
                || rowsPerWorker < 1 || !(lambda > 0) || !(l2 >= 0)) {
            throw new CommandLine.ParameterException(cl, "need --batch-size >= 1, --sgd-epochs, --inner-steps, --max-staleness"
                    + " >= 0, --samples, --dimension, --rows-per-worker >= 1, --lambda > 0, --l2 >= 0");
        }
        for (int k : speedupWorkers) {
            if (k < 1) {
                throw new CommandLine.ParameterException(cl, "--speedup-workers must be >= 1, got " + k);
            }
        }
        if (!speedupWorkers.isEmpty() && !where.local()) {
            throw new CommandLine.ParameterException(cl, "--speedup-workers needs --transport local (it starts clusters of K+1 ranks)");
        }
        if (where.local() && where.ranks() < 2) {
            throw new CommandLine.ParameterException(cl, "--ranks must be >= 2 (a server and a worker), got " + where.ranks());
        }
        try {
            config(Method.SGD_SVRG, 1);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, e.getMessage());
        }
    }

    @Override
    public Integer call() throws Exception {
        check();
        double[][] optimum = new double[1][];
        int[] mpiRank = {0};
        // One job (one MPI initialisation) runs every method in turn.
        List<Map<Method, AsySvrgResult>> perRank = where.call(bf -> {
            if (bf.size() < 2) {
                throw new CommandLine.ParameterException(new CommandLine(this), "asysvrg needs >= 2 ranks, got " + bf.size());
            }
            if (!where.local()) {
                mpiRank[0] = bf.rank();
            }
            Map<Method, AsySvrgResult> byMethod = new LinkedHashMap<>();
            for (Method m : method.methods()) {
                byMethod.put(m, runOne(bf, m, optimum));
            }
            return byMethod;
        });
        Map<Method, AsySvrgResult> results = perRank.get(0);
        if (mpiRank[0] != 0) {
            return 0; // rank 0 reports (every rank holds the same results)
        }
        Map<Integer, AsySvrgResult> speedup = new LinkedHashMap<>();
        for (int k : speedupWorkers) {
            speedup.put(k, LocalCluster.builder(k + 1).build().call(bf -> runOne(bf, Method.SVRG, optimum)).get(0));
        }
        report(results, optimum[0], speedup);
        return 0;
    }

    /** One rank's run of method {@code m}; the job's size decides the number of workers. */
    AsySvrgResult runOne(BlueFog bf, Method m, double[][] optimum) {
        int workers = bf.size() - 1;
        FiniteSum share = null;
        double[] w0;
        int n;
        if (logistic()) {
            LogisticRegression p = LogisticRegression.generate(workers, dimension, rowsPerWorker, lambda, seed);
            if (bf.rank() == 0) {
                synchronized (optimum) {
                    optimum[0] = p.solution();
                }
            }
            share = bf.rank() == 0 ? null : p.finiteSum(bf.rank() - 1);
            w0 = new double[dimension];
            n = workers * rowsPerWorker;
        } else {
            if (bf.rank() != 0) {
                Shard s = FashionMnistData.trainShard(dataDir, new Partition.Iid(), bf.rank() - 1, workers, seed, samples);
                share = new MlpFiniteSum(s, l2);
            }
            w0 = MlpFiniteSum.initialWeights(seed);
            n = Math.min(samples, FashionMnistData.TRAIN_COUNT);
        }
        AsySvrgConfig c = config(m, n);
        AsySvrgResult r = AsySvrg.run(bf, share, w0, c);
        if (bf.rank() == 0 && !quiet) {
            synchronized (out) {
                out.printf(Locale.ROOT, "# %s, %d workers: loss per epoch %s%n", label(m), workers, fmt(r.losses()));
            }
        }
        return r;
    }

    static String label(Method m) {
        return m == Method.SGD_SVRG ? "SGD_SVRG" : m.name();
    }

    private static String fmt(double[] v) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) {
            b.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.6g", v[i]));
        }
        return b.append(']').toString();
    }

    static double relativeError(double[] w, double[] opt) {
        double num = 0;
        double den = 0;
        for (int j = 0; j < w.length; j++) {
            num += (w[j] - opt[j]) * (w[j] - opt[j]);
            den += opt[j] * opt[j];
        }
        return Math.sqrt(num / den);
    }

    private void report(Map<Method, AsySvrgResult> results, double[] optimum, Map<Integer, AsySvrgResult> speedup)
            throws IOException {
        out.printf(Locale.ROOT, "# asysvrg %s: training loss F(w) at the start of each epoch (last row: final w)%n", problem);
        StringBuilder head = new StringBuilder("epoch");
        for (Method m : results.keySet()) {
            head.append(String.format(Locale.ROOT, "  %14s", label(m)));
        }
        out.println(head);
        int rows = results.values().iterator().next().losses().length;
        for (int s = 0; s < rows; s++) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%5d", s));
            for (AsySvrgResult r : results.values()) {
                line.append(String.format(Locale.ROOT, "  %14.8f", r.losses()[s]));
            }
            out.println(line);
        }
        for (Map.Entry<Method, AsySvrgResult> e : results.entrySet()) {
            AsySvrgResult r = e.getValue();
            out.printf(Locale.ROOT, "%s: final loss %.8f, %.2f s, applied %d, dropped %d (stale), max delay %d%s%n",
                    label(e.getKey()), r.losses()[rows - 1], r.seconds()[rows - 1], r.appliedUpdates(), r.droppedUpdates(),
                    r.maxDelay(), optimum == null ? "" : String.format(Locale.ROOT, ", relative error to the serial optimum %.3e",
                            relativeError(r.w(), optimum)));
        }
        if (results.size() == 3) {
            double sgd = results.get(Method.SGD).losses()[rows - 1];
            double svrg = results.get(Method.SVRG).losses()[rows - 1];
            double both = results.get(Method.SGD_SVRG).losses()[rows - 1];
            out.printf(Locale.ROOT, "ordering at the end: SGD_SVRG < SVRG < SGD is %s (%.6f, %.6f, %.6f)%n",
                    both < svrg && svrg < sgd, both, svrg, sgd);
        }
        double target = Double.NEGATIVE_INFINITY;
        for (AsySvrgResult r : speedup.values()) {
            target = Math.max(target, r.losses()[r.losses().length - 1]);
        }
        Map<Integer, Double> times = new LinkedHashMap<>();
        for (Map.Entry<Integer, AsySvrgResult> e : speedup.entrySet()) {
            times.put(e.getKey(), e.getValue().secondsToLoss(target));
        }
        if (!speedup.isEmpty()) {
            double t1 = times.getOrDefault(1, Double.NaN);
            out.printf(Locale.ROOT, "SVRG time to loss %.6f (the loss every worker count reached), measured side by side in this JVM:%n", target);
            for (Map.Entry<Integer, Double> e : times.entrySet()) {
                out.printf(Locale.ROOT, "  %d worker(s): %.2f s, speedup T1/TK %.2f%n", e.getKey(), e.getValue(), t1 / e.getValue());
            }
        }
        if (metricsDir != null) {
            writeMetrics(results, optimum, speedup, times, target);
        }
        out.flush();
    }

    private void writeMetrics(Map<Method, AsySvrgResult> results, double[] optimum, Map<Integer, AsySvrgResult> speedup,
            Map<Integer, Double> times, double target) throws IOException {
        Files.createDirectories(metricsDir);
        String base = "asysvrg-" + problem;
        String json = JsonLines.object(g -> {
            g.writeStringField("problem", problem.toString());
            g.writeNumberField("workers", where.local() ? where.ranks() - 1 : -1);
            g.writeObjectFieldStart("methods");
            for (Map.Entry<Method, AsySvrgResult> e : results.entrySet()) {
                AsySvrgResult r = e.getValue();
                g.writeObjectFieldStart(label(e.getKey()));
                writeArray(g, "loss", r.losses());
                writeArray(g, "seconds", r.seconds());
                g.writeNumberField("applied", r.appliedUpdates());
                g.writeNumberField("dropped", r.droppedUpdates());
                g.writeNumberField("max_delay", r.maxDelay());
                if (optimum != null) {
                    JsonLines.number(g, "relative_error", relativeError(r.w(), optimum));
                }
                g.writeEndObject();
            }
            g.writeEndObject();
            if (!speedup.isEmpty()) {
                JsonLines.number(g, "speedup_target_loss", target);
                g.writeObjectFieldStart("seconds_to_target");
                for (Map.Entry<Integer, Double> e : times.entrySet()) {
                    JsonLines.number(g, Integer.toString(e.getKey()), e.getValue());
                }
                g.writeEndObject();
            }
        });
        Files.writeString(metricsDir.resolve(base + ".json"), json + System.lineSeparator());
        XYChart chart = new XYChartBuilder().width(900).height(540)
                .title("AsySVRG (" + problem + "): training loss per epoch").xAxisTitle("epoch").yAxisTitle("training loss").build();
        chart.getStyler().setYAxisLogarithmic(true);
        for (Map.Entry<Method, AsySvrgResult> e : results.entrySet()) {
            double[] loss = e.getValue().losses();
            double[] xs = new double[loss.length];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = i;
            }
            chart.addSeries(label(e.getKey()), xs, loss);
        }
        BitmapEncoder.saveBitmap(chart, metricsDir.resolve(base).toString(), BitmapEncoder.BitmapFormat.PNG);
        out.println("wrote " + metricsDir.resolve(base + ".json") + " and " + base + ".png");
    }

    private static void writeArray(com.fasterxml.jackson.core.JsonGenerator g, String name, double[] v) throws IOException {
        g.writeArrayFieldStart(name);
        for (double x : v) {
            g.writeNumber(x);
        }
        g.writeEndArray();
    }
}
