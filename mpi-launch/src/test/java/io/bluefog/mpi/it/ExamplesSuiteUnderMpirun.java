package io.bluefog.mpi.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.bluefog.mpi.MpiRun;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs a contract suite of the examples module under {@code mpirun} and checks every rank's report.
 * The examples module is not a dependency of mpi-launch, so the ranks are started with its test and
 * main classes and its runtime classpath ({@code examples/target/classpath.txt}, written at
 * {@code package}; the {@code mpi} profile builds examples before this module) in front of this
 * module's test classpath.
 */
final class ExamplesSuiteUnderMpirun {
    private static final String RUN_CONTRACT_SUITE = "io.bluefog.testing.RunContractSuite";

    private ExamplesSuiteUnderMpirun() {
    }

    /** The examples module's test and main classes and runtime classpath (skips the calling test when not built). */
    static List<String> examplesClasspath() throws Exception {
        Path here = Path.of("").toAbsolutePath();
        Path sibling = here.resolveSibling("examples").resolve("target");
        Path target = Files.isDirectory(sibling) ? sibling : here.resolve("examples").resolve("target");
        Path listing = target.resolve("classpath.txt");
        Assumptions.assumeTrue(Files.isReadable(listing) && Files.isDirectory(target.resolve("test-classes")),
                "examples module not built (no " + listing + " or test-classes); run the reactor with -Pmpi verify");
        List<String> cp = new ArrayList<>(List.of(target.resolve("test-classes").toString(), target.resolve("classes").toString()));
        for (String entry : Files.readString(listing).trim().split(File.pathSeparator)) {
            if (!entry.isBlank()) {
                cp.add(entry);
            }
        }
        return cp;
    }

    /**
     * Runs {@code suite} (a {@code ContractSuite} class of the examples module) on {@code np} ranks and
     * asserts: no timeout, no rank reporting FAIL, exit code 0, and every rank reporting PASS for each
     * of {@code checks}.
     */
    static void assertPasses(String suite, int np, Collection<String> checks, List<String> examplesClasspath,
                             Duration timeout) throws Exception {
        List<String> cmd = new ArrayList<>(MpiRun.command(np, RUN_CONTRACT_SUITE, List.of(suite)));
        int cpIndex = cmd.indexOf("-cp") + 1;
        cmd.set(cpIndex, String.join(File.pathSeparator, examplesClasspath) + File.pathSeparator + cmd.get(cpIndex));
        MpiRun.Result r = MpiRun.exec(cmd, timeout);
        assertFalse(r.timedOut(), () -> "timed out: " + r);
        for (String line : r.lines()) {
            if (line.matches(".*rank \\d+ FAIL .*")) {
                fail(line + "\n" + r);
            }
        }
        assertEquals(0, r.exitCode(), r::toString);
        for (int rank = 0; rank < np; rank++) {
            for (String check : checks) {
                assertTrue(Pattern.compile("rank " + rank + " PASS " + Pattern.quote(check) + "\\s*$", Pattern.MULTILINE)
                        .matcher(r.output()).find(), "no 'rank " + rank + " PASS " + check + "' in:\n" + r);
            }
        }
    }
}
