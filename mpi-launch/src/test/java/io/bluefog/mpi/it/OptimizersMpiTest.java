package io.bluefog.mpi.it;

import io.bluefog.testing.ContractSuite;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;


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
    /** Four JVMs with ND4J on a shared 2-core machine: generous. */
    private static final Duration TIMEOUT = Duration.ofMinutes(15);
    private static final int NP = 4;

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
        List<String> examples = ExamplesSuiteUnderMpirun.examplesClasspath();
        ExamplesSuiteUnderMpirun.assertPasses(SUITE, NP, checkNames(examples), examples, TIMEOUT);
    }
}
