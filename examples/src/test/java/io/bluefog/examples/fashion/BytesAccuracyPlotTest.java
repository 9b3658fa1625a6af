package io.bluefog.examples.fashion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.bluefog.optimizers.dl4j.EpochMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BytesAccuracyPlotTest {
    @TempDir
    Path tmp;

    private static EpochMetrics epoch(int e, double acc, int iterations, double bytesPerStep) {
        return new EpochMetrics(e, 0.5, acc, acc, acc, 1e-3, 100, 0.1, 0.05, 0.05, false, 1.0, iterations, bytesPerStep);
    }

    @Test
    void cumulativeBytesPerRankAndOnePngForSeveralRuns() throws Exception {
        Path a = tmp.resolve("atc");
        Path c = tmp.resolve("choco");
        MetricsWriter.write(a, Map.of("optimizer", "atc"), List.of(epoch(1, 0.8, 10, 1000), epoch(2, 0.85, 10, 1000)));
        MetricsWriter.write(c, Map.of("optimizer", "choco", "compressor", "sign", "consensus_step", "0.5"),
                List.of(epoch(1, 0.7, 10, 30), epoch(2, 0.8, 12, 30)));
        BytesAccuracyPlot.Run run = BytesAccuracyPlot.read(Files.readString(c.resolve(MetricsWriter.JSON)));
        assertEquals("choco sign \u03b3=0.5", run.label());
        assertArrayEquals(new double[] {300, 660}, run.bytes(), 0.0);
        assertArrayEquals(new double[] {0.7, 0.8}, run.accuracy(), 1e-4);
        Path png = tmp.resolve("acc.png");
        BytesAccuracyPlot.plot(png, List.of(a, c));
        byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(png), 4);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, head);
        assertThrows(IllegalArgumentException.class,
                () -> BytesAccuracyPlot.read("{\"settings\": {}, \"epochs\": []}"));
    }
}
