package io.bluefog.examples.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** scaling-bench's counted columns against their closed forms, and its files (no duration is asserted). */
class ScalingBenchmarkTest {
    @Test
    void countsBytesAndMessagesPerRankAndWritesJsonAndPng(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        int rc = new CommandLine(new ScalingBenchmark(new PrintStream(text, true, StandardCharsets.UTF_8)))
                .execute("--ranks", "4,8", "--size", "16", "--iterations", "2", "--warmup", "1", "--out", dir.toString());
        assertEquals(0, rc, text.toString(StandardCharsets.UTF_8));
        JsonNode rows = new ObjectMapper().readTree(dir.resolve("scaling.json").toFile()).get("rows");
        assertEquals(8, rows.size());
        double vector = 16 * 4;
        for (JsonNode row : rows) {
            int n = row.get("ranks").asInt();
            String op = row.get("operation").asText();
            double dMax = switch (op) {
                case "ring" -> 2;
                case "exponential" -> Math.log(n) / Math.log(2); // 0 -> 1, 2, 4, ... : log2 n in-neighbors
                case "one-peer-exponential" -> 1;
                default -> Double.NaN;
            };
            double bytes = op.equals("allreduce") ? 2.0 * (n - 1) / n * vector : dMax * vector;
            double messages = op.equals("allreduce") ? 2.0 * (n - 1) : dMax;
            assertEquals(bytes, row.get("bytes_per_rank").asDouble(), 1e-9, n + " " + op);
            assertEquals(messages, row.get("messages_per_rank").asDouble(), 1e-9, n + " " + op);
            assertTrue(row.get("seconds_per_iteration").asDouble() > 0, n + " " + op);
        }
        var png = ImageIO.read(Files.newInputStream(dir.resolve("scaling.png")));
        assertTrue(png.getWidth() > png.getHeight(), "three panels side by side");
    }

    /** A one-rank world (nothing to exchange) is refused with picocli's usage exit code, before anything runs. */
    @Test
    void refusesBadArguments(@TempDir Path dir) {
        Path out = dir.resolve("out");
        assertEquals(2, new CommandLine(new ScalingBenchmark()).execute("--ranks", "1", "--out", out.toString()));
        assertTrue(!Files.exists(out.resolve("scaling.json")), "nothing written");
    }
}
