package io.bluefog.examples.pipeline;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.bluefog.BlueFog;
import io.bluefog.collectives.pipeline.StageChannel;
import io.bluefog.collectives.pipeline.StageTensor;
import io.bluefog.examples.cli.TransportOptions;
import io.bluefog.optimizers.pipeline.ChainFunction;
import io.bluefog.optimizers.pipeline.FunctionStage;
import io.bluefog.optimizers.pipeline.GPipeEngine;
import io.bluefog.optimizers.pipeline.Pprs;
import io.bluefog.optimizers.pipeline.PprsConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * PPRS (Colin, Dos Santos and Scaman, NeurIPS 2019, Algorithm 1) and GPipe's schedule on real
 * ranks, one pipeline stage per rank (Δ = number of ranks):
 * <ul>
 * <li>{@code --experiment convex}: Theorem 3 on f(θ) = ‖A_Δ⋯A_1θ − b‖₁ ({@link L1ChainProblem}, f* = 0):
 * for each T the mean over {@code --seeds} of f(y_T) with the theorem's preset, against eq. 13's
 * bound 3LRd^{1/4}/(T+1) + LRd^{−1/4}/(2K), and GD / Nesterov's AGD (γ = 0, K = 1, step
 * R/(L√T)) over the same pipeline; plus f(y_t) against the simulated time 2t(K + Δ' − 1) for the
 * real Δ and for Δ' = {@code --simulated-stages}. Then the depth sweep on rank 0: the time to reach ε
 * against Δ for PPRS, GD and AGD on the supplement's hard function ({@link MaxChainProblem}, eq. 8
 * with k = 0), Δ simulated ({@link #deltaSweep}); written to {@code pprs-convex-delta.png}.</li>
 * <li>{@code --experiment adversarial}: the paper's Figure 3 (Section 6, eq. 17) on Fashion-MNIST, simulated
 * depth: see {@link AdversarialExperiment}. The ranks share the (image, target) pairs; the time axis is
 * the model's 2T(K + Δ − 1) for each Δ of {@code --delays}, not the ranks'.</li>
 * <li>{@code --experiment schedule}: K = 1, 2, 4, 8, 16 micro-batches through Δ stages that each do
 * the same dense work per stage-step; the measured time per iteration against the model
 * 2(K + Δ − 1) t_step and against the same work on one rank (2KΔ t_step), i.e. the utilisation
 * K/(K + Δ − 1).</li>
 * </ul>
 * Writes {@code pprs-<experiment>.json} and {@code .png} to {@code --metrics-dir} (rank 0).
 */
@Command(name = "pprs", mixinStandardHelpOptions = true,
        description = "PPRS and the GPipe schedule over a pipeline of one stage per rank")
public final class PprsExample implements Callable<Integer> {
    /** Values of {@code --experiment}. */
    enum Experiment {
        CONVEX, SCHEDULE, ADVERSARIAL;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    @Option(names = "--experiment", required = true, description = "${COMPLETION-CANDIDATES}")
    Experiment experiment;

    @Option(names = "--dimension", defaultValue = "16", description = "d of the convex problem (default: ${DEFAULT-VALUE})")
    int dimension;

    @Option(names = "--iterations", defaultValue = "10,20,40,80,160", split = ",",
            description = "values of T for convex (default: ${DEFAULT-VALUE})")
    int[] iterations;

    @Option(names = "--seeds", defaultValue = "5", description = "perturbation seeds per T (default: ${DEFAULT-VALUE})")
    int seeds;

    @Option(names = "--simulated-stages", defaultValue = "64",
            description = "second Δ for the simulated-time curves of convex (default: ${DEFAULT-VALUE})")
    int simulatedStages;

    @Option(names = "--sweep-delays", defaultValue = "1,4,16,64,256,1024", split = ",",
            description = "convex: simulated depths D of the time-to-epsilon sweep (default: ${DEFAULT-VALUE})")
    int[] sweepDelays;

    @Option(names = "--sweep-dimension", defaultValue = "256",
            description = "convex: d of the sweep's max function (default: ${DEFAULT-VALUE})")
    int sweepDimension;

    @Option(names = "--sweep-iterations", defaultValue = "25,50,100,200,400,800,1600", split = ",",
            description = "convex: the T tried by each method in the sweep (default: ${DEFAULT-VALUE})")
    int[] sweepIterations;

    @Option(names = "--sweep-gd-iterations", defaultValue = "3200,12800,51200", split = ",",
            description = "convex: further T tried by GD and AGD only in the sweep (they need ~(RL/epsilon)^2) (default: ${DEFAULT-VALUE})")
    int[] sweepGdIterations;

    @Option(names = "--epsilon-fraction", defaultValue = "0.1",
            description = "convex: epsilon of the sweep as a fraction of f(theta0) - f* (default: ${DEFAULT-VALUE})")
    double epsilonFraction;

    @Option(names = "--width", defaultValue = "256", description = "schedule: vector width per stage (default: ${DEFAULT-VALUE})")
    int width;

    @Option(names = "--work", defaultValue = "8",
            description = "schedule: width×width products per stage-step (default: ${DEFAULT-VALUE})")
    int work;

    @Option(names = "--repeats", defaultValue = "5", description = "schedule: timed passes per K (default: ${DEFAULT-VALUE})")
    int repeats;

    @Option(names = "--data-dir", defaultValue = "/usr/share/datasets/fashion-mnist",
            description = "adversarial: Fashion-MNIST directory (default: ${DEFAULT-VALUE})")
    Path dataDir;

    @Option(names = "--train-samples", defaultValue = "6000",
            description = "adversarial: training images for the CNN's one SGD epoch, 0 = all 60,000 (default: ${DEFAULT-VALUE})")
    int trainSamples;

    @Option(names = "--test-samples", defaultValue = "2000",
            description = "adversarial: test images for the accuracy and the pairs (default: ${DEFAULT-VALUE})")
    int testSamples;

    @Option(names = "--model-file",
            description = "adversarial: a DL4J model zip to attack; if it does not exist the trained CNN is saved there")
    Path modelFile;

    @Option(names = "--pairs", defaultValue = "2", description = "adversarial: (image, target) pairs P (default: ${DEFAULT-VALUE}; the paper: 100)")
    int pairs;

    @Option(names = "--budget-iterations", defaultValue = "20",
            description = "adversarial: GD iterations of the simulated-time budget 2*B*D of each D (default: ${DEFAULT-VALUE})")
    int budgetIterations;

    @Option(names = "--lambda", defaultValue = "10", description = "adversarial: lambda of eq. 17 (default: ${DEFAULT-VALUE}; "
            + "the paper: 300, under which no method goes below the start on our 28x28 images in [0, 1])")
    double lambda;

    @Option(names = "--samples", defaultValue = "2,10,100", split = ",", description = "adversarial: K of PPRS (default: ${DEFAULT-VALUE})")
    int[] samples;

    @Option(names = "--delays", defaultValue = "20,200", split = ",",
            description = "adversarial: simulated depths D (default: ${DEFAULT-VALUE})")
    int[] delays;

    @Option(names = "--lr-grid", defaultValue = "1e-1,1e-2,1e-3", split = ",",
            description = "adversarial: learning rates tried (default: ${DEFAULT-VALUE}; the paper: 1e-3,...,1e-7, "
                    + "which here all stay near the start within the default budget)")
    double[] lrGrid;

    @Option(names = "--gamma-grid", defaultValue = "1e-1,1e-2", split = ",",
            description = "adversarial: gamma tried for PPRS (default: ${DEFAULT-VALUE}; the paper: 1e-3,...,1e-7)")
    double[] gammaGrid;

    @Option(names = "--seed", defaultValue = "1", description = "adversarial: seed of the CNN, the pairs and the noise (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--metrics-dir", defaultValue = "pprs-metrics", description = "where JSON and PNG go (default: ${DEFAULT-VALUE})")
    Path metricsDir;

    @Option(names = "--json", description = "print the result as one JSON object instead of a table")
    boolean json;

    @Mixin
    TransportOptions where = new TransportOptions(4);

    private final PrintStream out;
    private static final long TIMEOUT_MILLIS = 120_000;
    /** the ranks of the adversarial experiment meet once per grid point: a grid point may take minutes */
    private static final long ADVERSARIAL_TIMEOUT_MILLIS = 1_800_000;
    private static final long PROBLEM_SEED = 2024;
    private static final int[] SCHEDULE_MICRO_BATCHES = {1, 2, 4, 8, 16};

    public PprsExample() {
        this(System.out);
    }

    PprsExample(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new PprsExample()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        CommandLine cl = new CommandLine(this);
        if (dimension < 1 || seeds < 1 || simulatedStages < 1 || width < 1 || work < 1 || repeats < 1) {
            throw new CommandLine.ParameterException(cl, "--dimension, --seeds, --simulated-stages, --width, --work and --repeats must be >= 1");
        }
        if (sweepDimension < 1 || !(epsilonFraction > 0 && epsilonFraction < 1) || Arrays.stream(sweepDelays).anyMatch(v -> v < 1)
                || Arrays.stream(sweepIterations).anyMatch(v -> v < 1) || Arrays.stream(sweepGdIterations).anyMatch(v -> v < 1)) {
            throw new CommandLine.ParameterException(cl, "--sweep-dimension, --sweep-delays and --sweep-iterations must be >= 1 and "
                    + "--epsilon-fraction in (0, 1)");
        }
        for (int t : iterations) {
            if (t < 1) {
                throw new CommandLine.ParameterException(cl, "--iterations must all be >= 1, got " + t);
            }
        }
        AdversarialExperiment.Settings adversarial = null;
        if (experiment == Experiment.ADVERSARIAL) {
            try {
                adversarial = new AdversarialExperiment.Settings(dataDir, trainSamples, testSamples, pairs, budgetIterations, lambda,
                        samples, delays, lrGrid, gammaGrid, 0.99, seed, modelFile);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, e.getMessage());
            }
        }
        AdversarialExperiment.Settings adv = adversarial;
        where.call(experiment == Experiment.ADVERSARIAL ? ADVERSARIAL_TIMEOUT_MILLIS : TIMEOUT_MILLIS, bf -> {
            Map<String, Object> result = switch (experiment) {
                case CONVEX -> convex(bf);
                case SCHEDULE -> schedule(bf);
                case ADVERSARIAL -> AdversarialExperiment.run(bf, adv, json ? System.err : out);
            };
            if (bf.rank() == 0) {
                report(result);
            }
            return null;
        });
        return 0;
    }

    private static GPipeEngine engine(BlueFog bf, List<ChainFunction> chain, int inputLength, StageChannel ch) {
        return new GPipeEngine(ch, new FunctionStage(chain.get(ch.stage()), inputLength), bf.timeline());
    }

    // ------------------------------------------------------------------------------------ convex

    private Map<String, Object> convex(BlueFog bf) {
        int stages = bf.size();
        L1ChainProblem p = L1ChainProblem.generate(dimension, stages, PROBLEM_SEED);
        StageChannel ch = StageChannel.oneStagePerRank(bf.communicator(), TIMEOUT_MILLIS);
        GPipeEngine engine = engine(bf, p.chain(), dimension, ch);
        boolean first = ch.stage() == 0;
        double[] theta0 = first ? new double[dimension] : null;
        List<Map<String, Object>> rows = new ArrayList<>();
        Map<String, double[]> curves = new LinkedHashMap<>();
        int longest = Arrays.stream(iterations).max().orElseThrow();
        for (int t : iterations) {
            double sum = 0;
            int k = 0;
            double[] meanCurve = new double[t];
            for (int seed = 0; seed < seeds; seed++) {
                PprsConfig config = PprsConfig.theorem3(t, dimension, p.radius(), p.lipschitz(), seed);
                k = config.samples();
                Pprs.Result r = new Pprs(config).run(engine, theta0);
                if (first) {
                    sum += Pprs.value(p.chain(), r.y());
                    for (int i = 0; i < t; i++) {
                        meanCurve[i] += Pprs.value(p.chain(), r.history().get(i)) / seeds;
                    }
                }
            }
            double step = p.radius() / (p.lipschitz() * Math.sqrt(t));
            Pprs.Result gd = new Pprs(PprsConfig.gradientDescent(t, step)).run(engine, theta0);
            Pprs.Result agd = new Pprs(PprsConfig.nesterov(t, step)).run(engine, theta0);
            if (first) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("T", t);
                row.put("K", k);
                row.put("gamma", p.radius() * Math.pow(dimension, -0.25) / (t + 1));
                row.put("pprs_mean_error", sum / seeds);
                row.put("eq13_bound", PprsConfig.theorem3Bound(t, k, dimension, p.radius(), p.lipschitz()));
                row.put("gd_error", Pprs.value(p.chain(), gd.y()));
                row.put("agd_error", Pprs.value(p.chain(), agd.y()));
                row.put("pprs_stage_steps", 2L * t * (k + stages - 1));
                row.put("gd_stage_steps", 2L * t * stages);
                rows.add(row);
                if (t == longest) {
                    curves.put("pprs", meanCurve);
                    curves.put("pprs_K", new double[] {k});
                    curves.put("gd", historyValues(p, gd));
                    curves.put("agd", historyValues(p, agd));
                }
            }
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("experiment", "convex");
        result.put("problem", "||A_D...A_1 theta - b||_1, f* = 0");
        result.put("ranks", stages);
        result.put("stages", stages);
        result.put("dimension", dimension);
        result.put("lipschitz", p.lipschitz());
        result.put("radius", p.radius());
        result.put("seeds", seeds);
        result.put("f_theta0", Pprs.value(p.chain(), new double[dimension]));
        result.put("rows", rows);
        result.put("simulated_stages", simulatedStages);
        result.put("curves", curves);
        if (first) {
            result.put("delta_sweep", deltaSweep());
        }
        return result;
    }

    /**
     * Time to reach ε against the depth Δ (issue 15: it should grow like (RL/ε)² + (RL/ε)Δd^{1/4}
     * for PPRS, like (RL/ε)²Δ for GD). On {@link MaxChainProblem} (d = {@code --sweep-dimension},
     * δ = 1, α = 1/√d, so R = 1), for every T of {@code --sweep-iterations}: PPRS with Theorem 3's
     * preset (mean curve over {@code --seeds}) and GD / AGD with step R/(L√T) (also for the T of
     * {@code --sweep-gd-iterations}), all in this thread
     * (the function does not depend on Δ). t_ε is the first iteration whose f(y_t) − f* ≤ ε
     * (mean over seeds for PPRS), ε = {@code --epsilon-fraction}·(f(0) − f*). For each simulated Δ
     * a method's time is the smallest 2·t_ε·(K + Δ − 1) over its runs that reach ε (K = 1 for
     * GD/AGD), in stage-steps.
     */
    private Map<String, Object> deltaSweep() {
        int d = sweepDimension;
        MaxChainProblem p = MaxChainProblem.generate(d, 2, 1.0, 1.0 / Math.sqrt(d));
        double fStar = p.optimum();
        double[] theta0 = new double[d];
        double gap0 = Pprs.value(p.chain(), theta0) - fStar;
        double eps = epsilonFraction * gap0;
        List<Map<String, Object>> runs = new ArrayList<>();
        for (int t : java.util.stream.IntStream.concat(Arrays.stream(sweepIterations), Arrays.stream(sweepGdIterations)).toArray()) {
            boolean gdOnly = Arrays.stream(sweepIterations).noneMatch(v -> v == t);
            double[] mean = new double[t];
            int k = 0;
            for (int seed = 0; seed < (gdOnly ? 0 : seeds); seed++) {
                PprsConfig c = PprsConfig.theorem3(t, d, p.radius(), p.lipschitz(), seed);
                k = c.samples();
                Pprs.Result r = new Pprs(c).runSerial(p.chain(), theta0, (i, g, y) -> { });
                for (int i = 0; i < t; i++) {
                    mean[i] += (Pprs.value(p.chain(), r.history().get(i)) - fStar) / seeds;
                }
            }
            if (!gdOnly) {
                runs.add(sweepRun("PPRS", t, k, mean, eps));
            }
            double step = p.radius() / (p.lipschitz() * Math.sqrt(t));
            for (String name : List.of("GD", "AGD")) {
                PprsConfig c = name.equals("GD") ? PprsConfig.gradientDescent(t, step) : PprsConfig.nesterov(t, step);
                Pprs.Result r = new Pprs(c).runSerial(p.chain(), theta0, (i, g, y) -> { });
                double[] gap = new double[t];
                for (int i = 0; i < t; i++) {
                    gap[i] = Pprs.value(p.chain(), r.history().get(i)) - fStar;
                }
                runs.add(sweepRun(name, t, 1, gap, eps));
            }
        }
        Map<String, double[]> times = new LinkedHashMap<>();
        for (String name : List.of("PPRS", "GD", "AGD")) {
            double[] best = new double[sweepDelays.length];
            for (int i = 0; i < sweepDelays.length; i++) {
                best[i] = Double.POSITIVE_INFINITY;
                for (Map<String, Object> r : runs) {
                    Integer te = (Integer) r.get("t_eps");
                    if (r.get("method").equals(name) && te != null) {
                        best[i] = Math.min(best[i], 2.0 * te * ((Integer) r.get("K") + sweepDelays[i] - 1));
                    }
                }
            }
            times.put(name, best);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("problem", "eq. 8 with k = 0, beta = 0: delta max_i theta_i + alpha/2 ||theta||^2, delta = 1, alpha = 1/sqrt(d)");
        out.put("dimension", d);
        out.put("f_star", fStar);
        out.put("radius", p.radius());
        out.put("lipschitz", p.lipschitz());
        out.put("epsilon", eps);
        out.put("delays", Arrays.stream(sweepDelays).asDoubleStream().toArray());
        out.put("time_to_epsilon", times);
        out.put("runs", runs);
        return out;
    }

    private static Map<String, Object> sweepRun(String method, int t, int k, double[] gap, double eps) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("method", method);
        r.put("T", t);
        r.put("K", k);
        r.put("final_gap", gap[t - 1]);
        Integer te = null;
        for (int i = 0; i < t; i++) {
            if (gap[i] <= eps) {
                te = i + 1;
                break;
            }
        }
        if (te != null) {
            r.put("t_eps", te);
        }
        return r;
    }

    private static double[] historyValues(L1ChainProblem p, Pprs.Result r) {
        double[] v = new double[r.history().size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = Pprs.value(p.chain(), r.history().get(i));
        }
        return v;
    }

    // ------------------------------------------------------------------------------------ schedule

    /** Link doing {@code work} products with a width×width cyclic-shift matrix (norm-preserving), dense. */
    static ChainFunction busyLink(int width, int work, boolean last) {
        double[][] a = new double[width][width];
        for (int i = 0; i < width; i++) {
            a[i][(i + 1) % width] = 1;
        }
        return new ChainFunction() {
            double[] times(double[] x, boolean transposed) {
                double[] y = x;
                for (int r = 0; r < work; r++) {
                    double[] z = new double[width];
                    for (int i = 0; i < width; i++) {
                        double s = 0;
                        for (int j = 0; j < width; j++) {
                            s += (transposed ? a[j][i] : a[i][j]) * y[j];
                        }
                        z[i] = s;
                    }
                    y = z;
                }
                return y;
            }

            @Override
            public double[] apply(double[] x) {
                double[] y = times(x, false);
                return last ? new double[] {Arrays.stream(y).sum()} : y;
            }

            @Override
            public double[] vjp(double[] x, double[] g) {
                double[] v = new double[width];
                if (last) {
                    Arrays.fill(v, g[0]);
                } else {
                    v = g;
                }
                return times(v, true);
            }
        };
    }

    private Map<String, Object> schedule(BlueFog bf) {
        int stages = bf.size();
        List<ChainFunction> chain = new ArrayList<>();
        for (int s = 0; s < stages; s++) {
            chain.add(busyLink(width, work, s == stages - 1));
        }
        StageChannel ch = StageChannel.oneStagePerRank(bf.communicator(), TIMEOUT_MILLIS);
        GPipeEngine engine = engine(bf, chain, width, ch);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int k : SCHEDULE_MICRO_BATCHES) {
            List<StageTensor> inputs = new ArrayList<>();
            double[] weights = new double[k];
            for (int i = 0; i < k; i++) {
                double[] x = new double[width];
                Arrays.fill(x, i + 1);
                inputs.add(StageTensor.vector(x));
                weights[i] = 1.0 / k;
            }
            engine.run(ch.stage() == 0 ? inputs : null, weights); // warm-up
            double[] pipelineMillis = new double[repeats];
            long steps = 0;
            for (int r = 0; r < repeats; r++) {
                bf.communicator().barrier();
                long start = System.nanoTime();
                GPipeEngine.Pass pass = engine.run(ch.stage() == 0 ? inputs : null, weights);
                pipelineMillis[r] = (System.nanoTime() - start) / 1e6;
                steps = pass.stageSteps();
            }
            bf.communicator().barrier();
            double[] serialMillis = new double[repeats];
            if (ch.stage() == 0) {
                Pprs serial = new Pprs(new PprsConfig(1, k, 1e-9, 0, PprsConfig.Momentum.none(), 0));
                serial.runSerial(chain, new double[width], (t, g, y) -> { }); // warm-up
                for (int r = 0; r < repeats; r++) {
                    long start = System.nanoTime();
                    // K micro-batches forward and backward through all Δ links on this rank alone
                    for (double[] x : inputs.stream().map(StageTensor::values).toList()) {
                        List<double[]> hs = new ArrayList<>();
                        double[] h = x;
                        for (ChainFunction f : chain) {
                            hs.add(h);
                            h = f.apply(h);
                        }
                        double[] g = {1.0 / k};
                        for (int s = stages - 1; s >= 0; s--) {
                            g = chain.get(s).vjp(hs.get(s), g);
                        }
                    }
                    serialMillis[r] = (System.nanoTime() - start) / 1e6;
                }
            }
            bf.communicator().barrier();
            if (ch.stage() == 0) {
                double pipe = median(pipelineMillis);
                double one = median(serialMillis);
                double stepMillis = one / (2.0 * k * stages);
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("K", k);
                row.put("stage_steps", steps);
                row.put("model_stage_steps", 2L * (k + stages - 1));
                row.put("pipeline_ms", pipe);
                row.put("one_rank_ms", one);
                row.put("model_ms", 2.0 * (k + stages - 1) * stepMillis);
                row.put("speedup", one / pipe);
                row.put("model_speedup", k * stages / (double) (k + stages - 1));
                row.put("utilisation_model", k / (double) (k + stages - 1));
                row.put("utilisation_measured", one / (pipe * stages));
                rows.add(row);
            }
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("experiment", "schedule");
        result.put("ranks", stages);
        result.put("stages", stages);
        result.put("width", width);
        result.put("work", work);
        result.put("repeats", repeats);
        result.put("available_processors", Runtime.getRuntime().availableProcessors());
        result.put("rows", rows);
        return result;
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }

    // ------------------------------------------------------------------------------------ output

    private void report(Map<String, Object> result) throws IOException {
        Files.createDirectories(metricsDir);
        String base = "pprs-" + experiment;
        Path jsonFile = metricsDir.resolve(base + ".json");
        try (JsonGenerator g = new JsonFactory().createGenerator(jsonFile.toFile(), JsonEncoding.UTF8)) {
            g.useDefaultPrettyPrinter();
            write(g, result);
        }
        switch (experiment) {
            case CONVEX -> plotConvex(result, metricsDir.resolve(base));
            case SCHEDULE -> plotSchedule(result, metricsDir.resolve(base));
            case ADVERSARIAL -> plotAdversarial(result, metricsDir.resolve(base));
        }
        if (json) {
            out.println(Files.readString(jsonFile).replaceAll("\\s*\\n\\s*", " "));
        } else {
            printTable(result);
            out.println("wrote " + jsonFile + " and " + metricsDir.resolve(base) + "*.png");
        }
        out.flush();
    }

    @SuppressWarnings("unchecked")
    private static void write(JsonGenerator g, Object v) throws IOException {
        if (v instanceof Map<?, ?> m) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                g.writeFieldName(e.getKey().toString());
                write(g, e.getValue());
            }
            g.writeEndObject();
        } else if (v instanceof List<?> l) {
            g.writeStartArray();
            for (Object o : l) {
                write(g, o);
            }
            g.writeEndArray();
        } else if (v instanceof double[] a) {
            g.writeStartArray();
            for (double d : a) {
                if (Double.isFinite(d)) {
                    g.writeNumber(d);
                } else {
                    g.writeNull();
                }
            }
            g.writeEndArray();
        } else if (v instanceof Double d) {
            if (Double.isFinite(d)) {
                g.writeNumber(d);
            } else {
                g.writeNull();
            }
        } else if (v instanceof Integer i) {
            g.writeNumber(i);
        } else if (v instanceof Long l) {
            g.writeNumber(l);
        } else {
            g.writeString(String.valueOf(v));
        }
    }

    @SuppressWarnings("unchecked")
    private void printTable(Map<String, Object> result) {
        List<Map<String, Object>> rows = (List<Map<String, Object>>) result.get("rows");
        if (experiment == Experiment.ADVERSARIAL) {
            out.printf(Locale.ROOT, "# eq. 17 on Fashion-MNIST: %s ranks, %s pairs, lambda %s, CNN test accuracy %.4f, initial loss %.4f (%.0f s)%n",
                    result.get("ranks"), result.get("pairs"), result.get("lambda"), result.get("test_accuracy"),
                    result.get("initial_loss"), result.get("seconds"));
            for (Map<String, Object> d : (List<Map<String, Object>>) result.get("per_delta")) {
                out.printf(Locale.ROOT, "D = %s, budget %s stage-steps: best of the grid per method%n", d.get("delta"),
                        d.get("budget_stage_steps"));
                out.println("  method         lr       gamma     mu     T   final_loss");
                for (Map<String, Object> r : (List<Map<String, Object>>) d.get("best")) {
                    if (r.containsKey("diverged_everywhere")) {
                        out.printf(Locale.ROOT, "  %-11s  diverged for every grid point%n", r.get("method"));
                    } else {
                        out.printf(Locale.ROOT, "  %-11s %8.0e %8.0e %6.2f %5d %12.6g%n", r.get("method"), r.get("lr"), r.get("gamma"),
                                r.get("mu"), r.get("iterations"), r.get("final_loss"));
                    }
                }
            }
        } else if (experiment == Experiment.CONVEX) {
            out.printf(Locale.ROOT, "# PPRS on ||A_D...A_1 theta - b||_1: d = %d, stages = %d, L = %.4g, R = %.4g, f(theta0) = %.4g, %d seeds%n",
                    result.get("dimension"), result.get("stages"), result.get("lipschitz"), result.get("radius"),
                    result.get("f_theta0"), result.get("seeds"));
            out.println("     T    K   pprs_mean_error   eq13_bound   gd_error    agd_error   pprs_steps   gd_steps");
            for (Map<String, Object> r : rows) {
                out.printf(Locale.ROOT, "%6d %4d   %14.6g %12.6g %10.6g %12.6g %12d %10d%n", r.get("T"), r.get("K"),
                        r.get("pprs_mean_error"), r.get("eq13_bound"), r.get("gd_error"), r.get("agd_error"),
                        r.get("pprs_stage_steps"), r.get("gd_stage_steps"));
            }
            Map<String, Object> sweep = (Map<String, Object>) result.get("delta_sweep");
            out.printf(Locale.ROOT, "# stage-steps to f - f* <= %.4g on %s, d = %s (inf: not reached)%n", sweep.get("epsilon"),
                    sweep.get("problem"), sweep.get("dimension"));
            out.println("# D        " + Arrays.stream((double[]) sweep.get("delays")).mapToObj(v -> String.format(Locale.ROOT, "%11.0f", v))
                    .reduce("", String::concat));
            for (Map.Entry<String, double[]> e : ((Map<String, double[]>) sweep.get("time_to_epsilon")).entrySet()) {
                out.println(String.format(Locale.ROOT, "# %-8s ", e.getKey()) + Arrays.stream(e.getValue())
                        .mapToObj(v -> String.format(Locale.ROOT, "%11.4g", v)).reduce("", String::concat));
            }
        } else {
            out.printf(Locale.ROOT, "# GPipe schedule: %d stages, width %d, %d products per stage-step, %d processors%n",
                    result.get("stages"), result.get("width"), result.get("work"), result.get("available_processors"));
            out.println("   K  steps  model_steps  pipeline_ms  one_rank_ms  model_ms  speedup  model_speedup");
            for (Map<String, Object> r : rows) {
                out.printf(Locale.ROOT, "%4d %6d %12d %12.3f %12.3f %9.3f %8.3f %14.3f%n", r.get("K"), r.get("stage_steps"),
                        r.get("model_stage_steps"), r.get("pipeline_ms"), r.get("one_rank_ms"), r.get("model_ms"),
                        r.get("speedup"), r.get("model_speedup"));
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static void plotConvex(Map<String, Object> result, Path base) throws IOException {
        List<Map<String, Object>> rows = (List<Map<String, Object>>) result.get("rows");
        double[] ts = rows.stream().mapToDouble(r -> ((Integer) r.get("T")).doubleValue()).toArray();
        XYChart left = new XYChartBuilder().width(1000).height(560)
                .title("PPRS (Theorem 3 preset) on ||A...A theta - b||_1, d = " + result.get("dimension") + ", "
                        + result.get("stages") + " stages")
                .xAxisTitle("iterations T").yAxisTitle("f(y_T) - f*").build();
        left.getStyler().setXAxisLogarithmic(true);
        left.getStyler().setYAxisLogarithmic(true);
        left.addSeries("PPRS, mean over seeds", ts, column(rows, "pprs_mean_error")).setMarker(SeriesMarkers.CIRCLE);
        left.addSeries("eq. 13 bound", ts, column(rows, "eq13_bound")).setMarker(SeriesMarkers.NONE);
        left.addSeries("GD (step R/(L sqrt T))", ts, column(rows, "gd_error")).setMarker(SeriesMarkers.SQUARE);
        left.addSeries("AGD (step R/(L sqrt T))", ts, column(rows, "agd_error")).setMarker(SeriesMarkers.DIAMOND);
        BitmapEncoder.saveBitmap(left, base.toString(), BitmapEncoder.BitmapFormat.PNG);

        Map<String, double[]> curves = (Map<String, double[]>) result.get("curves");
        int k = (int) curves.get("pprs_K")[0];
        int realStages = (Integer) result.get("stages");
        int simulated = (Integer) result.get("simulated_stages");
        XYChart right = new XYChartBuilder().width(1000).height(560)
                .title("f(y_t) - f* against simulated time 2t(K + D - 1), T = " + curves.get("pprs").length)
                .xAxisTitle("stage-steps").yAxisTitle("f(y_t) - f*").build();
        right.getStyler().setXAxisLogarithmic(true);
        right.getStyler().setYAxisLogarithmic(true);
        for (int delta : new int[] {realStages, simulated}) {
            addTimeSeries(right, "PPRS K=" + k + ", D=" + delta, curves.get("pprs"), 2.0 * (k + delta - 1));
            addTimeSeries(right, "GD, D=" + delta, curves.get("gd"), 2.0 * delta);
            addTimeSeries(right, "AGD, D=" + delta, curves.get("agd"), 2.0 * delta);
        }
        BitmapEncoder.saveBitmap(right, base + "-time", BitmapEncoder.BitmapFormat.PNG);

        Map<String, Object> sweep = (Map<String, Object>) result.get("delta_sweep");
        XYChart delta = new XYChartBuilder().width(1000).height(560)
                .title(String.format(Locale.ROOT, "time to f - f* <= %.3g on delta max theta_i + alpha/2 |theta|^2, d = %s",
                        sweep.get("epsilon"), sweep.get("dimension")))
                .xAxisTitle("depth D (simulated)").yAxisTitle("stage-steps to epsilon").build();
        delta.getStyler().setXAxisLogarithmic(true);
        delta.getStyler().setYAxisLogarithmic(true);
        double[] ds = (double[]) sweep.get("delays");
        for (Map.Entry<String, double[]> e : ((Map<String, double[]>) sweep.get("time_to_epsilon")).entrySet()) {
            List<double[]> pts = new ArrayList<>();
            for (int i = 0; i < ds.length; i++) {
                if (Double.isFinite(e.getValue()[i])) {
                    pts.add(new double[] {ds[i], e.getValue()[i]});
                }
            }
            if (!pts.isEmpty()) {
                delta.addSeries(e.getKey(), pts.stream().mapToDouble(v -> v[0]).toArray(), pts.stream().mapToDouble(v -> v[1]).toArray())
                        .setMarker(SeriesMarkers.CIRCLE);
            }
        }
        BitmapEncoder.saveBitmap(delta, base + "-delta", BitmapEncoder.BitmapFormat.PNG);
    }

    @SuppressWarnings("unchecked")
    private static void plotAdversarial(Map<String, Object> result, Path base) throws IOException {
        for (Map<String, Object> d : (List<Map<String, Object>>) result.get("per_delta")) {
            XYChart chart = new XYChartBuilder().width(1000).height(560)
                    .title("eq. 17 on Fashion-MNIST (CNN), mean over " + result.get("pairs") + " pairs, D = " + d.get("delta")
                            + " (simulated)")
                    .xAxisTitle("simulated time 2t(K + D - 1), stage-steps").yAxisTitle("loss").build();
            for (Map<String, Object> r : (List<Map<String, Object>>) d.get("best")) {
                if (r.containsKey("diverged_everywhere")) {
                    continue;
                }
                String name = String.format(Locale.ROOT, "%s (lr %.0e%s)", r.get("method"), r.get("lr"),
                        ((Double) r.get("gamma")) > 0 ? String.format(Locale.ROOT, ", gamma %.0e", r.get("gamma")) : "");
                chart.addSeries(name, (double[]) r.get("simulated_time"), (double[]) r.get("loss")).setMarker(SeriesMarkers.NONE);
            }
            BitmapEncoder.saveBitmap(chart, base + "-delta" + d.get("delta"), BitmapEncoder.BitmapFormat.PNG);
        }
    }

    private static void addTimeSeries(XYChart chart, String name, double[] values, double stepsPerIteration) {
        double[] x = new double[values.length];
        double[] y = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            x[i] = (i + 1) * stepsPerIteration;
            y[i] = Math.max(values[i], 1e-12);
        }
        XYSeries s = chart.addSeries(name, x, y);
        s.setMarker(SeriesMarkers.NONE);
    }

    @SuppressWarnings("unchecked")
    private static void plotSchedule(Map<String, Object> result, Path base) throws IOException {
        List<Map<String, Object>> rows = (List<Map<String, Object>>) result.get("rows");
        double[] ks = rows.stream().mapToDouble(r -> ((Integer) r.get("K")).doubleValue()).toArray();
        XYChart chart = new XYChartBuilder().width(1000).height(560)
                .title("GPipe over " + result.get("stages") + " ranks: time per iteration")
                .xAxisTitle("micro-batches K").yAxisTitle("ms per iteration").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.addSeries("pipeline, measured", ks, column(rows, "pipeline_ms")).setMarker(SeriesMarkers.CIRCLE);
        chart.addSeries("model 2(K + D - 1) t_step", ks, column(rows, "model_ms")).setMarker(SeriesMarkers.NONE);
        chart.addSeries("one rank, measured (2 K D t_step)", ks, column(rows, "one_rank_ms")).setMarker(SeriesMarkers.SQUARE);
        BitmapEncoder.saveBitmap(chart, base.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static double[] column(List<Map<String, Object>> rows, String key) {
        return rows.stream().mapToDouble(r -> ((Number) r.get(key)).doubleValue()).map(v -> Math.max(v, 1e-12)).toArray();
    }
}
