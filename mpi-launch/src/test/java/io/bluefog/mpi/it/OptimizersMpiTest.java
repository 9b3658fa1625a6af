package io.bluefog.mpi.it;

import io.bluefog.mpi.MpiRun;
import io.bluefog.testing.ContractSuite;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The optimizers' convex contract suite ({@code io.bluefog.examples.convex.ConvexContractSuite}: Exact
 * Diffusion and gradient tracking reach the exact optimum, D-SGD's bias, AWC's instability, consensus
 * rates) under {@code mpirun -np 4}, one JVM per rank.
 *
 * <p>The suite lives in the examples module, which mpi-launch does not depend on; the ranks are
 * started with the examples module's test and main classes and its runtime classpath
 * ({@code examples/target/classpath.txt}, written at {@code package}) in front of this module's test
 * classpath. In the {@code mpi} profile the reactor builds examples before mpi-launch.
 *
 * <p>Tagged {@code slow} (four ND4J JVMs solving every problem to 1e-8): {@code mvn -P mpi verify}
 * skips it, {@code mvn -P mpi,slow verify} (run by {@code .ci/run}) runs it.
 */
@Tag("mpi")
@Tag("slow")
class OptimizersMpiTest {
    private static final String SUITE = "io.bluefog.examples.convex.ConvexContractSuite";
    private static final String RUN_CONTRACT_SUITE = "io.bluefog.testing.RunContractSuite";
    /** Four JVMs with ND4J on a shared 2-core machine: generous. */
    private static final Duration TIMEOUT = Duration.ofMinutes(15);
    private static final int NP = 4;

    private static Path examplesTarget() {
        Path here = Path.of("").toAbsolutePath();
        Path sibling = here.resolveSibling("examples").resolve("target");
        return Files.isDirectory(sibling) ? sibling : here.resolve("examples").resolve("target");
    }

    /** The examples module's test and main classes and runtime classpath (skips the test when not built). */
    static List<String> examplesClasspath() throws Exception {
        Path target = examplesTarget();
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

    private static Set<String> checkNames(List<String> cp) throws Exception {
        URL[] urls = new URL[cp.size()];
        for (int i = 0; i < urls.length; i++) {
            urls[i] = Path.of(cp.get(i)).toUri().toURL();
        }
        try (URLClassLoader loader = new URLClassLoader(urls, OptimizersMpiTest.class.getClassLoader())) {
            ContractSuite suite = (ContractSuite) loader.loadClass(SUITE).getConstructor().newInstance();
            return suite.checks().keySet();
        }
    }

    @Test
    void convexSuitePassesUnderMpirunWithFourRanks() throws Exception {
        List<String> examples = examplesClasspath();
        Set<String> checks = checkNames(examples);
        List<String> cmd = new ArrayList<>(MpiRun.command(NP, RUN_CONTRACT_SUITE, List.of(SUITE)));
        int cpIndex = cmd.indexOf("-cp") + 1;
        cmd.set(cpIndex, String.join(File.pathSeparator, examples) + File.pathSeparator + cmd.get(cpIndex));
        MpiRun.Result r = MpiRun.exec(cmd, TIMEOUT);
        assertFalse(r.timedOut(), () -> "timed out: " + r);
        for (String line : r.lines()) {
            if (line.matches(".*rank \\d+ FAIL .*")) {
                fail(line + "\n" + r);
            }
        }
        assertEquals(0, r.exitCode(), r::toString);
        for (int rank = 0; rank < NP; rank++) {
            for (String check : checks) {
                Matcher m = Pattern.compile("rank " + rank + " PASS " + Pattern.quote(check) + "\\s*$", Pattern.MULTILINE)
                        .matcher(r.output());
                assertTrue(m.find(), "no 'rank " + rank + " PASS " + check + "' in:\n" + r);
            }
        }
    }
}
