package io.bluefog.examples.fashion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.optimizers.dl4j.EpochMetrics;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A crash while the job writes its metrics cannot leave a 0-byte or partial {@code metrics.png}
 * (issue 11: a crash left it 0 bytes). A killed process leaves the files as they are on disk at the
 * moment of the kill, so the test looks at them at as many moments as it can: a reader polls
 * {@code metrics.png} and {@code metrics.json} while the writer rewrites them {@value #WRITES}
 * times; every file it sees must be whole. With the plain {@code Files.write} of before (truncate,
 * then write), the reader sees empty or cut files.
 */
class MetricsCrashTest {
    static final int WRITES = 40;
    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    /** The last 8 bytes of every PNG: the IEND chunk's type and CRC. */
    private static final byte[] PNG_END = {'I', 'E', 'N', 'D', (byte) 0xae, 0x42, 0x60, (byte) 0x82};

    @TempDir
    Path tmp;

    @Test
    void theMetricsFilesAreWholeAtEveryMomentOfTheirWriting() throws Exception {
        List<EpochMetrics> epochs = new ArrayList<>();
        for (int e = 1; e <= 10; e++) {
            epochs.add(new EpochMetrics(e, 1.0 / e, 0.5 + e / 40.0, 0.5, 0.5, 1e-3 / e, 1000, 0.1, 0.05, 0.05, false, 1.0, 100, 1e6));
        }
        Path png = tmp.resolve(MetricsWriter.PNG);
        Path json = tmp.resolve(MetricsWriter.JSON);
        MetricsWriter.write(tmp, Map.of("ranks", "2"), epochs);
        AtomicBoolean done = new AtomicBoolean();
        List<String> bad = java.util.Collections.synchronizedList(new ArrayList<>());
        long[] looks = new long[1];
        Thread reader = new Thread(() -> {
            while (!done.get() && bad.size() < 5) {
                try {
                    byte[] p = Files.readAllBytes(png);
                    if (p.length < PNG_MAGIC.length + PNG_END.length
                            || !Arrays.equals(PNG_MAGIC, Arrays.copyOf(p, PNG_MAGIC.length))
                            || !Arrays.equals(PNG_END, Arrays.copyOfRange(p, p.length - PNG_END.length, p.length))) {
                        bad.add("metrics.png of " + p.length + " bytes, not a whole PNG");
                    }
                    String j = Files.readString(json).strip();
                    if (!j.endsWith("}") || !j.contains("\"epoch\"")) {
                        bad.add("metrics.json cut short: " + j.length() + " characters");
                    }
                    looks[0]++;
                } catch (NoSuchFileException e) {
                    bad.add("a metrics file missing while rewritten: " + e.getFile());
                } catch (java.io.IOException e) {
                    bad.add(e.toString());
                }
            }
        });
        reader.start();
        try {
            for (int k = 0; k < WRITES && bad.isEmpty(); k++) {
                MetricsWriter.write(tmp, Map.of("ranks", "2"), epochs);
            }
        } finally {
            done.set(true);
            reader.join();
        }
        assertEquals(List.of(), List.copyOf(bad), "seen while the metrics were rewritten (" + looks[0] + " looks)");
        assertTrue(looks[0] > 0, "the reader never looked");
    }
}
