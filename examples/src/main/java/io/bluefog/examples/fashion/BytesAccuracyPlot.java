package io.bluefog.examples.fashion;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.XYChart;

/**
 * Test accuracy of the averaged model against the bytes each rank has sent, one series per run:
 * {@code BytesAccuracyPlot OUT.png METRICS_DIR...}, each directory holding a fashion-mnist
 * {@code metrics.json}; a series is labelled with the optimizer and its compressor and consensus
 * step (choco) or period (diloco). The x value after epoch e is the sum over epochs 1..e of
 * {@code bytes_sent_per_step * iterations} (bytes per rank, drawn in MB on a log axis).
 */
public final class BytesAccuracyPlot {
    private BytesAccuracyPlot() {
    }

    /** One run: its label and, per epoch, cumulative bytes per rank and averaged-model test accuracy. */
    record Run(String label, double[] bytes, double[] accuracy) {
    }

    /**
     * @param metricsJson the text of a {@link MetricsWriter#JSON} document
     * @return the run's label (optimizer, and compressor or period) and points
     * @throws IllegalArgumentException if the document has no epochs
     */
    static Run read(String metricsJson) throws IOException {
        Map<String, String> settings = new HashMap<>();
        List<Map<String, Double>> epochs = new ArrayList<>();
        try (JsonParser p = new JsonFactory().createParser(metricsJson)) {
            String section = null;
            Map<String, Double> epoch = null;
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                if (t == JsonToken.FIELD_NAME && p.getParsingContext().getParent().inRoot()) {
                    section = p.currentName();
                } else if (t == JsonToken.START_OBJECT && "epochs".equals(section)) {
                    epoch = new HashMap<>();
                    epochs.add(epoch);
                } else if (t.isScalarValue() && "settings".equals(section)) {
                    settings.put(p.currentName(), p.getText());
                } else if (t.isNumeric() && epoch != null) {
                    epoch.put(p.currentName(), p.getDoubleValue());
                }
            }
        }
        if (epochs.isEmpty()) {
            throw new IllegalArgumentException("metrics JSON without epochs: " + metricsJson);
        }
        String label = settings.getOrDefault("optimizer", "?");
        if (settings.containsKey("compressor")) {
            label += " " + settings.get("compressor");
            if (settings.containsKey("consensus_step")) {
                label += " \u03b3=" + settings.get("consensus_step");
            }
        } else if (label.equals("diloco")) {
            label += " H=" + settings.get("period");
        }
        double[] bytes = new double[epochs.size()];
        double[] acc = new double[epochs.size()];
        double total = 0;
        for (int e = 0; e < epochs.size(); e++) {
            Map<String, Double> m = epochs.get(e);
            total += m.getOrDefault("bytes_sent_per_step", Double.NaN) * m.getOrDefault("iterations", Double.NaN);
            bytes[e] = total;
            acc[e] = m.getOrDefault("test_accuracy_averaged", Double.NaN);
        }
        return new Run(label, bytes, acc);
    }

    /** Writes the PNG of the runs in {@code dirs} to {@code png} (".png" appended if missing), atomically. */
    static void plot(Path png, List<Path> dirs) {
        List<Run> runs = new ArrayList<>();
        for (Path d : dirs) {
            try {
                runs.add(read(java.nio.file.Files.readString(d.resolve(MetricsWriter.JSON))));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + d.resolve(MetricsWriter.JSON), e);
            }
        }
        XYChart chart = RunsPlot.chart("Fashion-MNIST: test accuracy against bytes sent per rank",
                "MB sent per rank (cumulative, log scale)", "test accuracy, averaged model");
        chart.getStyler().setXAxisLogarithmic(true);
        List<RunsPlot.Series> series = new ArrayList<>();
        for (Run r : runs) {
            double[] mb = new double[r.bytes().length];
            for (int i = 0; i < mb.length; i++) {
                mb[i] = r.bytes()[i] / 1e6;
            }
            series.add(new RunsPlot.Series(r.label(), mb, r.accuracy()));
        }
        RunsPlot.addAll(chart, series, true);
        RunsPlot.save(chart, png);
    }

    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: BytesAccuracyPlot OUT.png METRICS_DIR...");
            System.exit(2);
        }
        List<Path> dirs = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            dirs.add(Path.of(args[i]));
        }
        plot(Path.of(args[0]), dirs);
    }
}
