package io.bluefog.examples.fashion;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.knowm.xchart.XYChart;

/**
 * Training loss against epoch, one series per fashion-mnist run (the thesis's Figure 13 style):
 * {@code TrainingLossPlot OUT.png LABEL=METRICS_DIR...}, each directory holding the run's
 * {@link MetricsWriter#CSV metrics.csv} (columns {@code epoch} and {@code train_loss}: the mean
 * mini-batch loss over the epoch, averaged over the ranks). Drawn by {@link RunsPlot}.
 */
public final class TrainingLossPlot {
    private TrainingLossPlot() {
    }

    /** One run: its label and, per epoch (1-based), the training loss. */
    record Run(String label, double[] epochs, double[] loss) {
    }

    /**
     * @param label the series name
     * @param csv   the text of a fashion-mnist {@code metrics.csv}
     * @return the run's points
     * @throws IllegalArgumentException if the header lacks {@code epoch} or {@code train_loss}, a row has
     *         too few fields or a non-number there, or there are no rows
     */
    static Run read(String label, String csv) {
        List<String> lines = csv.lines().filter(l -> !l.isBlank()).toList();
        if (lines.isEmpty()) {
            throw new IllegalArgumentException(label + ": empty metrics.csv");
        }
        List<String> header = Arrays.asList(lines.get(0).split(","));
        int e = header.indexOf("epoch");
        int l = header.indexOf("train_loss");
        if (e < 0 || l < 0) {
            throw new IllegalArgumentException(label + ": metrics.csv header needs epoch and train_loss, got " + lines.get(0));
        }
        int rows = lines.size() - 1;
        if (rows == 0) {
            throw new IllegalArgumentException(label + ": metrics.csv has no epochs");
        }
        double[] epochs = new double[rows];
        double[] loss = new double[rows];
        for (int i = 0; i < rows; i++) {
            String[] f = lines.get(i + 1).split(",");
            if (f.length <= Math.max(e, l)) {
                throw new IllegalArgumentException(label + ": metrics.csv row " + (i + 1) + " has " + f.length + " fields");
            }
            try {
                epochs[i] = Double.parseDouble(f[e]);
                loss[i] = Double.parseDouble(f[l]);
            } catch (NumberFormatException x) {
                throw new IllegalArgumentException(label + ": metrics.csv row " + (i + 1) + ": " + x.getMessage(), x);
            }
        }
        return new Run(label, epochs, loss);
    }

    /** Writes the PNG of {@code runs} to {@code png} (".png" appended if missing), atomically. */
    static void plot(Path png, String title, List<Run> runs) {
        XYChart chart = RunsPlot.chart(title, "epoch", "training loss (mean over the epoch's mini-batches and the ranks)");
        RunsPlot.addAll(chart, runs.stream().map(r -> new RunsPlot.Series(r.label(), r.epochs(), r.loss())).toList(), true);
        RunsPlot.save(chart, png);
    }

    /** {@code OUT.png LABEL=METRICS_DIR...}; the title is {@code -Dtitle=...} or a default. */
    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: TrainingLossPlot OUT.png LABEL=METRICS_DIR...");
            System.exit(2);
        }
        List<Run> runs = new ArrayList<>();
        for (RunsPlot.LabelledDir d : RunsPlot.labelledDirs(Arrays.asList(args).subList(1, args.length))) {
            runs.add(read(d.label(), Files.readString(d.dir().resolve(MetricsWriter.CSV))));
        }
        plot(Path.of(args[0]), System.getProperty("title", "Fashion-MNIST: training loss"), runs);
    }
}
