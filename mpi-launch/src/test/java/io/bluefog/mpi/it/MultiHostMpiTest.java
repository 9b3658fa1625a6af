package io.bluefog.mpi.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.collectives.testing.CollectivesContract;
import io.bluefog.mpi.AbortWatchdogAccess;
import io.bluefog.mpi.MpiRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Two hosts on one machine ({@code mpi-launch/multihost/two-hosts}: network namespaces joined by a
 * veth pair, one UTS namespace and hostname per host, Open MPI's launch agent through
 * {@code ip netns exec}), 2 ranks per host, started by {@code bfrun -H}. Needs root: tagged
 * {@code multihost}, run by {@code mvn -P mpi,multihost verify} (CI runs as root).
 */
@Tag("mpi")
@Tag("multihost")
class MultiHostMpiTest {
    static final long TIMEOUT_MILLIS = 3_000;
    /** bfrun's abort grace (20 s) plus its TERM-then-KILL wait (5 s), and the ranks' own watchdog. */
    static final long GRACE_MILLIS = 25_000 + AbortWatchdogAccess.graceMillis();
    /** The main job's collective timeout (its startup reads the data set before the first collective). */
    static final long JOB_TIMEOUT_MILLIS = 120_000;
    /** Startup of 4 JVMs on a loaded 2-core machine; a hang guard only. */
    static final Duration JOB_LIMIT = Duration.ofMinutes(4);

    private static Path root;

    @BeforeAll
    static void needsRoot() {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "two-hosts needs root (network namespaces)");
        Path here = Path.of("").toAbsolutePath();
        root = Files.isRegularFile(here.resolve("mpi-launch/bfrun")) ? here : here.getParent();
    }

    /** Runs {@code script} (sh) on host A of two hosts, with bfrun's -H and flags in $H and $F. */
    private static MpiRun.Result onTwoHosts(String script) {
        String prelude = "cd " + root + " && export CLASSPATH='" + MpiRun.testClasspath() + "' BLUEFOG_TIMEOUT_MILLIS="
                + TIMEOUT_MILLIS + " && H=\"$TWO_HOSTS_H\" && F=\"$TWO_HOSTS_MPI_FLAGS\" && ";
        MpiRun.Result r = MpiRun.exec(List.of(root.resolve("mpi-launch/multihost/two-hosts").toString(), "sh", "-c",
                prelude + script), JOB_LIMIT);
        assertFalse(r.timedOut(), () -> "hung: " + r);
        return r;
    }

    @Test
    void helloReportsMachineZeroAndOne() {
        MpiRun.Result r = onTwoHosts("mpi-launch/bfrun -np 4 -H \"$H\" --extra-mpi-flags \"$F\" hello");
        assertEquals(0, r.exitCode(), r::toString);
        for (int rank = 0; rank < 4; rank++) {
            String machine = rank < 2 ? "machine 0 of 2) on bf-host-a" : "machine 1 of 2) on bf-host-b";
            Pattern p = Pattern.compile("hello from rank " + rank + " of 4 \\(local rank " + (rank % 2) + " of 2, "
                    + Pattern.quote(machine) + " via mpi, device \\S+: .*: OK");
            assertTrue(p.matcher(r.output()).find(), "rank " + rank + " on " + machine + ":\n" + r);
        }
    }

    @Test
    void collectivesContractPassesWithTwoRanksPerHost() {
        MpiRun.Result r = onTwoHosts("mpi-launch/bfrun -np 4 -H \"$H\" --extra-mpi-flags \"$F\" "
                + "io.bluefog.testing.RunContractSuite " + CollectivesContract.class.getName());
        assertEquals(0, r.exitCode(), r::toString);
        assertFalse(r.output().matches("(?s).*rank \\d+ FAIL .*"), r::toString);
        for (int rank = 0; rank < 4; rank++) {
            for (String check : new CollectivesContract().checks().keySet()) {
                assertTrue(Pattern.compile("rank " + rank + " PASS " + Pattern.quote(check) + "\\s*$", Pattern.MULTILINE)
                        .matcher(r.output()).find(), "no 'rank " + rank + " PASS " + check + "':\n" + r);
            }
        }
    }

    /**
     * The main job ({@code fashion-mnist}, 1024 samples, 1 epoch, 4 ranks) gives the same numbers on
     * two hosts with 2 ranks each as on one host with 4: every number of metrics.json that does not
     * measure time is equal as written (full precision).
     */
    @Test
    void theMainJobGivesTheSameNumbersOnTwoHostsAsOnOne() throws Exception {
        ExamplesSuiteUnderMpirun.examplesClasspath(); // skips the test when the examples module is not built
        Path dir = Files.createTempDirectory("multihost-fashion");
        try {
            // The default timeout, not the fault tests' 3 s: rank 0 reads and checks the data before
            // its first collective, which on a loaded machine can take longer than that.
            String job = "BLUEFOG_TIMEOUT_MILLIS=" + JOB_TIMEOUT_MILLIS + " mpi-launch/bfrun -np 4 %s fashion-mnist --limit-samples 1024 --epochs 1 --quiet --metrics-dir " + dir;
            MpiRun.Result r = onTwoHosts(String.format(job, "", "") + "/one && "
                    + String.format(job, "-H \"$H\" --extra-mpi-flags \"$F\"") + "/two");
            assertEquals(0, r.exitCode(), r::toString);
            assertTrue(r.output().contains("fashion-mnist: 4 ranks (mpi"), r::toString);
            String one = Files.readString(dir.resolve("one/metrics.json"));
            String two = Files.readString(dir.resolve("two/metrics.json"));
            for (String field : List.of("train_loss", "test_accuracy_averaged", "test_accuracy_rank0",
                    "test_accuracy_mean_local", "consensus_distance", "bytes_sent_per_step", "iterations")) {
                List<String> a = values(one, field);
                assertEquals(1, a.size(), () -> field + " in " + one);
                assertEquals(a, values(two, field), () -> field + " differs between one host and two:\n" + one + "\n" + two);
            }
        } finally {
            try (var files = Files.walk(dir)) {
                for (Path f : (Iterable<Path>) files.sorted(java.util.Comparator.reverseOrder())::iterator) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    /** @return every value of {@code "field": value} in a metrics.json, as written */
    private static List<String> values(String json, String field) {
        List<String> out = new java.util.ArrayList<>();
        Matcher m = Pattern.compile("\"" + field + "\": ([^,\\s}]+)").matcher(json);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    /**
     * Starts the looping job, waits until all 4 ranks loop, does {@code fault}, and prints how many
     * milliseconds the job took to end after it ("ENDED <ms> <status>").
     */
    private static MpiRun.Result faultWhileLooping(String fault) {
        return onTwoHosts("out=$(mktemp) && (mpi-launch/bfrun -np 4 -H \"$H\" --extra-mpi-flags \"$F\" "
                + StallingRankMain.class.getName() + " loop > \"$out\" 2>&1 & echo $! > \"$out.pid\") && "
                + "while [ \"$(grep -c looping \"$out\")\" -lt 4 ]; do kill -0 $(cat \"$out.pid\") || break; sleep 0.2; done && "
                + "t0=$(date +%s%N) && " + fault + " && "
                + "while kill -0 $(cat \"$out.pid\") 2>/dev/null; do sleep 0.2; done; "
                + "t1=$(date +%s%N); cat \"$out\"; echo \"ENDED $(( (t1 - t0) / 1000000 ))\"");
    }

    private static long endedAfterMillis(MpiRun.Result r) {
        Matcher m = Pattern.compile("ENDED (\\d+)").matcher(r.output());
        assertTrue(m.find(), r::toString);
        return Long.parseLong(m.group(1));
    }

    @Test
    void takingTheLinkDownEndsTheJobWithinTimeoutPlusGrace() {
        MpiRun.Result r = faultWhileLooping("ip -n \"$TWO_HOSTS_NETNS_B\" link set \"$TWO_HOSTS_LINK_B\" down");
        long ms = endedAfterMillis(r);
        System.out.println("[time to fail] link down between the hosts: the job ended " + ms + " ms after it");
        assertTrue(ms < TIMEOUT_MILLIS + GRACE_MILLIS, "ended " + ms + " ms after the link went down:\n" + r);
        assertTrue(r.output().contains("timed out after " + TIMEOUT_MILLIS + " ms (BLUEFOG_TIMEOUT_MILLIS) waiting for "),
                r::toString);
        assertTrue(r.output().contains("aborts the MPI job"), r::toString);
    }

    @Test
    void aRankKilledOnTheSecondHostEndsTheJobWithinTimeoutPlusGrace() {
        MpiRun.Result r = faultWhileLooping("for p in $(ip netns pids \"$TWO_HOSTS_NETNS_B\"); do "
                + "if tr '\\0' ' ' < /proc/$p/cmdline | grep -q StallingRankMain; then kill -KILL $p; echo KILLED $p; break; fi; done");
        assertTrue(r.output().contains("KILLED "), r::toString);
        long ms = endedAfterMillis(r);
        System.out.println("[time to fail] a rank killed on the second host: the job ended " + ms + " ms after the kill");
        assertTrue(ms < TIMEOUT_MILLIS + GRACE_MILLIS, "ended " + ms + " ms after the kill:\n" + r);
    }
}
