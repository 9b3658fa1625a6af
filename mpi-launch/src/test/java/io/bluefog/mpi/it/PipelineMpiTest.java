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
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The pipeline contract suite ({@code io.bluefog.examples.pipeline.PipelineContractSuite}: GPipe's
 * input gradients equal the serial chain rule, PPRS's iterates its serial run, a DL4J MLP's stage
 * gradients the single-process gradient) under {@code mpirun -np 3}: three stages, one JVM each.
 * Like {@link OptimizersMpiTest}, the ranks run with the examples module's classes and classpath
 * ({@code examples/target/classpath.txt}, written at {@code package}, built before this module in
 * the {@code mpi} profile).
 */
@Tag("mpi")
class PipelineMpiTest {
    private static final String SUITE = "io.bluefog.examples.pipeline.PipelineContractSuite";
    private static final String RUN_CONTRACT_SUITE = "io.bluefog.testing.RunContractSuite";
    private static final List<String> CHECKS = List.of("gpipeInputGradientsEqualTheSerialChainRule",
            "pprsIteratesEqualTheSerialRun", "mlpStageGradientsEqualTheSingleProcessGradient");
    /** Three ND4J JVMs on a shared 2-core machine: generous. */
    private static final Duration TIMEOUT = Duration.ofMinutes(5);
    private static final int NP = 3;

    private static List<String> examplesClasspath() throws Exception {
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

    @Test
    void pipelineSuitePassesUnderMpirunWithThreeStages() throws Exception {
        List<String> examples = examplesClasspath();
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
            for (String check : CHECKS) {
                assertTrue(Pattern.compile("rank " + rank + " PASS " + Pattern.quote(check) + "\\s*$", Pattern.MULTILINE)
                        .matcher(r.output()).find(), "no 'rank " + rank + " PASS " + check + "' in:\n" + r);
            }
        }
    }
}
