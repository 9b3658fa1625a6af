package io.bluefog.mpi.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The main job under {@code mpirun -np 2} (examples' classpath, as {@link OptimizersMpiTest}):
 * a usage error is one line printed once with exit 2, and a job killed inside an epoch and resumed
 * from its mid-epoch checkpoint ({@code --checkpoint-steps}) ends bit-identical to an uninterrupted run.
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

    /** 1024 samples on 2 ranks, batch 64: 8 steps per epoch; a checkpoint every 3 steps and at epoch ends. */
    private static final int STEPS_PER_EPOCH = 8;
    private static final String CHECKPOINT_STEPS = "3";
    private static final String LAST = "step-000000000016";

    /**
     * A job killed (SIGKILL to mpirun and its ranks) right after its step-6 checkpoint, inside epoch 1,
     * and resumed with {@code --resume} ends with every rank's checkpoint file of the last step
     * byte-identical to an uninterrupted run's (parameters, updater and algorithm state, RNG and data
     * position), and with the same numbers for the epoch it resumed inside and the last epoch. Rank 1
     * sleeps 1 s per step in the killed run ({@code --straggler 1:1000}, which changes no number), so
     * the kill lands before the epoch's end at step 8 unless it takes more than 2 s.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"atc", "exact-diffusion", "push-sum"})
    void killedInsideAnEpochAndResumedMatchesAnUninterruptedRunBitForBit(String optimizer) throws Exception {
        Assumptions.assumeTrue(Files.isReadable(DATA), "dataset-fashion-mnist not installed");
        List<String> common = List.of("--limit-samples", "1024", "--optimizer", optimizer, "--topology", "ring", "--quiet",
                "--epochs", "2", "--checkpoint-steps", CHECKPOINT_STEPS);
        Path whole = tmp.resolve("whole");
        MpiRun.Result a = job(args(common, "--metrics-dir", whole.resolve("m").toString(), "--checkpoint-dir",
                whole.resolve("ckpt").toString()));
        assertEquals(0, a.exitCode(), a::toString);

        Path ckpt = tmp.resolve("ckpt");
        long killedAt = killAfterCheckpoint(args(common, "--metrics-dir", tmp.resolve("killed").toString(),
                "--checkpoint-dir", ckpt.toString(), "--straggler", "1:1000"), ckpt.resolve("step-000000000006"));
        long newest = newestComplete(ckpt);
        assertTrue(newest >= 6 && newest % STEPS_PER_EPOCH != 0,
                "the kill must leave a mid-epoch checkpoint as the newest, found step " + newest + " (killed after "
                        + killedAt + " ms)");

        Path second = tmp.resolve("second");
        MpiRun.Result c = job(args(common, "--metrics-dir", second.toString(), "--checkpoint-dir", ckpt.toString(), "--resume"));
        assertEquals(0, c.exitCode(), c::toString);
        long resumedEpoch = newest / STEPS_PER_EPOCH + 1;
        assertTrue(c.output().contains("resumed from " + ckpt + " after epoch " + (resumedEpoch - 1) + " (step " + newest
                + "), inside epoch " + resumedEpoch), c::toString);
        for (int r = 0; r < 2; r++) {
            byte[] expected = Files.readAllBytes(whole.resolve("ckpt").resolve(LAST).resolve("rank-" + r + ".ckpt"));
            byte[] resumed = Files.readAllBytes(ckpt.resolve(LAST).resolve("rank-" + r + ".ckpt"));
            assertArrayEquals(expected, resumed, optimizer + ": rank " + r + "'s state after the last step differs");
        }
        String expected = Files.readString(whole.resolve("m").resolve("metrics.json"));
        String resumed = Files.readString(second.resolve("metrics.json"));
        for (String field : List.of("train_loss", "test_accuracy_averaged", "test_accuracy_rank0", "consensus_distance",
                "bytes_sent_per_step")) {
            List<String> all = values(expected, field);
            List<String> after = values(resumed, field);
            assertEquals(2, all.size(), expected);
            assertEquals(all.subList((int) resumedEpoch - 1, 2), after, field + " of the epoch resumed inside and the next");
        }
    }

    /**
     * Starts the job and kills mpirun and every rank (SIGKILL) as soon as {@code checkpoint}'s MANIFEST exists.
     *
     * @return milliseconds from the job's start to the kill
     */
    private static long killAfterCheckpoint(String[] args, Path checkpoint) throws Exception {
        List<String> examples = ExamplesSuiteUnderMpirun.examplesClasspath();
        List<String> cmd = new ArrayList<>(MpiRun.command(2, MAIN, List.of(args)));
        int cpIndex = cmd.indexOf("-cp") + 1;
        cmd.set(cpIndex, String.join(File.pathSeparator, examples) + File.pathSeparator + cmd.get(cpIndex));
        Path log = Files.createTempFile("killed", ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OMP_NUM_THREADS", "1");
        long start = System.nanoTime();
        Process p = pb.start();
        try {
            long deadline = start + TIMEOUT.toNanos();
            while (!Files.exists(checkpoint.resolve("MANIFEST"))) {
                assertTrue(p.isAlive(), () -> "the job ended before its checkpoint " + checkpoint + ": " + read(log));
                assertTrue(System.nanoTime() < deadline, () -> "no checkpoint " + checkpoint + " within " + TIMEOUT);
                Thread.sleep(20);
            }
            return (System.nanoTime() - start) / 1_000_000;
        } finally {
            List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
            tree.add(p.toHandle());
            tree.forEach(ProcessHandle::destroyForcibly);
            for (ProcessHandle h : tree) {
                h.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
            }
            Files.deleteIfExists(log);
        }
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    /** The newest checkpoint with a MANIFEST (as {@code Checkpoints.newestComplete}), -1 if none. */
    private static long newestComplete(Path dir) throws Exception {
        long best = -1;
        try (var entries = Files.list(dir)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                String name = p.getFileName().toString();
                if (name.matches("step-\\d{12}") && Files.isRegularFile(p.resolve("MANIFEST"))) {
                    best = Math.max(best, Long.parseLong(name.substring(5)));
                }
            }
        }
        return best;
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
