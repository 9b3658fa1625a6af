package io.bluefog.mpi.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.mpi.MpiRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The launcher mpi-launch/bfrun: bad input is refused with one line on stderr; hello runs. */
@Tag("mpi")
class BfrunMpiTest {
    /** Bad input must be refused before anything is started. */
    static final Duration BAD_INPUT_TIMEOUT = Duration.ofSeconds(20);
    static final Duration HELLO_TIMEOUT = Duration.ofSeconds(120);

    private static Path bfrun;

    @BeforeAll
    static void findBfrun() {
        bfrun = Path.of(System.getProperty("bluefog.mpi.bfrun", "bfrun"));
        assertTrue(Files.isExecutable(bfrun), "bfrun not found at " + bfrun + " (system property bluefog.mpi.bfrun)");
    }

    private static MpiRun.Result bfrun(Duration timeout, String... args) {
        List<String> cmd = new ArrayList<>(List.of(bfrun.toString()));
        cmd.addAll(List.of(args));
        return MpiRun.exec(cmd, timeout);
    }

    @Test
    void timelineFilenameGivesOneTracePerRank(@TempDir Path dir) {
        String prefix = dir.resolve("trace-").toString();
        MpiRun.Result r = bfrun(HELLO_TIMEOUT, "-np", "2", "--timeline-filename", prefix, "hello");
        assertEquals(0, r.exitCode(), () -> r.toString());
        for (int rank = 0; rank < 2; rank++) {
            Path trace = Path.of(prefix + rank + ".json");
            assertTrue(Files.isRegularFile(trace), () -> "no " + trace + " after: " + r);
        }
    }

    @Test
    void exitStatusIsPassedThrough() {
        // The test classes reach the ranks through CLASSPATH, which bfrun puts before its own.
        List<String> cmd = List.of("env", "CLASSPATH=" + MpiRun.testClasspath(), bfrun.toString(), "-np", "2",
                ExitStatusMain.class.getName(), "3");
        MpiRun.Result r = MpiRun.exec(cmd, HELLO_TIMEOUT);
        assertEquals(3, r.exitCode(), () -> r.toString());
    }

    /** The mpirun command line of a {@code --dry-run}, split into words (bfrun quotes none of ours). */
    private static List<String> dryRun(List<String> env, String... args) {
        List<String> cmd = new ArrayList<>(List.of("env"));
        cmd.addAll(env);
        cmd.add(bfrun.toString());
        cmd.add("--dry-run");
        cmd.addAll(List.of(args));
        MpiRun.Result r = MpiRun.exec(cmd, BAD_INPUT_TIMEOUT);
        assertEquals(0, r.exitCode(), () -> r.toString());
        List<String> lines = r.lines().stream().filter(l -> l.startsWith("bfrun: ") && l.contains(" mpirun ")).toList();
        assertEquals(1, lines.size(), () -> "expected one 'bfrun: ... mpirun ...' line: " + r);
        assertFalse(r.output().contains("hello from rank"), () -> "a dry run must not start the job: " + r);
        return List.of(lines.get(0).split(" "));
    }

    /** The names forwarded with {@code -x NAME}. */
    private static List<String> forwarded(List<String> words) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i + 1 < words.size(); i++) {
            if (words.get(i).equals("-x")) {
                names.add(words.get(i + 1));
            }
        }
        return names;
    }

    @Test
    void everyBlueFogAndOmpVariableIsForwardedToRemoteRanks() {
        List<String> words = dryRun(List.of("BLUEFOG_TIMEOUT_MILLIS=60000", "BLUEFOG_SKIP_NEGOTIATE=true",
                "BLUEFOG_PIPELINE_CHUNK=4096", "BLUEFOG_NATIVE_KERNELS=false", "BLUEFOG_SOMETHING_NEW=1",
                "OMP_PROC_BIND=close", "NOT_OURS=1"), "-np", "2", "hello");
        List<String> names = forwarded(words);
        for (String v : List.of("BLUEFOG_TIMEOUT_MILLIS", "BLUEFOG_SKIP_NEGOTIATE", "BLUEFOG_PIPELINE_CHUNK",
                "BLUEFOG_NATIVE_KERNELS", "BLUEFOG_SOMETHING_NEW", "OMP_PROC_BIND", "OMP_NUM_THREADS")) {
            assertTrue(names.contains(v), () -> v + " is not forwarded: " + words);
        }
        assertFalse(names.contains("NOT_OURS"), () -> "only BLUEFOG_* and OMP_* are forwarded: " + words);
    }

    @Test
    void jvmTuningBelongsToTheMeasuredJobsOnly() {
        List<String> hello = dryRun(List.of(), "-np", "2", "hello");
        assertFalse(hello.stream().anyMatch(w -> w.startsWith("-Xmn") || w.startsWith("-XX:TieredStopAtLevel")),
                () -> "hello must start with the JVM's defaults: " + hello);
        List<String> fashion = dryRun(List.of(), "-np", "2", "fashion-mnist", "--epochs", "1");
        assertTrue(fashion.contains("-Xmn320m"), () -> fashion.toString());
        List<String> byClass = dryRun(List.of(), "-np", "2", "io.bluefog.examples.fashion.FashionMnist");
        assertTrue(byClass.contains("-Xmn320m"), () -> "the example's class gets its options too: " + byClass);
        List<String> overridden = dryRun(List.of("BLUEFOG_JAVA_OPTS=-Xmn128m"), "-np", "2", "fashion-mnist");
        assertTrue(overridden.indexOf("-Xmn128m") > overridden.indexOf("-Xmn320m"),
                () -> "BLUEFOG_JAVA_OPTS must come after the example's options: " + overridden);
        List<String> simulated = dryRun(List.of(), "-np", "1", "consensus", "--transport", "local", "--ranks", "8");
        assertTrue(simulated.contains("-XX:TieredStopAtLevel=1"), () -> "a LocalCluster consensus: " + simulated);
        List<String> equalsForm = dryRun(List.of(), "-np", "1", "consensus", "--transport=local");
        assertTrue(equalsForm.contains("-XX:TieredStopAtLevel=1"), () -> equalsForm.toString());
        List<String> onMpi = dryRun(List.of(), "-np", "2", "consensus", "--iterations", "3");
        assertFalse(onMpi.stream().anyMatch(w -> w.startsWith("-XX:TieredStopAtLevel")),
                () -> "consensus on MPI ranks keeps the JVM's defaults: " + onMpi);
    }

    private static void assertRefused(MpiRun.Result r, String expectedFragment) {
        assertFalse(r.timedOut(), () -> r.toString());
        assertNotEquals(0, r.exitCode(), () -> "bad input must fail: " + r);
        List<String> lines = r.lines();
        assertEquals(1, lines.size(), () -> "expected exactly one line: " + r);
        assertTrue(lines.get(0).startsWith("bfrun: ") && lines.get(0).contains(expectedFragment),
                () -> "expected a 'bfrun: ...' line mentioning '" + expectedFragment + "': " + r);
    }

    @Test
    void unknownExampleIsRefused() {
        assertRefused(bfrun(BAD_INPUT_TIMEOUT, "-np", "2", "no-such-example"), "unknown example 'no-such-example'");
    }

    @ParameterizedTest(name = "-np {0}")
    @ValueSource(strings = {"0", "-1", "two"})
    void nonPositiveRankCountIsRefused(String np) {
        assertRefused(bfrun(BAD_INPUT_TIMEOUT, "-np", np, "hello"), "-np");
    }

    /** Numbers that wrapped in bash arithmetic (one rank, or a huge count that ate memory) are refused. */
    @ParameterizedTest(name = "-np {0}")
    @ValueSource(strings = {"18446744073709551617", "99999999999999999999", "4097", "00000000000000000004097"})
    void rankCountAboveTheBoundIsAUsageError(String np) {
        MpiRun.Result r = bfrun(BAD_INPUT_TIMEOUT, "--dry-run", "-np", np, "hello");
        assertRefused(r, "-np " + np + " is larger than the maximum 4096");
        assertEquals(2, r.exitCode(), r::toString);
    }

    @Test
    void moreRanksThanFourPerCoreNeedExplicitOversubscribe() {
        // bfrun counts physical cores, at most the hardware threads the JVM sees.
        int threads = Runtime.getRuntime().availableProcessors();
        org.junit.jupiter.api.Assumptions.assumeTrue(4 * threads + 1 <= 4096, "machine too large for the bound");
        String np = Integer.toString(4 * threads + 1);
        MpiRun.Result r = bfrun(BAD_INPUT_TIMEOUT, "--dry-run", "-np", np, "hello");
        assertRefused(r, "ranks per core of this machine");
        assertEquals(2, r.exitCode(), r::toString);
        MpiRun.Result ok = bfrun(BAD_INPUT_TIMEOUT, "--dry-run", "--oversubscribe", "-np", np, "hello");
        assertEquals(0, ok.exitCode(), ok::toString);
        assertTrue(ok.output().contains("--oversubscribe"), ok::toString);
    }

    @Test
    void missingValueIsRefused() {
        assertRefused(bfrun(BAD_INPUT_TIMEOUT, "hello", "-np"), "missing -np");
        assertRefused(bfrun(BAD_INPUT_TIMEOUT, "-np"), "-np needs a value");
    }

    @Test
    void helloOnFourRanksPrintsOneCheckedLinePerRank() {
        int np = 4;
        MpiRun.Result r = bfrun(HELLO_TIMEOUT, "-np", Integer.toString(np), "hello");
        assertEquals(0, r.exitCode(), () -> r.toString());
        Pattern line = Pattern.compile("hello from rank (\\d+) of " + np
                + " \\(local rank (\\d+) of " + np + ", machine 0 of 1\\) on \\S+ via mpi, device (\\S+): allreduce sum of ranks = "
                + (np * (np - 1) / 2) + ", expected " + (np * (np - 1) / 2) + ": OK");
        boolean[] seen = new boolean[np];
        for (String l : r.lines()) {
            Matcher m = line.matcher(l);
            if (m.matches()) {
                int rank = Integer.parseInt(m.group(1));
                assertEquals(rank, Integer.parseInt(m.group(2)), "one machine: local rank = rank");
                assertEquals(io.bluefog.device.Devices.select(io.bluefog.device.DeviceChoice.AUTO, rank).toString(),
                        m.group(3), "BLUEFOG_DEVICE unset = auto: local rank r on GPU r mod count, else cpu");
                assertFalse(seen[rank], () -> "rank printed twice: " + r);
                seen[rank] = true;
            }
        }
        for (int rank = 0; rank < np; rank++) {
            int finalRank = rank;
            assertTrue(seen[rank], () -> "no hello line from rank " + finalRank + ": " + r);
        }
    }
}
