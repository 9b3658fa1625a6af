package io.bluefog.examples.fashion;

import io.bluefog.optimizers.dl4j.EpochMetrics;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a run's per-epoch metrics as {@code metrics.csv}, {@code metrics.json} (run settings plus
 * the epochs) and {@code metrics.png} (test accuracy of the averaged and of rank 0's model and the
 * training loss against the epoch, drawn with XChart).
 */
public final class MetricsWriter {
    public static final String CSV = "metrics.csv";
    public static final String JSON = "metrics.json";
    public static final String PNG = "metrics.png";
    static final String CSV_HEADER = "epoch,train_loss,test_accuracy_averaged,test_accuracy_rank0,test_accuracy_mean_local,"
            + "consensus_distance,samples_per_second,communication_share,exchange_share,wait_share,overlapped,train_seconds,iterations";

    private MetricsWriter() {
    }

    /** Writes the three files into {@code dir} (created if needed). */
    public static void write(Path dir, Map<String, String> settings, List<EpochMetrics> epochs) {
        try {
            Files.createDirectories(dir);
            StringBuilder csv = new StringBuilder(CSV_HEADER).append('\n');
            for (EpochMetrics m : epochs) {
                csv.append(String.format(Locale.ROOT, "%d,%.6f,%.4f,%.4f,%.4f,%.6e,%.1f,%.4f,%.4f,%.4f,%b,%.2f,%d%n",
                        m.epoch(), m.trainLoss(), m.averagedAccuracy(), m.localAccuracy(), m.meanLocalAccuracy(),
                        m.consensusDistance(), m.samplesPerSecond(), m.communicationShare(), m.exchangeShare(),
                        m.waitShare(), m.overlapped(), m.trainSeconds(), m.iterations()));
            }
            Files.writeString(dir.resolve(CSV), csv);
            Files.writeString(dir.resolve(JSON), json(settings, epochs));
            plot(dir.resolve(PNG), settings, epochs);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write metrics to " + dir, e);
        }
    }

    static String json(Map<String, String> settings, List<EpochMetrics> epochs) {
        StringBuilder j = new StringBuilder("{\n  \"settings\": {");
        boolean first = true;
        for (Map.Entry<String, String> e : settings.entrySet()) {
            j.append(first ? "\n" : ",\n").append("    ").append(quote(e.getKey())).append(": ").append(quote(e.getValue()));
            first = false;
        }
        j.append("\n  },\n  \"epochs\": [");
        for (int i = 0; i < epochs.size(); i++) {
            EpochMetrics m = epochs.get(i);
            j.append(i == 0 ? "\n" : ",\n").append(String.format(Locale.ROOT,
                    "    {\"epoch\": %d, \"train_loss\": %s, \"test_accuracy_averaged\": %s, \"test_accuracy_rank0\": %s, "
                            + "\"test_accuracy_mean_local\": %s, \"consensus_distance\": %s, \"samples_per_second\": %s, "
                            + "\"communication_share\": %s, \"exchange_share\": %s, \"wait_share\": %s, \"overlapped\": %b, "
                            + "\"train_seconds\": %s, \"iterations\": %d}",
                    m.epoch(), num(m.trainLoss()), num(m.averagedAccuracy()), num(m.localAccuracy()),
                    num(m.meanLocalAccuracy()), num(m.consensusDistance()), num(m.samplesPerSecond()),
                    num(m.communicationShare()), num(m.exchangeShare()), num(m.waitShare()), m.overlapped(), num(m.trainSeconds()),
                    m.iterations()));
        }
        return j.append("\n  ]\n}\n").toString();
    }

    private static String num(double v) {
        return Double.isFinite(v) ? Double.toString(v) : "null";
    }

    private static String quote(String s) {
        StringBuilder q = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                q.append('\\').append(c);
            } else if (c < 0x20) {
                q.append(String.format("\\u%04x", (int) c));
            } else {
                q.append(c);
            }
        }
        return q.append('"').toString();
    }

    private static void plot(Path png, Map<String, String> settings, List<EpochMetrics> epochs) throws IOException {
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
        String name = png.getFileName().toString();
        BitmapEncoder.saveBitmap(chart, png.resolveSibling(name.substring(0, name.length() - 4)).toString(),
                BitmapEncoder.BitmapFormat.PNG);
    }
}
