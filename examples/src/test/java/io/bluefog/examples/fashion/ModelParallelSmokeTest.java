package io.bluefog.examples.fashion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.examples.data.FashionMnistData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code --parallelism ddg|features-replay}: one epoch on 4,096 images, the MLP split over 2 ranks
 * on LocalCluster; checks the printed epoch, the staleness columns, the accuracy and the loss trace;
 * and {@code --parallelism pipeline --split} with its loss trace.
 */
class ModelParallelSmokeTest {
    /** After one epoch on 4,096 images with Adam an MLP is far above chance (0.1). */
    private static final double MIN_SMOKE_ACCURACY = 0.5;
    /** loss-trace.csv and model-parallel.csv print 6 decimals. */
    private static final double TRACE_ROUNDING = 2e-6;

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "--parallelism {0}")
    @ValueSource(strings = {"ddg", "features-replay"})
    void twoModuleSmokeRun(String parallelism) throws Exception {
        Assumptions.assumeTrue(Files.isReadable(FashionMnistData.DEFAULT_DIR.resolve(FashionMnistData.TRAIN_IMAGES)),
                "dataset-fashion-mnist not installed");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code = FashionMnist.run(new String[] {"--transport", "local", "--ranks", "2", "--epochs", "1", "--parallelism",
                parallelism, "--updater", "adam", "--lr", "0.001", "--limit-samples", "4096", "--quiet", "--metrics-dir",
                tmp.toString()}, new PrintStream(buf, true, StandardCharsets.UTF_8));
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        assertTrue(out.contains("epoch 1/1") && out.contains("module 1: staleness 1") && out.contains("module 2: staleness 0"), out);
        List<String> csv = Files.readAllLines(tmp.resolve(ModelParallelRun.CSV));
        assertEquals(2, csv.size(), "header + one epoch: " + csv);
        List<String> header = List.of(csv.get(0).split(","));
        String[] row = csv.get(1).split(",");
        assertEquals(parallelism, row[header.indexOf("parallelism")]);
        assertEquals("1", row[header.indexOf("staleness_1")]);
        assertEquals("0", row[header.indexOf("staleness_2")]);
        double loss = Double.parseDouble(row[header.indexOf("train_loss")]);
        double acc = Double.parseDouble(row[header.indexOf("test_accuracy")]);
        assertTrue(loss > 0 && loss < 2.5, "loss " + loss);
        assertTrue(acc > MIN_SMOKE_ACCURACY && acc <= 1, "accuracy " + acc);
        // the last rank's per-iteration trace: 4,096 / 64 iterations whose mean is the epoch's loss
        List<String> trace = Files.readAllLines(tmp.resolve(LossTrace.CSV));
        assertEquals(1 + 4096 / 64, trace.size(), "header + one line per iteration");
        double mean = trace.stream().skip(1).mapToDouble(l -> Double.parseDouble(l.split(",")[3])).average().orElseThrow();
        assertEquals(loss, mean, TRACE_ROUNDING, "mean of loss-trace.csv against the epoch's train_loss");
    }

    @Test
    void pipelineTakesTheSplitAndWritesTheLossTrace() throws Exception {
        Assumptions.assumeTrue(Files.isReadable(FashionMnistData.DEFAULT_DIR.resolve(FashionMnistData.TRAIN_IMAGES)),
                "dataset-fashion-mnist not installed");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code = FashionMnist.run(new String[] {"--transport", "local", "--ranks", "2", "--epochs", "1", "--parallelism",
                "pipeline", "--split", "0,1,3", "--updater", "sgd", "--lr", "0.05", "--limit-samples", "1024", "--quiet",
                "--metrics-dir", tmp.toString()}, new PrintStream(buf, true, StandardCharsets.UTF_8));
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        assertTrue(out.contains("stages at layers [0, 1, 3]"), out);
        assertEquals(1 + 1024 / 64, Files.readAllLines(tmp.resolve(LossTrace.CSV)).size());
    }

    @Test
    void nesterovIsRejectedWithOneClearMessage() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        int code;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = FashionMnist.run(new String[] {"--transport", "local", "--parallelism", "ddg", "--updater", "nesterov"}, System.out);
        } finally {
            System.setErr(old);
        }
        String msg = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, code, msg);
        assertTrue(msg.contains("--parallelism ddg") && msg.contains("nesterov"), msg);
    }

    @Test
    void unknownParallelismIsAUsageError() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        int code;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = FashionMnist.run(new String[] {"--transport", "local", "--parallelism", "ddp"}, System.out);
        } finally {
            System.setErr(old);
        }
        String msg = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, code, msg);
        assertTrue(msg.contains("--parallelism") && msg.contains("features-replay"), msg);
    }
}
