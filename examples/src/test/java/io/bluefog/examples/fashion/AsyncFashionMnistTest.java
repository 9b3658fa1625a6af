package io.bluefog.examples.fashion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bluefog.examples.data.FashionMnistData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The main job with the asynchronous optimizers on windows: one epoch on 4,096 images, 2 ranks on
 * LocalCluster, with a straggler and a staleness bound; and the {@code --straggler} option's parsing.
 */
class AsyncFashionMnistTest {
    /** After one epoch on 4,096 images an MLP is far above chance (0.1). */
    private static final double MIN_SMOKE_ACCURACY = 0.5;

    @TempDir
    Path tmp;

    @Test
    void asyncPushSumAndWinPutTrainWithAStraggler() throws Exception {
        Assumptions.assumeTrue(Files.isReadable(FashionMnistData.DEFAULT_DIR.resolve(FashionMnistData.TRAIN_IMAGES)),
                "dataset-fashion-mnist not installed");
        for (String alg : new String[] {"async-push-sum", "win-put"}) {
            Path dir = tmp.resolve(alg);
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            int code = FashionMnist.run(new String[] {"--transport", "local", "--ranks", "2", "--epochs", "1",
                    "--limit-samples", "4096", "--optimizer", alg, "--topology", "ring", "--quiet",
                    "--straggler", "1:2", "--max-staleness", "4", "--metrics-dir", dir.toString()},
                    new PrintStream(buf, true, StandardCharsets.UTF_8));
            String out = buf.toString(StandardCharsets.UTF_8);
            assertEquals(0, code, out);
            JsonNode json = new ObjectMapper().readTree(dir.resolve(MetricsWriter.JSON).toFile());
            assertEquals(alg, json.path("settings").path("optimizer").asText());
            assertEquals("1:2", json.path("settings").path("straggler").asText());
            assertEquals("4", json.path("settings").path("max_staleness").asText());
            double acc = json.path("epochs").get(0).path("test_accuracy_averaged").asDouble();
            assertTrue(acc > MIN_SMOKE_ACCURACY && acc <= 1, alg + ": averaged accuracy " + acc + "\n" + out);
        }
    }

    /**
     * --job-wide-epochs: the job trains (2 ranks, a straggler), the metrics record the setting and
     * communication time for the window operations; with a synchronous optimizer or a staleness bound
     * it is a usage error (exit 2) before any training.
     */
    @Test
    void jobWideEpochsTrainAndAreRefusedWhereTheyCannotWork() throws Exception {
        Assumptions.assumeTrue(Files.isReadable(FashionMnistData.DEFAULT_DIR.resolve(FashionMnistData.TRAIN_IMAGES)),
                "dataset-fashion-mnist not installed");
        Path dir = tmp.resolve("job-wide");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code = FashionMnist.run(new String[] {"--transport", "local", "--ranks", "2", "--epochs", "1",
                "--limit-samples", "4096", "--optimizer", "async-push-sum", "--topology", "ring", "--quiet",
                "--straggler", "1:2", "--job-wide-epochs", "--metrics-dir", dir.toString()},
                new PrintStream(buf, true, StandardCharsets.UTF_8));
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        JsonNode json = new ObjectMapper().readTree(dir.resolve(MetricsWriter.JSON).toFile());
        assertEquals("true", json.path("settings").path("job_wide_epochs").asText());
        JsonNode epoch = json.path("epochs").get(0);
        assertTrue(epoch.path("test_accuracy_averaged").asDouble() > MIN_SMOKE_ACCURACY, out);
        assertTrue(epoch.path("communication_share").asDouble() > 0, "window operations are communication: " + epoch);
        assertTrue(epoch.path("bytes_sent_per_step").asDouble() > 0, epoch.toString());
        for (String[] bad : new String[][] {{"--optimizer", "atc"}, {"--optimizer", "async-push-sum", "--max-staleness", "2"}}) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            PrintStream oldErr = System.err;
            String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(bad), java.util.stream.Stream.of(
                    "--transport", "local", "--ranks", "2", "--job-wide-epochs", "--metrics-dir", tmp.resolve("bad").toString()))
                    .toArray(String[]::new);
            int badCode;
            try {
                System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
                badCode = FashionMnist.run(args, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            } finally {
                System.setErr(oldErr);
            }
            assertEquals(2, badCode, String.join(" ", bad) + ": " + err);
            assertTrue(err.toString(StandardCharsets.UTF_8).contains("--job-wide-epochs"), err.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void stragglerParsing() {
        assertEquals(new Straggler(1, 5), Straggler.parse("1:5"));
        assertThrows(IllegalArgumentException.class, () -> Straggler.parse("1"));
        assertThrows(IllegalArgumentException.class, () -> Straggler.parse("a:5"));
        assertThrows(IllegalArgumentException.class, () -> Straggler.parse("-1:5"));
        assertTrue(new Straggler(1, 5).listenerFor(0) == null, "only the straggler rank is delayed");
        assertTrue(new Straggler(1, 5).listenerFor(1) != null);
    }
}
