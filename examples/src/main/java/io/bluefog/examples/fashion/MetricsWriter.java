package io.bluefog.examples.fashion;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import io.bluefog.examples.cli.JsonLines;
import io.bluefog.optimizers.dl4j.EpochMetrics;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import io.bluefog.optimizers.dl4j.Checkpoints;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Locale;
import java.util.Properties;
import java.util.Map;

/**
 * Writes a run's per-epoch metrics as {@code metrics.csv}, {@code metrics.json} (run settings plus
 * the epochs, written with Jackson) and {@code metrics.png} (test accuracy of the averaged and of rank 0's model and the
 * training loss against the epoch, drawn with XChart), and marks the directory with the run that
 * writes it ({@value #RUN}: command line, start time, host, process id and status {@code running},
 * {@code finished} or {@code failed: <reason>}).
 *
 * <p>Every file is written atomically ({@link Checkpoints#writeAtomically}: temporary file, fsync,
 * rename), so a crash leaves the previous complete file, never a truncated one (a crash used to
 * leave {@code metrics.png} empty).
 */
public final class MetricsWriter {
    public static final String CSV = "metrics.csv";
    public static final String JSON = "metrics.json";
    public static final String PNG = "metrics.png";
    /** The run marker: who writes this directory, since when, and how it ended. */
    public static final String RUN = "run.properties";
    /** Suffix a previous run's metrics files get when a new run starts in the same directory. */
    public static final String PREVIOUS = ".previous";
    private static final JsonFactory JSON_FACTORY = new JsonFactory();
    static final String CSV_HEADER = "epoch,train_loss,test_accuracy_averaged,test_accuracy_rank0,test_accuracy_mean_local,"
            + "consensus_distance,samples_per_second,communication_share,exchange_share,wait_share,overlapped,train_seconds,iterations,bytes_sent_per_step";

    private MetricsWriter() {
    }

    /** Writes the three files into {@code dir} (created if needed). */
    public static void write(Path dir, Map<String, String> settings, List<EpochMetrics> epochs) {
        try {
            Files.createDirectories(dir);
            StringBuilder csv = new StringBuilder(CSV_HEADER).append('\n');
            for (EpochMetrics m : epochs) {
                csv.append(String.format(Locale.ROOT, "%d,%.6f,%.4f,%.4f,%.4f,%.6e,%.1f,%.4f,%.4f,%.4f,%b,%.2f,%d,%.1f%n",
                        m.epoch(), m.trainLoss(), m.averagedAccuracy(), m.localAccuracy(), m.meanLocalAccuracy(),
                        m.consensusDistance(), m.samplesPerSecond(), m.communicationShare(), m.exchangeShare(),
                        m.waitShare(), m.overlapped(), m.trainSeconds(), m.iterations(), m.bytesSentPerStep()));
            }
            Checkpoints.writeAtomically(dir.resolve(CSV), csv.toString().getBytes(StandardCharsets.UTF_8));
            Checkpoints.writeAtomically(dir.resolve(JSON), json(settings, epochs).getBytes(StandardCharsets.UTF_8));
            Checkpoints.writeAtomically(dir.resolve(PNG), plot(settings, epochs));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write metrics to " + dir, e);
        }
    }

    /**
     * @return {@code {"settings": {name: value, ...}, "epochs": [{"epoch": 1, ...}, ...]}}, pretty-printed
     *         by Jackson; a non-finite number is written as {@code null}
     */
    static String json(Map<String, String> settings, List<EpochMetrics> epochs) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = JSON_FACTORY.createGenerator(out)) {
            g.setPrettyPrinter(new DefaultPrettyPrinter().withSeparators(
                    Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER)));
            g.writeStartObject();
            g.writeObjectFieldStart("settings");
            for (Map.Entry<String, String> e : settings.entrySet()) {
                g.writeStringField(e.getKey(), e.getValue());
            }
            g.writeEndObject();
            g.writeArrayFieldStart("epochs");
            for (EpochMetrics m : epochs) {
                g.writeStartObject();
                g.writeNumberField("epoch", m.epoch());
                JsonLines.number(g, "train_loss", m.trainLoss());
                JsonLines.number(g, "test_accuracy_averaged", m.averagedAccuracy());
                JsonLines.number(g, "test_accuracy_rank0", m.localAccuracy());
                JsonLines.number(g, "test_accuracy_mean_local", m.meanLocalAccuracy());
                JsonLines.number(g, "consensus_distance", m.consensusDistance());
                JsonLines.number(g, "samples_per_second", m.samplesPerSecond());
                JsonLines.number(g, "communication_share", m.communicationShare());
                JsonLines.number(g, "exchange_share", m.exchangeShare());
                JsonLines.number(g, "wait_share", m.waitShare());
                g.writeBooleanField("overlapped", m.overlapped());
                JsonLines.number(g, "train_seconds", m.trainSeconds());
                g.writeNumberField("iterations", m.iterations());
                JsonLines.number(g, "bytes_sent_per_step", m.bytesSentPerStep());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write metrics JSON", e);
        }
        return out.append('\n').toString();
    }

    /**
     * Starts a run in {@code dir}: renames a previous run's metrics files to {@code <name>.previous}
     * (so that they cannot pass for this run's) and writes {@value #RUN} with status {@code running}.
     */
    public static void startRun(Path dir, String commandLine, Instant started) throws IOException {
        Files.createDirectories(dir);
        for (String name : List.of(CSV, JSON, PNG)) {
            Path old = dir.resolve(name);
            if (Files.exists(old)) {
                Files.move(old, dir.resolve(name + PREVIOUS), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        markRun(dir, commandLine, started, "running");
    }

    /** Rewrites {@value #RUN} with {@code status} (and the time it was set). */
    public static void markRun(Path dir, String commandLine, Instant started, String status) throws IOException {
        Properties p = new Properties();
        p.setProperty("command", commandLine);
        p.setProperty("started", started.toString());
        p.setProperty("host", hostName());
        p.setProperty("pid", Long.toString(ProcessHandle.current().pid()));
        p.setProperty("status", status);
        p.setProperty("status_time", Instant.now().toString());
        StringWriter w = new StringWriter();
        p.store(w, "bluefog-jvm fashion-mnist run");
        Checkpoints.writeAtomically(dir.resolve(RUN), w.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static byte[] plot(Map<String, String> settings, List<EpochMetrics> epochs) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int k = epochs.size();
        double[] x = new double[k];
        double[] avg = new double[k];
        double[] own = new double[k];
        double[] loss = new double[k];
        for (int i = 0; i < k; i++) {
            EpochMetrics m = epochs.get(i);
            x[i] = m.epoch();
            avg[i] = m.averagedAccuracy();
            own[i] = m.localAccuracy();
            loss[i] = m.trainLoss();
        }
        XYChart chart = new XYChartBuilder().width(900).height(540)
                .title("Fashion-MNIST " + settings.getOrDefault("model", "") + ", " + settings.getOrDefault("optimizer", "")
                        + " on " + settings.getOrDefault("topology", "") + ", " + settings.getOrDefault("ranks", "") + " ranks")
                .xAxisTitle("epoch").yAxisTitle("test accuracy").build();
        chart.addSeries("test accuracy, averaged model", x, avg);
        chart.addSeries("test accuracy, rank 0's model", x, own);
        XYSeries l = chart.addSeries("train loss", x, loss);
        l.setYAxisGroup(1);
        chart.setYAxisGroupTitle(1, "train loss");
        chart.getStyler().setYAxisGroupPosition(1, org.knowm.xchart.style.Styler.YAxisPosition.Right);
        return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    }
}
