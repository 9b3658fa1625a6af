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
