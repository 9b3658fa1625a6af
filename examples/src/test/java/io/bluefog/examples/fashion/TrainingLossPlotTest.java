package io.bluefog.examples.fashion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.optimizers.dl4j.EpochMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingLossPlotTest {
    @TempDir
    Path tmp;

    private static EpochMetrics epoch(int e, double loss) {
        return new EpochMetrics(e, loss, 0.8, 0.8, 0.8, 1e-3, 100, 0.1, 0.05, 0.05, false, 1.0, 8, 1000);
    }

    @Test
    void readsTheLossPerEpochOfMetricsCsvAndDrawsOnePng() throws Exception {
        Path lars = tmp.resolve("lars");
        Path clars = tmp.resolve("clars");
        MetricsWriter.write(lars, Map.of("optimizer", "atc"), List.of(epoch(1, 1.5), epoch(2, 0.75), epoch(3, 0.625)));
        MetricsWriter.write(clars, Map.of("optimizer", "atc"), List.of(epoch(1, 1.25), epoch(2, 0.5)));
        TrainingLossPlot.Run run = TrainingLossPlot.read("clars", Files.readString(clars.resolve(MetricsWriter.CSV)));
        assertEquals("clars", run.label());
        assertArrayEquals(new double[] {1, 2}, run.epochs(), 0.0);
        assertArrayEquals(new double[] {1.25, 0.5}, run.loss(), 1e-6);
        Path png = tmp.resolve("fig13.png");
        TrainingLossPlot.plot(png, "t", List.of(
                TrainingLossPlot.read("lars", Files.readString(lars.resolve(MetricsWriter.CSV))), run));
        byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(png), 4);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, head);
    }

    @Test
    void aCsvWithoutTheColumnsOrRowsIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainingLossPlot.read("x", "epoch,accuracy\n1,0.5\n"));
        assertTrue(e.getMessage().contains("train_loss"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TrainingLossPlot.read("x", "epoch,train_loss\n"));
        assertThrows(IllegalArgumentException.class, () -> TrainingLossPlot.read("x", "epoch,train_loss\n1,abc\n"));
    }
}
