package io.bluefog.examples.bench;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.bluefog.collectives.Collectives;
import io.bluefog.collectives.Mixing;
import io.bluefog.local.LocalCluster;
import io.bluefog.optimizers.dl4j.Checkpoints;
import io.bluefog.topology.Topology;
import io.bluefog.topology.catalog.TopologyCatalog;
import io.bluefog.topology.catalog.TopologyName;
import io.bluefog.topology.dynamic.DynamicTopology;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * How one gossip step scales with the number of ranks n, on the in-JVM simulator
 * ({@link LocalCluster}: n ranks as threads of this JVM): for every n of {@code --ranks} it runs
 * {@code --iterations} in-place neighborAllreduce steps of {@code --size} float32 elements per
 * rank on the ring, the static exponential graph and the one-peer exponential schedule, and the
 * same number of in-place allreduce (average) steps, and reports per step:
 * <ul>
 *   <li>{@code seconds_per_iteration}: measured wall time of one step of the whole n-rank job on
 *       this machine (all ranks share its cores, so it grows at least like n);</li>
 *   <li>{@code bytes_per_rank}: bytes the busiest rank receives per step on a network, counted
 *       from the plan: d_max x size x 4 for neighborAllreduce (d_max: the largest in-degree), and
 *       2 (n - 1) / n x size x 4 for allreduce by the ring algorithm (Patarasuk and Yuan 2009, as
 *       Open MPI and NCCL run it for large messages);</li>
 *   <li>{@code messages_per_rank}: sequential message steps per rank per step: d_max for
 *       neighborAllreduce, 2 (n - 1) for the ring allreduce.</li>
 * </ul>
 * The lecture's claim (Yuan and others, BlueFog: partial averaging costs Omega(d_max) per rank,
 * global averaging Omega(n)) shows in the last two columns: d_max stays 2 (ring), log2 n
 * (exponential) or 1 (one-peer exponential) while the ring allreduce needs 2 (n - 1) steps. The
 * simulator's own allreduce is a shared-memory reduction without message steps, so its measured
 * time does not show the latency term; the neighborAllreduce rows measure the simulator's
 * memory-speed path.
 *
 * <p>Writes {@code scaling.json} and {@code scaling.png} (three panels: measured time, bytes and
 * messages per rank, log-log) into {@code --out}, each atomically, and prints a table.
 *
 * <pre>
 * mpi-launch/bfrun -np 1 scaling-bench --out /tmp/scaling
 * </pre>
 */
@Command(name = "scaling-bench", mixinStandardHelpOptions = true,
        description = "Simulated neighborAllreduce (ring, exponential, one-peer exponential) and allreduce for n ="
                + " 4..256 ranks: time per iteration, bytes and messages per rank; writes scaling.json and scaling.png.")
public final class ScalingBenchmark implements Callable<Integer> {
    /** The cases of one n, in the order of the table and the plot. */
    static final List<String> CASES = List.of("ring", "exponential", "one-peer-exponential", "allreduce");

    @Option(names = "--ranks", split = ",", defaultValue = "4,8,16,32,64,128,256",
            description = "numbers of ranks n, comma-separated (default: ${DEFAULT-VALUE})")
    List<Integer> ranks;

    @Option(names = "--size", defaultValue = "100000", description = "float32 elements per rank (default: ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--iterations", defaultValue = "20", description = "timed steps per case (default: ${DEFAULT-VALUE})")
    int iterations;

    @Option(names = "--warmup", defaultValue = "3", description = "untimed steps before them (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--out", defaultValue = "scaling-bench", description = "directory for scaling.json and scaling.png"
            + " (default: ${DEFAULT-VALUE})")
    Path out;

    private final PrintStream stdout;

    public ScalingBenchmark() {
        this(System.out);
    }

    ScalingBenchmark(PrintStream stdout) {
        this.stdout = stdout;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new ScalingBenchmark()).execute(args));
    }

    /** One measured case: n ranks, which operation, and the three reported quantities. */
    record Row(int ranks, String operation, double secondsPerIteration, double bytesPerRank, double messagesPerRank) {
    }

    @Override
    public Integer call() throws Exception {
        CommandLine cl = new CommandLine(this);
        if (size < 1 || iterations < 1 || warmup < 0) {
            throw new CommandLine.ParameterException(cl, "--size and --iterations must be >= 1 and --warmup >= 0, got "
                    + size + ", " + iterations + ", " + warmup);
        }
        for (int n : ranks) {
            if (n < 2 || n > 4096) {
                throw new CommandLine.ParameterException(cl, "--ranks must be in 2..4096, got " + n);
            }
        }
        Files.createDirectories(out);
        List<Row> rows = new ArrayList<>();
        stdout.printf(Locale.ROOT, "# scaling-bench: %d float32 per rank, %d timed steps (%d warm-up) per case, on %d cores%n",
                size, iterations, warmup, Runtime.getRuntime().availableProcessors());
        stdout.printf(Locale.ROOT, "%6s  %-22s  %14s  %14s  %10s%n", "ranks", "operation", "ms/iteration",
                "bytes/rank", "msgs/rank");
        for (int n : ranks) {
            for (String op : CASES) {
                Row row = measure(n, op);
                rows.add(row);
                stdout.printf(Locale.ROOT, "%6d  %-22s  %14.3f  %14.0f  %10.1f%n", n, op, row.secondsPerIteration() * 1e3,
                        row.bytesPerRank(), row.messagesPerRank());
                stdout.flush();
            }
        }
        Checkpoints.writeAtomically(out.resolve("scaling.json"), json(rows));
        Checkpoints.writeAtomically(out.resolve("scaling.png"), png(rows));
        stdout.println("# wrote " + out.resolve("scaling.json") + " and " + out.resolve("scaling.png"));
        return 0;
    }

    /** @return the schedule of a neighborAllreduce case */
    static DynamicTopology schedule(String op, int n) {
        return switch (op) {
            case "ring" -> TopologyCatalog.schedule(TopologyName.RING, n);
            case "exponential" -> TopologyCatalog.schedule(TopologyName.EXPONENTIAL, n);
            case "one-peer-exponential" -> TopologyCatalog.schedule(TopologyName.ONE_PEER_EXPONENTIAL, n);
            default -> throw new IllegalArgumentException("not a neighborAllreduce case: " + op);
        };
    }

    /** @return the largest in-degree of the schedule, averaged over the timed iterations */
    static double maxInDegree(DynamicTopology s, int from, int count) {
        double total = 0;
        for (int k = from; k < from + count; k++) {
            Topology t = s.at(k);
            int max = 0;
            for (int r = 0; r < t.size(); r++) {
                max = Math.max(max, t.inNeighbors(r).length);
            }
            total += max;
        }
        return total / count;
    }

    private Row measure(int n, String op) {
        boolean allreduce = op.equals("allreduce");
        DynamicTopology s = allreduce ? null : schedule(op, n);
        int steps = warmup + iterations;
        List<Long> elapsed = LocalCluster.call(n, bf -> {
            try (Collectives c = Collectives.of(bf)) {
                Nd4j.getRandom().setSeed(1 + bf.rank());
                INDArray x = Nd4j.rand(DataType.FLOAT, size);
                long start = 0;
                for (int k = 0; k < steps; k++) {
                    if (k == warmup) {
                        c.barrier();
                        start = System.nanoTime();
                    }
                    if (allreduce) {
                        c.allreduceInPlace(x);
                    } else {
                        c.neighborAllreduceInPlace(x, Mixing.of(s.at(k)));
                    }
                }
                c.barrier();
                return System.nanoTime() - start;
            }
        });
        double seconds = elapsed.get(0) / 1e9 / iterations;
        double bytes = 4.0 * size;
        if (allreduce) {
            return new Row(n, op, seconds, 2.0 * (n - 1) / n * bytes, 2.0 * (n - 1));
        }
        double dMax = maxInDegree(s, warmup, iterations);
        return new Row(n, op, seconds, dMax * bytes, dMax);
    }

    private byte[] json(List<Row> rows) throws java.io.IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JsonGenerator g = new JsonFactory().createGenerator(bytes, JsonEncoding.UTF8)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeNumberField("size", size);
            g.writeStringField("dtype", "float32");
            g.writeNumberField("iterations", iterations);
            g.writeNumberField("warmup", warmup);
            g.writeNumberField("cores", Runtime.getRuntime().availableProcessors());
            g.writeArrayFieldStart("rows");
            for (Row r : rows) {
                g.writeStartObject();
                g.writeNumberField("ranks", r.ranks());
                g.writeStringField("operation", r.operation());
                g.writeNumberField("seconds_per_iteration", r.secondsPerIteration());
                g.writeNumberField("bytes_per_rank", r.bytesPerRank());
                g.writeNumberField("messages_per_rank", r.messagesPerRank());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        return bytes.toByteArray();
    }

    /** Three log-log panels side by side in one PNG. */
    private byte[] png(List<Row> rows) throws java.io.IOException {
        // Short titles: a panel is 600 px wide and XChart cuts a longer title on both sides.
        XYChart time = chart("time per step, measured (" + Runtime.getRuntime().availableProcessors()
                + " cores)", "seconds", rows, Row::secondsPerIteration, "allreduce (simulator: shared-memory reduction)");
        XYChart bytes = chart("bytes received per rank per step", "bytes", rows, Row::bytesPerRank,
                "allreduce (ring algorithm)");
        XYChart messages = chart("message steps per rank per step", "messages", rows, Row::messagesPerRank,
                "allreduce (ring algorithm)");
        List<BufferedImage> panels = List.of(BitmapEncoder.getBufferedImage(time), BitmapEncoder.getBufferedImage(bytes),
                BitmapEncoder.getBufferedImage(messages));
        int w = 0;
        int h = 0;
        for (BufferedImage p : panels) {
            w += p.getWidth();
            h = Math.max(h, p.getHeight());
        }
        BufferedImage all = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = all.createGraphics();
        int x = 0;
        for (BufferedImage p : panels) {
            g.drawImage(p, x, 0, null);
            x += p.getWidth();
        }
        g.dispose();
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(all, "png", png);
        return png.toByteArray();
    }

    private XYChart chart(String title, String yTitle, List<Row> rows, java.util.function.ToDoubleFunction<Row> y,
            String allreduceLabel) {
        XYChart chart = new XYChartBuilder().width(600).height(450).title(title).xAxisTitle("ranks n")
                .yAxisTitle(yTitle).build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmic(true);
        Map<String, List<Row>> byCase = new LinkedHashMap<>();
        for (String c : CASES) {
            byCase.put(c, new ArrayList<>());
        }
        for (Row r : rows) {
            byCase.get(r.operation()).add(r);
        }
        for (Map.Entry<String, List<Row>> e : byCase.entrySet()) {
            if (e.getValue().isEmpty()) {
                continue;
            }
            double[] xs = e.getValue().stream().mapToDouble(Row::ranks).toArray();
            double[] ys = e.getValue().stream().mapToDouble(y).toArray();
            chart.addSeries(e.getKey().equals("allreduce") ? allreduceLabel : e.getKey(), xs, ys)
                    .setMarker(SeriesMarkers.CIRCLE);
        }
        return chart;
    }
}
