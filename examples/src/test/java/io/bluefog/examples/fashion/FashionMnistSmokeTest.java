package io.bluefog.examples.fashion;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bluefog.examples.data.FashionMnistData;
import io.bluefog.optimizers.dl4j.EpochMetrics;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
        // --device unset and BLUEFOG_DEVICE unset in the test JVM: auto, reported on rank 0's first line
        assertTrue(out.lines().findFirst().orElse("").contains("rank 0 on device "
                + io.bluefog.device.Devices.select(io.bluefog.device.DeviceChoice.AUTO, 0)), out);
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
        // a ring of 2: one out-neighbor; top-k 1%: one int32 length word, then k = ceil(0.01 d) int32
        // indices and float32 values (ChocoSgd's length-prefixed messages)
        assertEquals(4 + 8.0 * Math.ceil(0.01 * params), epoch.path("bytes_sent_per_step").asDouble(), 0.0);
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
        assertEquals(2, code, "a bad topology file is a usage error");
        String msg = err.toString(StandardCharsets.UTF_8);
        assertTrue(msg.contains(matrix + ": rank 0: column sum (self weight + send weights) is 0.5, expected 1 for a "
                + "doubly-stochastic matrix"), msg);
        assertTrue(!msg.contains("missing"), msg);
    }

    /**
     * Every bad weight matrix of issue 11 (before: trained to garbage with exit 0, or a late DL4J NaN
     * error) is one usage line naming the file, the rank and the fault, before any data is read.
     * W[i][j] is the weight rank i gives rank j's value: rows are receive weights, columns send weights.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "not stochastic (0.9 0.9 / 0.5 0.5)|atc|0.9 0.9;0.5 0.5|rank 0: row sum (self weight + receive weights) is 1.8, expected 1 for a doubly-stochastic matrix",
            "row-stochastic only|atc|0.5 0.5;0 1|rank 0: column sum (self weight + send weights) is 0.5, expected 1 for a doubly-stochastic matrix",
            "column-stochastic only|atc|0.5 0;0.5 1|rank 0: row sum (self weight + receive weights) is 0.5, expected 1 for a doubly-stochastic matrix",
            "row-stochastic only, push-sum|push-sum|0.5 0.5;0 1|rank 0: column sum (self weight + send weights) is 0.5, expected 1 for a column-stochastic matrix",
            "zero self weight|atc|0 1;1 0|rank 0: self weight is 0.0; a positive self weight (self loop) is required",
            "negative weights|atc|1.5 -0.5;-0.5 1.5|rank 0: weight -0.5 of in-neighbor 1 is negative"})
    void everyBadMixingMatrixIsOneUsageLineBeforeAnyDataIsRead(String name, String optimizer, String rows, String expected)
            throws Exception {
        Path matrix = tmp.resolve("w-" + name.hashCode() + ".matrix");
        Files.writeString(matrix, rows.replace(';', '\n') + "\n");
        // no data in --data-dir: the topology must be the first thing that fails
        assertOneLineUsageError(runCapturingErr("--transport", "local", "--ranks", "2", "--quiet", "--optimizer", optimizer,
                "--topology", matrix.toString(), "--data-dir", tmp.toString(), "--metrics-dir", tmp.resolve("m").toString()),
                matrix + ": " + expected);
    }

    /** Runs the job with stderr captured; returns {exit code, stderr}. */
    private static Object[] runCapturingErr(String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        int code;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = FashionMnist.run(args, System.out);
        } finally {
            System.setErr(old);
        }
        return new Object[] {code, err.toString(StandardCharsets.UTF_8)};
    }

    private static void assertOneLineUsageError(Object[] result, String expected) {
        String msg = (String) result[1];
        assertEquals(2, result[0], msg);
        assertEquals(1, msg.lines().count(), () -> "exactly one line: " + msg);
        assertTrue(msg.startsWith("fashion-mnist: ") && msg.contains(expected), msg);
    }

    @Test
    void deviceCudaWithoutAGpuIsAUsageErrorBeforeAnyWork() {
        Assumptions.assumeFalse(io.bluefog.device.Devices.cudaAvailable(),
                "a CUDA GPU is usable on this machine, so --device cuda is valid here");
        // no data in --data-dir: the device must fail first
        assertOneLineUsageError(runCapturingErr("--transport", "local", "--ranks", "2", "--quiet", "--device", "cuda",
                "--data-dir", tmp.toString(), "--metrics-dir", tmp.resolve("m").toString()),
                "device cuda was asked for (--device cuda or BLUEFOG_DEVICE=cuda) but no CUDA GPU is usable");
    }

    @Test
    void deviceValuesOtherThanAutoCpuCudaAreUsageErrors() {
        assertOneLineUsageError(runCapturingErr("--transport", "local", "--device", "gpu"),
                "--device='gpu' must be auto, cpu or cuda");
    }

    @Test
    void deviceCpuAndAutoPassValidationOnAnyMachine() {
        // both pass the device check and fail later, at the missing data (exit 1, not the usage status 2)
        for (String d : new String[] {"cpu", "auto", "CPU"}) {
            Object[] r = runCapturingErr("--transport", "local", "--ranks", "1", "--quiet", "--device", d,
                    "--data-dir", tmp.toString(), "--metrics-dir", tmp.resolve("m-" + d).toString());
            assertEquals(1, r[0], () -> d + ": " + r[1]);
            assertTrue(((String) r[1]).contains("missing"), () -> d + ": " + r[1]);
        }
    }

    /** Before: 3000 ranks on 2048 samples grew to 6 GB; now refused before any rank starts. */
    @Test
    void moreRanksThanTrainingSamplesIsAUsageError() {
        assertOneLineUsageError(runCapturingErr("--transport", "local", "--ranks", "3000", "--limit-samples", "2048",
                "--quiet", "--data-dir", tmp.toString(), "--metrics-dir", tmp.resolve("m").toString()),
                "3000 ranks are more than the 2048 training samples");
    }

    /** Before: --batch-size 2000000000 was an OutOfMemoryError stack trace. */
    @Test
    void aBatchLargerThanARanksShareIsAUsageError() {
        assertOneLineUsageError(runCapturingErr("--transport", "local", "--ranks", "2", "--batch-size", "2000000000",
                "--quiet", "--data-dir", tmp.toString(), "--metrics-dir", tmp.resolve("m").toString()),
                "--batch-size 2000000000 is larger than a rank's share of the training set (60000 samples / 2 ranks = 30000)");
        assertOneLineUsageError(runCapturingErr("--transport", "local", "--ranks", "4", "--batch-size", "600",
                "--limit-samples", "2048", "--quiet", "--data-dir", tmp.toString(), "--metrics-dir",
                tmp.resolve("m").toString()), "(2048 samples / 4 ranks = 512)");
    }

    /** Before: an unwritable --metrics-dir was found after epoch 1 had trained. Now before any data is read. */
    @Test
    void anUnwritableMetricsDirIsAUsageErrorBeforeTraining() throws Exception {
        Path file = Files.writeString(tmp.resolve("not-a-directory"), "x");
        Path metrics = file.resolve("metrics");
        // No data in --data-dir: the metrics directory must fail first.
        assertOneLineUsageError(runCapturingErr("--transport", "local", "--ranks", "2", "--quiet",
                "--data-dir", tmp.toString(), "--metrics-dir", metrics.toString()),
                "--metrics-dir " + metrics + " is not writable");
    }

    /**
     * Stopped after epoch 1 (its checkpoint on disk) and resumed with --resume, the job's epoch 2 has
     * exactly the numbers of an uninterrupted 2-epoch run: train loss, test accuracies and consensus
     * distance are functions of every rank's parameters, so equal doubles mean the same models.
     */
    @Test
    void stoppedAfterAnEpochAndResumedMatchesAnUninterruptedRun() throws Exception {
        Assumptions.assumeTrue(Files.isReadable(FashionMnistData.DEFAULT_DIR.resolve(FashionMnistData.TRAIN_IMAGES)),
                "dataset-fashion-mnist not installed");
        String[] common = {"--transport", "local", "--ranks", "2", "--limit-samples", "1024", "--optimizer",
                "exact-diffusion", "--topology", "ring", "--quiet"};
        Path whole = tmp.resolve("whole");
        assertEquals(0, FashionMnist.run(concat(common, "--epochs", "2", "--metrics-dir", whole.toString()), System.out));
        Path ckpt = tmp.resolve("ckpt");
        Path first = tmp.resolve("first");
        assertEquals(0, FashionMnist.run(concat(common, "--epochs", "1", "--metrics-dir", first.toString(),
                "--checkpoint-dir", ckpt.toString()), System.out));
        assertTrue(Files.isRegularFile(ckpt.resolve("step-000000000008").resolve("MANIFEST")),
                "1024 samples / (2 ranks x 64) = 8 steps: checkpoint after step 8");
        Path second = tmp.resolve("second");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        assertEquals(0, FashionMnist.run(concat(common, "--epochs", "2", "--metrics-dir", second.toString(),
                "--checkpoint-dir", ckpt.toString(), "--resume"), new PrintStream(buf, true, StandardCharsets.UTF_8)));
        assertTrue(buf.toString(StandardCharsets.UTF_8).contains("resumed from " + ckpt + " after epoch 1 (step 8)"),
                buf.toString(StandardCharsets.UTF_8));
        ObjectMapper json = new ObjectMapper();
        JsonNode expected = json.readTree(whole.resolve(MetricsWriter.JSON).toFile()).path("epochs").get(1);
        JsonNode resumed = json.readTree(second.resolve(MetricsWriter.JSON).toFile()).path("epochs").get(0);
        assertEquals(2, resumed.path("epoch").asInt(), resumed.toString());
        for (String field : List.of("train_loss", "test_accuracy_averaged", "test_accuracy_rank0", "consensus_distance")) {
            assertEquals(expected.path(field).asDouble(), resumed.path(field).asDouble(), 0.0, field);
        }
    }

    @Test
    void resumeWithoutACheckpointDirIsAUsageError() {
        assertOneLineUsageError(runCapturingErr("--transport", "local", "--ranks", "2", "--resume", "--quiet"),
                "--resume needs --checkpoint-dir");
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    /**
     * The metrics directory names its run: a finished run says finished with its command line; a
     * later run that fails in the same directory says failed, and the earlier run's metrics are
     * renamed so that they cannot pass for the failed run's.
     */
    @Test
    void theMetricsDirSaysWhichRunWroteItAndWhetherItFailed() throws Exception {
        Assumptions.assumeTrue(Files.isReadable(FashionMnistData.DEFAULT_DIR.resolve(FashionMnistData.TRAIN_IMAGES)),
                "dataset-fashion-mnist not installed");
        Path metrics = tmp.resolve("metrics");
        assertEquals(0, FashionMnist.run(new String[] {"--transport", "local", "--ranks", "2", "--epochs", "1",
                "--limit-samples", "512", "--quiet", "--metrics-dir", metrics.toString()}, System.out));
        java.util.Properties run = new java.util.Properties();
        run.load(new java.io.StringReader(Files.readString(metrics.resolve(MetricsWriter.RUN))));
        assertEquals("finished", run.getProperty("status"), run.toString());
        assertTrue(run.getProperty("command").contains("--limit-samples 512"), run.toString());
        assertTrue(Files.isRegularFile(metrics.resolve(MetricsWriter.CSV)));
        // A second run in the same directory fails (no data): it says so, and the old metrics are renamed.
        Object[] failed = runCapturingErr("--transport", "local", "--ranks", "2", "--epochs", "1", "--quiet",
                "--data-dir", tmp.resolve("no-data").toString(), "--metrics-dir", metrics.toString());
        assertEquals(1, failed[0], (String) failed[1]);
        run.load(new java.io.StringReader(Files.readString(metrics.resolve(MetricsWriter.RUN))));
        assertTrue(run.getProperty("status").startsWith("failed: ") && run.getProperty("status").contains("missing"),
                run.toString());
        assertTrue(run.getProperty("command").contains("no-data"), run.toString());
        assertFalse(Files.exists(metrics.resolve(MetricsWriter.CSV)), "the failed run has no metrics of its own");
        assertTrue(Files.isRegularFile(metrics.resolve(MetricsWriter.CSV + MetricsWriter.PREVIOUS)));
    }

    /** A metrics file that cannot be written (a full disk, here a path under a regular file) is reported, not fatal. */
    @Test
    void aMetricsWriteFailureIsReportedAndDoesNotFailTheTraining() throws Exception {
        FashionMnist job = new FashionMnist(System.out);
        Path file = Files.writeString(tmp.resolve("plain-file"), "x");
        new picocli.CommandLine(job).parseArgs("--metrics-dir", file.resolve("metrics").toString());
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            job.writeMetrics(java.util.Map.of(), List.of());
        } finally {
            System.setErr(old);
        }
        String msg = err.toString(StandardCharsets.UTF_8);
        assertTrue(msg.startsWith("fashion-mnist: warning: metrics not written (training goes on): cannot write metrics to "
                + file.resolve("metrics")), msg);
    }
}
