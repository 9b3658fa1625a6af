package io.bluefog.examples.fashion;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import io.bluefog.optimizers.dl4j.Checkpoints;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.XYChart;

/**
 * Training loss against wall-clock training time, per iteration, for the model-parallel modes of
 * {@code fashion-mnist} ({@code --parallelism pipeline|ddg|features-replay}).
 *
 * <p>Recording: the rank that knows the loss (the last stage or module) calls {@link #record} after
 * every iteration; the clock runs only while an epoch trains ({@link #startEpoch} / {@link #endEpoch}),
 * so the between-epoch gathering and test evaluation are not counted. {@link #write} writes
 * {@value #CSV} ({@code seconds,epoch,iteration,loss}: seconds of training since the first iteration
 * began, the 1-based epoch and iteration within it, the batch's mean cross-entropy loss) and
 * overwrites it after every epoch.
 *
 * <p>Plotting: {@code LossTrace OUT.png LABEL=DIR ...} reads {@value #CSV} from each directory and
 * draws, per run, the moving average of the loss over {@value #WINDOW} iterations against seconds
 * (XChart); next to the PNG it writes {@code OUT.json} with the same series (label, seconds,
 * smoothed loss) and the raw points' count and total seconds.
 */
public final class LossTrace {
    /** The file each run writes into its metrics directory. */
    public static final String CSV = "loss-trace.csv";
    /** Moving-average window of the plot, in iterations. */
    static final int WINDOW = 20;

    /** One iteration. */
    record Point(double seconds, int epoch, long iteration, double loss) {
    }

    private final List<Point> points = new ArrayList<>();
    private double before;
    private long epochStart;
    private int epoch;

    /** Starts (or resumes) the training clock for a new epoch. */
    public void startEpoch() {
        epoch++;
        epochStart = System.nanoTime();
    }

    /** Records iteration {@code iteration} (1-based within the epoch) with its loss. */
    public void record(long iteration, double loss) {
        points.add(new Point(before + (System.nanoTime() - epochStart) * 1e-9, epoch, iteration, loss));
    }

    /** Stops the training clock at the end of an epoch. */
    public void endEpoch() {
        before += (System.nanoTime() - epochStart) * 1e-9;
    }

    /** Writes {@value #CSV} into {@code dir} (created if needed). */
    public void write(Path dir) {
        StringBuilder csv = new StringBuilder("seconds,epoch,iteration,loss\n");
        for (Point p : points) {
            csv.append(String.format(Locale.ROOT, "%.4f,%d,%d,%.6f%n", p.seconds(), p.epoch(), p.iteration(), p.loss()));
        }
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(CSV), csv);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(CSV), e);
        }
    }

    /**
     * @return the points of a {@value #CSV} text
     * @throws IllegalArgumentException naming the line if a line does not have four numbers
     */
    static List<Point> read(String csv) {
        List<Point> out = new ArrayList<>();
        String[] lines = csv.split("\n");
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i].trim();
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split(",");
            try {
                if (f.length != 4) {
                    throw new NumberFormatException("4 fields expected");
                }
                out.add(new Point(Double.parseDouble(f[0]), Integer.parseInt(f[1]), Long.parseLong(f[2]), Double.parseDouble(f[3])));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(CSV + " line " + (i + 1) + " is not seconds,epoch,iteration,loss: '" + line + "'");
            }
        }
        return out;
    }

    /**
     * @return the trailing moving average of {@code values} over {@code window} entries (fewer at
     *         the start), summed in index order
     */
    static double[] movingAverage(double[] values, int window) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            int from = Math.max(0, i - window + 1);
            double sum = 0;
            for (int j = from; j <= i; j++) {
                sum += values[j];
            }
            out[i] = sum / (i - from + 1);
        }
        return out;
    }

    /** Draws {@code OUT.png} and writes {@code OUT.json} (both atomically): see the class comment. */
    static void plot(Path png, List<RunsPlot.LabelledDir> runs) throws IOException {
        XYChart chart = RunsPlot.chart(
                "Fashion-MNIST CNN: training loss against training time (moving average over " + WINDOW + " iterations)",
                "training wall-clock seconds", "training loss (cross entropy)");
        Path pngFile = RunsPlot.withPngSuffix(png);
        String name = pngFile.getFileName().toString();
        Path json = pngFile.resolveSibling(name.substring(0, name.length() - 4) + ".json");
        List<RunsPlot.Series> series = new ArrayList<>();
        StringWriter text = new StringWriter();
        try (JsonGenerator g = new JsonFactory().createGenerator(text).setPrettyPrinter(new DefaultPrettyPrinter())) {
            g.writeStartObject();
            g.writeNumberField("moving_average_iterations", WINDOW);
            g.writeArrayFieldStart("runs");
            for (RunsPlot.LabelledDir run : runs) {
                List<Point> pts = read(Files.readString(run.dir().resolve(CSV)));
                if (pts.isEmpty()) {
                    throw new IllegalArgumentException(run.dir().resolve(CSV) + " has no iterations");
                }
                double[] x = pts.stream().mapToDouble(Point::seconds).toArray();
                double[] y = movingAverage(pts.stream().mapToDouble(Point::loss).toArray(), WINDOW);
                series.add(new RunsPlot.Series(run.label(), x, y));
                g.writeStartObject();
                g.writeStringField("label", run.label());
                g.writeStringField("dir", run.dir().toString());
                g.writeNumberField("iterations", pts.size());
                g.writeNumberField("training_seconds", x[x.length - 1]);
                g.writeNumberField("seconds_per_iteration", x[x.length - 1] / pts.size());
                g.writeArrayFieldStart("seconds");
                for (double v : x) {
                    g.writeNumber(v);
                }
                g.writeEndArray();
                g.writeArrayFieldStart("loss_moving_average");
                for (double v : y) {
                    g.writeNumber(v);
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        RunsPlot.addAll(chart, series, false);
        RunsPlot.save(chart, pngFile);
        Checkpoints.writeAtomically(json, text.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** {@code LossTrace OUT.png LABEL=DIR ...}. */
    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: LossTrace OUT.png LABEL=METRICS_DIR ...");
            System.exit(2);
        }
        plot(Path.of(args[0]), RunsPlot.labelledDirs(Arrays.asList(args).subList(1, args.length)));
    }
}
