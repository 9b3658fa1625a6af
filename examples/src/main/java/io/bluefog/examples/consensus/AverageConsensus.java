package io.bluefog.examples.consensus;

import io.bluefog.BlueFog;
import io.bluefog.collectives.Collectives;
import io.bluefog.collectives.Mixing;
import io.bluefog.comm.ReduceOp;
import io.bluefog.examples.cli.TransportOptions;
import io.bluefog.topology.Topology;
import io.bluefog.topology.analysis.Spectral;
import io.bluefog.topology.dynamic.DynamicTopology;
import java.io.PrintStream;
import java.util.Locale;
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
    /** The dynamic schedule's own name, as fashion-mnist's --topology takes it: exponential with --dynamic. */
    static final String ONE_PEER_EXPONENTIAL = "one-peer-exponential";

    @Option(names = "--topology", defaultValue = "exponential",
            description = "exponential, one-peer-exponential (= exponential --dynamic), symmetric-exponential, ring, star,"
                    + " mesh, torus, hypercube, fully-connected (or full) (default: ${DEFAULT-VALUE})")
    String topology;

    @Option(names = "--dynamic", description = "use the topology's one-peer schedule (one-peer exponential for exponential)")
    boolean dynamic;

    @Option(names = "--iterations", defaultValue = "20", description = "number of neighborAllreduce steps (default: ${DEFAULT-VALUE})")
    int iterations;

    @Option(names = "--size", defaultValue = "1000", description = "vector length d per rank (default: ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--dtype", defaultValue = "float32", description = "float32 or float64 (default: ${DEFAULT-VALUE})")
    String dtype;

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
        if (!TopologyNames.isName(baseTopology())) {
            throw new CommandLine.ParameterException(new CommandLine(this), "unknown --topology '" + topology
                    + "'; use " + ONE_PEER_EXPONENTIAL + " or one of " + TopologyNames.NAMES);
        }
        if (iterations < 0) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--iterations must be >= 0, got " + iterations);
        }
        if (size < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--size must be >= 1, got " + size);
        }
        if (!dtype.equals("float32") && !dtype.equals("float64")) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--dtype must be float32 or float64, got " + dtype);
        }
        where.call(bf -> {
            run(bf);
            return null;
        });
        return 0;
    }

    /** @return the static graph named by --topology (exponential for one-peer-exponential) */
    private String baseTopology() {
        return topology.equals(ONE_PEER_EXPONENTIAL) ? "exponential" : topology;
    }

    /** @return true with --dynamic or --topology one-peer-exponential */
    private boolean isDynamic() {
        return dynamic || topology.equals(ONE_PEER_EXPONENTIAL);
    }

    /** Runs the consensus on this rank; returns the relative error after each iteration (index 0: start). */
    double[] run(BlueFog bf) {
        int n = bf.size();
        boolean dynamic = isDynamic();
        Topology fixed = TopologyNames.byName(baseTopology(), n);
        DynamicTopology schedule = dynamic ? TopologyNames.dynamic(baseTopology(), n) : null;
        double rho = dynamic ? Double.NaN : Spectral.rho(fixed);
        DataType dt = dtype.equals("float64") ? DataType.DOUBLE : DataType.FLOAT;
        double[] errors = new double[iterations + 1];
        try (Collectives c = Collectives.of(bf)) {
            Nd4j.getRandom().setSeed(seed + bf.rank());
            INDArray x = Nd4j.rand(dt, size);
            INDArray mean = c.allreduce(x);
            double meanNorm = mean.norm2Number().doubleValue();
            errors[0] = relativeError(c, x, mean, meanNorm);
            for (int k = 0; k < iterations; k++) {
                c.neighborAllreduceInPlace(x, Mixing.of(dynamic ? schedule.at(k) : fixed));
                errors[k + 1] = relativeError(c, x, mean, meanNorm);
            }
        }
        if (bf.rank() == 0) {
            print(n, rho, errors);
        }
        return errors;
    }

    private static double relativeError(Collectives c, INDArray x, INDArray mean, double meanNorm) {
        double local = x.castTo(DataType.DOUBLE).sub(mean.castTo(DataType.DOUBLE)).norm2Number().doubleValue();
        INDArray sq = Nd4j.scalar(local * local).reshape(1);
        double total = c.allreduce(sq, ReduceOp.AVG).getDouble(0);
        return Math.sqrt(total) / meanNorm;
    }

    private void print(int n, double rho, double[] errors) {
        boolean dynamic = isDynamic();
        String topology = baseTopology();
        String name = dynamic ? TopologyNames.dynamic(topology, n).toString() : topology;
        if (json) {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "{\"topology\":\"%s\",\"dynamic\":%b,\"ranks\":%d,\"size\":%d,\"dtype\":\"%s\",",
                    topology, dynamic, n, size, dtype));
            sb.append("\"rho\":").append(Double.isNaN(rho) ? "null" : String.format(Locale.ROOT, "%.6g", rho));
            sb.append(",\"relative_error\":[");
            for (int k = 0; k < errors.length; k++) {
                sb.append(k == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.6e", errors[k]));
            }
            out.println(sb.append("]}"));
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
        out.flush();
    }
}
