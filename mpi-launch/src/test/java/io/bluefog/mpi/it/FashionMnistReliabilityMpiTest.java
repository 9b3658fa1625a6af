package io.bluefog.mpi.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.mpi.MpiRun;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The main job under {@code mpirun -np 2} (examples' classpath, as {@link OptimizersMpiTest}):
 * a usage error is one line printed once with exit 2, and a job stopped after epoch 1 and resumed
 * from its checkpoint gives epoch 2's numbers of an uninterrupted run exactly.
 */
@Tag("mpi")
class FashionMnistReliabilityMpiTest {
    private static final String MAIN = "io.bluefog.examples.fashion.FashionMnist";
    private static final Path DATA = Path.of("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");
    /** Two ND4J JVMs on a loaded 2-core machine, 1024 samples per epoch: a hang guard. */
    private static final Duration TIMEOUT = Duration.ofMinutes(5);

    @TempDir
    Path tmp;

    private static MpiRun.Result job(String... args) throws Exception {
        List<String> examples = ExamplesSuiteUnderMpirun.examplesClasspath();
        List<String> cmd = new ArrayList<>(MpiRun.command(2, MAIN, List.of(args)));
        int cpIndex = cmd.indexOf("-cp") + 1;
        cmd.set(cpIndex, String.join(File.pathSeparator, examples) + File.pathSeparator + cmd.get(cpIndex));
        MpiRun.Result r = MpiRun.exec(cmd, TIMEOUT);
        assertFalse(r.timedOut(), () -> "hung: " + r);
        return r;
    }

    @Test
    void aUsageErrorIsPrintedOnceWithExitTwo() throws Exception {
        MpiRun.Result r = job("--batch-size", "2000000000", "--quiet", "--metrics-dir", tmp.resolve("m").toString());
        assertEquals(2, r.exitCode(), r::toString);
        long lines = r.lines().stream().filter(l -> l.startsWith("fashion-mnist: ")).count();
        assertEquals(1, lines, () -> "printed once, not per rank: " + r);
        assertTrue(r.output().contains("fashion-mnist: --batch-size 2000000000 is larger than a rank's share of the "
                + "training set (60000 samples / 2 ranks = 30000)"), r::toString);
    }

    @Test
    void stoppedAfterAnEpochAndResumedMatchesAnUninterruptedRun() throws Exception {
        Assumptions.assumeTrue(Files.isReadable(DATA), "dataset-fashion-mnist not installed");
        List<String> common = List.of("--limit-samples", "1024", "--optimizer", "push-sum", "--topology", "ring", "--quiet");
        Path whole = tmp.resolve("whole");
        MpiRun.Result a = job(args(common, "--epochs", "2", "--metrics-dir", whole.toString()));
        assertEquals(0, a.exitCode(), a::toString);
        Path ckpt = tmp.resolve("ckpt");
        MpiRun.Result b = job(args(common, "--epochs", "1", "--metrics-dir", tmp.resolve("first").toString(),
                "--checkpoint-dir", ckpt.toString()));
        assertEquals(0, b.exitCode(), b::toString);
        Path second = tmp.resolve("second");
        MpiRun.Result c = job(args(common, "--epochs", "2", "--metrics-dir", second.toString(), "--checkpoint-dir",
                ckpt.toString(), "--resume"));
        assertEquals(0, c.exitCode(), c::toString);
        assertTrue(c.output().contains("resumed from " + ckpt + " after epoch 1"), c::toString);
        String expected = Files.readString(whole.resolve("metrics.json"));
        String resumed = Files.readString(second.resolve("metrics.json"));
        for (String field : List.of("train_loss", "test_accuracy_averaged", "test_accuracy_rank0", "consensus_distance")) {
            List<String> all = values(expected, field);
            List<String> after = values(resumed, field);
            assertEquals(2, all.size(), expected);
            assertEquals(1, after.size(), resumed);
            assertEquals(all.get(1), after.get(0), field + " of epoch 2");
        }
    }

    /** @return every value of {@code "field": value} in a metrics.json, as written (full precision) */
    private static List<String> values(String json, String field) {
        List<String> out = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"" + field + "\": ([^,\\s}]+)").matcher(json);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    private static String[] args(List<String> common, String... more) {
        List<String> all = new ArrayList<>(common);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }
}
