package io.bluefog.examples.fashion;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bluefog.examples.data.FashionMnistData;
import io.bluefog.optimizers.dl4j.EpochMetrics;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The main job's smoke run: 1 epoch on 4,096 images, 2 ranks on LocalCluster; checks the metrics files. */
class FashionMnistSmokeTest {
    /** After one epoch on 4,096 images an MLP is far above chance (0.1). */
    private static final double MIN_SMOKE_ACCURACY = 0.5;
    /** The CSV holds shares with 4 decimals. */
    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G'};

    @TempDir
    Path tmp;

    @Test
    void twoRankSmokeRunWritesMetrics() throws Exception {
        Assumptions.assumeTrue(Files.isReadable(FashionMnistData.DEFAULT_DIR.resolve(FashionMnistData.TRAIN_IMAGES)),
                "dataset-fashion-mnist not installed");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code = FashionMnist.run(new String[] {"--transport", "local", "--ranks", "2", "--epochs", "1",
                "--limit-samples", "4096", "--optimizer", "awc", "--topology", "ring", "--quiet",
                "--metrics-dir", tmp.toString()}, new PrintStream(buf, true, StandardCharsets.UTF_8));
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        assertTrue(out.contains("epoch 1/1"), out);
        List<String> csv = Files.readAllLines(tmp.resolve(MetricsWriter.CSV));
        assertEquals(2, csv.size(), "header + one epoch: " + csv);
        assertEquals(MetricsWriter.CSV_HEADER, csv.get(0));
        String[] row = csv.get(1).split(",");
        assertEquals("1", row[0]);
        double loss = Double.parseDouble(row[1]);
        double avgAcc = Double.parseDouble(row[2]);
        double ownAcc = Double.parseDouble(row[3]);
        double consensus = Double.parseDouble(row[5]);
        double share = Double.parseDouble(row[7]);
        assertTrue(loss > 0 && loss < 2.5, "loss " + loss);
        assertTrue(avgAcc > MIN_SMOKE_ACCURACY && avgAcc <= 1, "averaged accuracy " + avgAcc);
        assertTrue(ownAcc > MIN_SMOKE_ACCURACY && ownAcc <= 1, "rank 0 accuracy " + ownAcc);
        assertTrue(consensus > 0 && Double.isFinite(consensus), "AWC on 2 ranks mixes before the local step, so the models differ: " + consensus);
        double exchange = Double.parseDouble(row[8]);
        double wait = Double.parseDouble(row[9]);
        assertTrue(share >= 0 && share < 1, "communication share " + share);
        // AWC's combine overlaps the gradient: exchange and waiting are the collectives' busy time,
        // partly hidden, so unlike ATC's (DecentralizedTrainerTest) they need not lie within the share.
        assertEquals("true", row[10], "AWC overlaps its combine with the gradient computation");
        assertTrue(exchange > 0 && wait >= 0 && exchange + wait < 1, "exchange " + exchange + ", waiting " + wait);
        assertEquals(32, Integer.parseInt(row[12]), "4096 samples / (2 ranks x 64) = 32 iterations");
        JsonNode json = new ObjectMapper().readTree(tmp.resolve(MetricsWriter.JSON).toFile());
        assertEquals("awc", json.path("settings").path("optimizer").asText(), json.toString());
        assertEquals(1, json.path("epochs").size(), json.toString());
        JsonNode epoch = json.path("epochs").get(0);
        assertEquals(1, epoch.path("epoch").asInt());
        assertEquals(32, epoch.path("iterations").asInt());
        assertEquals(Double.parseDouble(row[2]), epoch.path("test_accuracy_averaged").asDouble(), 1e-4,
                "the JSON and the CSV (4 decimals) agree");
        // .ci/run reads the accuracy with grep: keep the '"name": value' spacing
        assertTrue(Files.readString(tmp.resolve(MetricsWriter.JSON)).contains("\"test_accuracy_averaged\": "));
        byte[] png = Files.readAllBytes(tmp.resolve(MetricsWriter.PNG));
        assertArrayEquals(PNG_MAGIC, java.util.Arrays.copyOf(png, 4));
    }

    /** Runs 1 epoch on 2,048 images on 2 ranks of a ring; returns the metrics JSON. */
    private JsonNode smoke(Path dir, String... options) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("--transport", "local", "--ranks", "2", "--epochs", "1",
                "--limit-samples", "2048", "--topology", "ring", "--quiet", "--metrics-dir", dir.toString()));
        args.addAll(List.of(options));
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code = FashionMnist.run(args.toArray(String[]::new), new PrintStream(buf, true, StandardCharsets.UTF_8));
        assertEquals(0, code, buf.toString(StandardCharsets.UTF_8));
        assertTrue(buf.toString(StandardCharsets.UTF_8).contains("bytes/step"));
        return new ObjectMapper().readTree(dir.resolve(MetricsWriter.JSON).toFile());
    }

    @Test
    void chocoAndDilocoRunAndReportTheBytesTheySend() throws Exception {
        Assumptions.assumeTrue(Files.isReadable(FashionMnistData.DEFAULT_DIR.resolve(FashionMnistData.TRAIN_IMAGES)),
                "dataset-fashion-mnist not installed");
        JsonNode choco = smoke(tmp.resolve("choco"), "--optimizer", "choco", "--compressor", "top-k:0.01", "--consensus-step", "0.5");
        long params = Long.parseLong(choco.path("settings").path("parameters").asText());
        assertEquals("top-k:0.01", choco.path("settings").path("compressor").asText());
        JsonNode epoch = choco.path("epochs").get(0);
        assertEquals(16, epoch.path("iterations").asInt(), "2048 samples / (2 ranks x 64)");
        // a ring of 2: one out-neighbor; top-k 1%: k = ceil(0.01 d) int32 indices and float32 values
        assertEquals(8.0 * Math.ceil(0.01 * params), epoch.path("bytes_sent_per_step").asDouble(), 0.0);
        assertTrue(Double.isFinite(epoch.path("train_loss").asDouble()));

        JsonNode diloco = smoke(tmp.resolve("diloco"), "--optimizer", "diloco", "--period", "4", "--outer-lr", "0.7",
                "--outer-momentum", "0.9");
        assertEquals("0.7", diloco.path("settings").path("outer_lr").asText());
        // one allreduce of d float32 every 4 steps; a ring allreduce over 2 ranks sends 2 (n-1)/n = 1 times d floats
        assertEquals(4.0 * params / 4, diloco.path("epochs").get(0).path("bytes_sent_per_step").asDouble(), 0.0);
    }

    @Test
    void badCompressorIsAUsageError() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        int code;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = FashionMnist.run(new String[] {"--transport", "local", "--optimizer", "choco", "--compressor", "top-k:2"}, System.out);
        } finally {
            System.setErr(old);
        }
        String msg = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, code, msg);
        assertTrue(msg.contains("--compressor") && msg.contains("top-k:2"), msg);
    }

    @Test
    void badOptionsExitWithOneClearMessage() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        int code;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = FashionMnist.run(new String[] {"--transport", "local", "--optimizer", "adamw"}, System.out);
        } finally {
            System.setErr(old);
        }
        // A usage error (2), from picocli's converter, listing the candidates
        String msg = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, code, msg);
        assertTrue(msg.contains("--optimizer") && msg.contains("adamw") && msg.contains("exact-diffusion"), msg);
    }

    @Test
    void missingDataFileIsNamed() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        int code;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = FashionMnist.run(new String[] {"--transport", "local", "--ranks", "1", "--quiet",
                    "--data-dir", tmp.toString(), "--metrics-dir", tmp.resolve("m").toString()}, System.out);
        } finally {
            System.setErr(old);
        }
        assertEquals(1, code);
        String msg = err.toString(StandardCharsets.UTF_8);
        assertTrue(msg.contains(tmp.resolve(FashionMnistData.TRAIN_LABELS).toString()) && msg.contains("missing"), msg);
    }

    @Test
    void aMixingMatrixThatIsNotDoublyStochasticFailsBeforeAnyDataIsRead() throws Exception {
        Path matrix = tmp.resolve("w.matrix");
        Files.writeString(matrix, "0.5 0.5\n0 1\n");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        int code;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            // no data in --data-dir: the topology must be the first thing that fails
            code = FashionMnist.run(new String[] {"--transport", "local", "--ranks", "2", "--quiet", "--topology",
                    matrix.toString(), "--data-dir", tmp.toString(), "--metrics-dir", tmp.resolve("m").toString()}, System.out);
        } finally {
            System.setErr(old);
        }
        assertEquals(1, code);
        String msg = err.toString(StandardCharsets.UTF_8);
        assertTrue(msg.contains(matrix + ": rank 0: column sum (self weight + send weights) is 0.5, expected 1 for a "
                + "doubly-stochastic matrix"), msg);
        assertTrue(!msg.contains("missing"), msg);
    }
}
