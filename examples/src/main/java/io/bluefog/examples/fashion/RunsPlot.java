package io.bluefog.examples.fashion;

import io.bluefog.optimizers.dl4j.Checkpoints;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * What the tools that draw several fashion-mnist runs in one picture ({@link TrainingLossPlot},
 * {@link BytesAccuracyPlot}, {@link LossTrace}) share: their {@code LABEL=DIR} arguments, one XChart
 * line per run, and writing the PNG atomically (temporary file and rename, as {@link MetricsWriter}
 * does), so that a reader never sees a cut picture. Each tool keeps its own reader of its input file.
 */
final class RunsPlot {
    private RunsPlot() {
    }

    /** One line of the picture: its legend label and its points. */
    record Series(String label, double[] x, double[] y) {
    }

    /** One {@code LABEL=DIR} argument. */
    record LabelledDir(String label, Path dir) {
    }

    /**
     * Parses {@code LABEL=DIR} arguments. The split is at the last {@code '='}, so a label may itself
     * contain one (e.g. {@code "diloco H=4=runs/h4"}); a directory name may not.
     *
     * @throws IllegalArgumentException naming the argument if it has no {@code '='} with text on both sides
     */
    static List<LabelledDir> labelledDirs(List<String> args) {
        List<LabelledDir> out = new ArrayList<>();
        for (String a : args) {
            int eq = a.lastIndexOf('=');
            if (eq <= 0 || eq == a.length() - 1) {
                throw new IllegalArgumentException("expected LABEL=DIR, got '" + a + "'");
            }
            out.add(new LabelledDir(a.substring(0, eq), Path.of(a.substring(eq + 1))));
        }
        return out;
    }

    /** @return an empty chart of the tools' common size, rendered headless */
    static XYChart chart(String title, String xAxis, String yAxis) {
        System.setProperty("java.awt.headless", "true");
        return new XYChartBuilder().width(1000).height(600).title(title).xAxisTitle(xAxis).yAxisTitle(yAxis).build();
    }

    /** Adds every series as a line; with {@code markers}, a circle at each point. */
    static void addAll(XYChart chart, List<Series> series, boolean markers) {
        for (Series s : series) {
            XYSeries line = chart.addSeries(s.label(), s.x(), s.y());
            line.setMarker(markers ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
        }
    }

    /** @return {@code png} with ".png" appended if its name lacks it */
    static Path withPngSuffix(Path png) {
        return png.getFileName().toString().endsWith(".png") ? png : png.resolveSibling(png.getFileName() + ".png");
    }

    /** Writes the chart as a PNG to {@code png} (".png" appended if missing), atomically. */
    static void save(XYChart chart, Path png) {
        Path target = withPngSuffix(png);
        try {
            Checkpoints.writeAtomically(target, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        }
    }
}
