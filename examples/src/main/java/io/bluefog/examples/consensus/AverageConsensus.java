package io.bluefog.examples.consensus;

import io.bluefog.BlueFog;
import io.bluefog.collectives.Collectives;
import io.bluefog.collectives.Mixing;
import io.bluefog.collectives.SquaredDistance;
import io.bluefog.comm.ReduceOp;
import io.bluefog.examples.bench.MemoryBandwidth;
import io.bluefog.examples.cli.JsonLines;
import io.bluefog.examples.cli.TransportOptions;
import io.bluefog.topology.Stochasticity;
import io.bluefog.topology.TopologyValidation;
import io.bluefog.topology.analysis.Spectral;
import io.bluefog.topology.catalog.CatalogParameters;
import io.bluefog.topology.catalog.TopologyCatalog;
import io.bluefog.topology.catalog.TopologyName;
import io.bluefog.topology.dynamic.DynamicTopology;
import java.io.PrintStream;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.lang.ref.WeakReference;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Average consensus, as BlueFog's {@code pytorch_average_consensus.py}: every rank starts from a
 * random vector x_i and repeats {@code x_i <- neighborAllreduce(x_i)}; rank 0 prints the relative
 * error {@code sqrt((1/n) sum_i |x_i - xbar|^2) / |xbar|} per iteration, where xbar is the true
 * average (computed once with allreduce). With a static topology the error decays like rho^k
 * (rho printed alongside); the one-peer exponential schedule ({@code --dynamic}) reaches the exact
 * average in log2 n iterations when n is a power of 2.
 *
 * <pre>
 * mpi-launch/bfrun -np 8 consensus --topology exponential --dynamic --iterations 5
 * java -cp ... io.bluefog.examples.consensus.AverageConsensus --transport local --ranks 8 --topology ring
 * </pre>
 */
@Command(name = "consensus", mixinStandardHelpOptions = true,
        description = "Average consensus by repeated neighborAllreduce; rank 0 prints the relative error per iteration.")
public final class AverageConsensus implements Callable<Integer> {
    @Option(names = "--topology", defaultValue = "exponential", converter = TopologyName.Converter.class,
            completionCandidates = TopologyName.Candidates.class,
            description = "a name of the topology catalogue: ${COMPLETION-CANDIDATES} (full is short for fully-connected;"
                    + " one-peer-exponential = exponential --dynamic) (default: ${DEFAULT-VALUE})")
    TopologyName topology;

    @Option(names = "--dynamic", description = "use the topology's one-peer schedule (one-peer exponential for exponential)")
    boolean dynamic;

    @Option(names = "--iterations", defaultValue = "20", description = "number of neighborAllreduce steps (default: ${DEFAULT-VALUE})")
    int iterations;

    @Option(names = "--size", defaultValue = "1000", description = "vector length d per rank (default: ${DEFAULT-VALUE})")
    int size;

    /** Values of {@code --dtype}. */
    enum Dtype {
        FLOAT32(DataType.FLOAT), FLOAT64(DataType.DOUBLE);

        final DataType nd4j;

        Dtype(DataType nd4j) {
            this.nd4j = nd4j;
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    @Option(names = "--dtype", defaultValue = "float32", description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
    Dtype dtype;

    @Option(names = "--seed", defaultValue = "1", description = "random seed; rank r uses seed + r (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--json", description = "print one JSON object instead of a table")
    boolean json;

    @Mixin
    TransportOptions where = new TransportOptions(4);

    private final PrintStream out;

    public AverageConsensus() {
        this(System.out);
    }

    AverageConsensus(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new AverageConsensus()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (iterations < 0) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--iterations must be >= 0, got " + iterations);
        }
        if (size < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--size must be >= 1, got " + size);
        }
        where.call(bf -> {
            run(bf);
            return null;
        });
        return 0;
    }

    /** @return true with --dynamic or a dynamic --topology such as one-peer-exponential */
    private boolean isDynamic() {
        return dynamic || topology.isDynamic();
    }

    /**
     * @return {@link #schedule(int)}, checked to be doubly stochastic (average consensus keeps the
     *         average only then)
     * @throws IllegalArgumentException naming the iteration, rank and sum that fail
     */
    DynamicTopology validatedSchedule(int n) {
        DynamicTopology schedule = schedule(n);
        TopologyValidation.requireValid(schedule, n, Stochasticity.DOUBLY);
        return schedule;
    }

    /** @return the schedule of every iteration: the static graph, or its one-peer schedule when dynamic */
    private DynamicTopology schedule(int n) {
        return isDynamic() ? TopologyCatalog.onePeerSchedule(topology, n, CatalogParameters.DEFAULTS)
                : TopologyCatalog.schedule(topology, n);
    }

    /** Runs the consensus on this rank; returns the relative error after each iteration (index 0: start). */
    double[] run(BlueFog bf) {
        int n = bf.size();
        boolean dynamic = isDynamic();
        DynamicTopology schedule = validatedSchedule(n);
        // Only rank 0 prints rho: an eigenvalue problem of n x n per rank would cost O(n^4) in all.
        double rho = dynamic || bf.rank() != 0 ? Double.NaN : Spectral.rho(schedule.at(0));
        DataType dt = dtype.nd4j;
        double[] errors = new double[iterations + 1];
        long elapsed;
        try (Collectives c = Collectives.of(bf)) {
            Nd4j.getRandom().setSeed(seed + bf.rank());
            INDArray x = Nd4j.rand(dt, size);
            INDArray mean = c.allreduce(x);
            double meanNorm = mean.norm2Number().doubleValue();
            ErrorPass error = new ErrorPass(mean, meanNorm, x);
            // Every iteration's local squared distance, averaged over the ranks by ONE allreduce after
            // the loop: element-wise the same rank-order sum and division as one allreduce per
            // iteration (so the same errors bit for bit), without two collective rounds per iteration.
            INDArray squares = Nd4j.zeros(DataType.DOUBLE, iterations + 1);
            DoubleBuffer sq = squares.data().asNio().order(ByteOrder.nativeOrder()).asDoubleBuffer();
            sq.put(0, error.distance.full());
            long start = System.nanoTime(); // the allreduce above brought the ranks together
            Mixing fixed = dynamic ? null : Mixing.of(schedule.at(0)); // a static graph's weights, built once
            for (int k = 0; k < iterations; k++) {
                // The squared distance is summed block by block as the call writes x (on LocalCluster by
                // the threads combining every rank, while each block is in their cache): no second pass.
                error.distance.reset();
                c.neighborAllreduceInPlace(x, fixed != null ? fixed : Mixing.of(schedule.at(k)), error.distance);
                sq.put(k + 1, error.distance.sum());
            }
            c.allreduceInPlace(squares, ReduceOp.AVG);
            elapsed = System.nanoTime() - start; // the allreduce of the errors brought them together again
            for (int k = 0; k <= iterations; k++) {
                errors[k] = error.relative(sq.get(k));
            }
        }
        if (bf.rank() == 0) {
            seconds = elapsed / 1e9;
            combinedBytes = combinedBytes(schedule, n, (long) size * dt.width());
            memcpyBytesPerSecond = MemoryBandwidth.memcpyBytesPerSecond(MEMCPY_BYTES, 5);
            print(n, rho, errors);
        }
        return errors;
    }

    /** Buffer size of the memcpy reference: 64 MiB, beyond the caches. */
    private static final int MEMCPY_BYTES = 64 << 20;
    // Rank 0's measurements, for print.
    private double seconds;
    private double combinedBytes;
    private double memcpyBytesPerSecond;

    /**
     * @return bytes every neighborAllreduce of the run reads in all: for each iteration and rank,
     *         its own vector and each source's, {@code vectorBytes} each
     */
    private double combinedBytes(DynamicTopology schedule, int n, long vectorBytes) {
        double total = 0;
        for (int k = 0; k < iterations; k++) {
            var t = schedule.at(k);
            for (int r = 0; r < n; r++) {
                total += (t.inNeighbors(r).length + 1.0) * vectorBytes;
            }
        }
        return total;
    }

    /**
     * sqrt(mean over ranks of |x_i - xbar|^2) / |xbar| in two steps: {@link #distance} sums this
     * rank's |x_i - xbar|^2 in float64 in its fixed order ({@link SquaredDistance}: four running
     * sums by element index mod 4) straight from x's memory, with no communication, as the
     * neighborAllreduce writes x (or over all of x); the caller averages it over the ranks with an
     * allreduce AVG (the example: one allreduce of every iteration's values after the loop) and
     * {@link #relative} takes the root and divides. xbar is kept in x's dtype (a float32 mean
     * widened to float64 is exact, so this is the distance to the float64 values of the float32
     * mean): nothing as large as x per iteration.
     */
    static final class ErrorPass {
        private final double meanNorm;
        /** Holds the shared copy of the mean while this rank uses it (see {@link SharedMean}). */
        private final SharedMean shared;
        /** |x - xbar|^2 of this rank's iterate x. */
        final SquaredDistance distance;

        /**
         * @param mean     xbar (float32 or float64, flat)
         * @param meanNorm |xbar|
         * @param x        this rank's iterate: mean's dtype and length, contiguous, the same array all run
         */
        ErrorPass(INDArray mean, double meanNorm, INDArray x) {
            boolean f32 = mean.dataType() == DataType.FLOAT;
            this.shared = f32 ? SharedMean.of(floats(mean), null) : SharedMean.of(null, doubles(mean));
            this.meanNorm = meanNorm;
            this.distance = new SquaredDistance(x, shared.array);
        }

        /**
         * @return {@code a}'s elements (a flat float32 array, offset and stride 1 as allreduce returns
         *         it; anything else element by element), copied in bulk: {@code toFloatVector()} reads
         *         one element per call, 25 million calls for 256 ranks of 1e5, mostly before the JIT
         *         has compiled them, while rank 0 already times the first iteration
         */
        static float[] floats(INDArray a) {
            if (a.rank() > 1 || a.isView()) {
                return a.toFloatVector();
            }
            float[] f = new float[Math.toIntExact(a.length())];
            FloatBuffer nio = a.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
            nio.position(Math.toIntExact(a.offset())).get(f);
            return f;
        }

        /** @return {@code a}'s elements as {@link #floats} does, for float64 */
        static double[] doubles(INDArray a) {
            if (a.rank() > 1 || a.isView()) {
                return a.toDoubleVector();
            }
            double[] d = new double[Math.toIntExact(a.length())];
            DoubleBuffer nio = a.data().asNio().order(ByteOrder.nativeOrder()).asDoubleBuffer();
            nio.position(Math.toIntExact(a.offset())).get(d);
            return d;
        }

        /**
         * @param meanSquaredDistance (1/n) sum_i |x_i - xbar|^2 over the ranks
         * @return sqrt(meanSquaredDistance) / |xbar|
         */
        double relative(double meanSquaredDistance) {
            return Math.sqrt(meanSquaredDistance) / meanNorm;
        }
    }

    /**
     * One copy of a mean vector for every rank of this JVM whose mean has exactly the same
     * elements: the ranks of a LocalCluster simulation (each computed the same allreduce result)
     * then read one array that stays in cache instead of n copies of it, which halves the memory
     * traffic of the error computation. Equal contents, so the errors are the same bit for bit;
     * MPI ranks (one per process) each keep their own. Held weakly: gone once no rank uses it.
     */
    static final class SharedMean {
        private static final Map<SharedMean, WeakReference<SharedMean>> BY_CONTENT = new WeakHashMap<>();
        final float[] floats;
        final double[] doubles;
        /** The same elements as an array, made on first use by a rank (see {@link #of}). */
        INDArray array;
        private final int hash;

        private SharedMean(float[] floats, double[] doubles) {
            this.floats = floats;
            this.doubles = doubles;
            this.hash = floats != null ? Arrays.hashCode(floats) : Arrays.hashCode(doubles);
        }

        /** @return the shared copy equal to {@code floats} (or {@code doubles}; one of them null), made from it if none */
        static SharedMean of(float[] floats, double[] doubles) {
            SharedMean mine = new SharedMean(floats, doubles);
            synchronized (BY_CONTENT) {
                WeakReference<SharedMean> ref = BY_CONTENT.get(mine);
                SharedMean known = ref != null ? ref.get() : null;
                if (known != null) {
                    return known;
                }
                mine.array = floats != null ? Nd4j.createFromArray(floats) : Nd4j.createFromArray(doubles);
                BY_CONTENT.put(mine, new WeakReference<>(mine));
                return mine;
            }
        }

        @Override
        public boolean equals(Object o) {
            // Bitwise (Arrays.equals on float[] compares floatToIntBits): equal means identical errors.
            return o instanceof SharedMean m && hash == m.hash && Arrays.equals(floats, m.floats)
                    && Arrays.equals(doubles, m.doubles);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    private void print(int n, double rho, double[] errors) {
        boolean dynamic = isDynamic();
        String topology = this.topology.id();
        String name = dynamic ? schedule(n).toString() : topology;
        if (json) {
            out.println(JsonLines.object(g -> {
                g.writeStringField("topology", topology);
                g.writeBooleanField("dynamic", dynamic);
                g.writeNumberField("ranks", n);
                g.writeNumberField("size", size);
                g.writeStringField("dtype", dtype.toString());
                JsonLines.number(g, "rho", rho);
                g.writeNumberField("seconds", seconds);
                g.writeNumberField("combined_bytes_per_second", combinedBytes / seconds);
                g.writeNumberField("memcpy_bytes_per_second", memcpyBytesPerSecond);
                g.writeArrayFieldStart("relative_error");
                for (double e : errors) {
                    g.writeNumber(e);
                }
                g.writeEndArray();
            }));
            return;
        }
        out.printf(Locale.ROOT, "# average consensus: %s%s, %d ranks, d = %d %s%s%n", name, dynamic ? " (dynamic)" : "", n,
                size, dtype, Double.isNaN(rho) ? "" : String.format(Locale.ROOT, ", rho = %.6f", rho));
        out.println(Double.isNaN(rho) ? "iteration  relative_error" : "iteration  relative_error  rho^k");
        for (int k = 0; k < errors.length; k++) {
            if (Double.isNaN(rho)) {
                out.printf(Locale.ROOT, "%9d  %14.6e%n", k, errors[k]);
            } else {
                out.printf(Locale.ROOT, "%9d  %14.6e  %.6e%n", k, errors[k], Math.pow(rho, k));
            }
        }
        double rate = combinedBytes / seconds;
        out.printf(Locale.ROOT, "# %d iterations in %.3f s (%.3f ms each, error computation included): combined reads"
                + " %.2f GB/s (own and sources' vectors), single-thread memcpy %.2f GB/s in the same run: %.0f%%%n",
                iterations, seconds, seconds * 1e3 / Math.max(1, iterations), rate / 1e9, memcpyBytesPerSecond / 1e9,
                100 * rate / memcpyBytesPerSecond);
        out.flush();
    }
}
