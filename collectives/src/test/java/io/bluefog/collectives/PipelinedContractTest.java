package io.bluefog.collectives;

import io.bluefog.collectives.testing.CollectivesContract;
import io.bluefog.config.BlueFogConfig;
import io.bluefog.local.LocalCluster;
import io.bluefog.testing.RankCheck;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The whole collectives contract again with a pipeline chunk of 24 bytes (6 float32 or 3 float64
 * elements), so that every neighborAllreduce of the suite moves in several chunks, most with a
 * shorter last chunk: the chunked exchange and per-chunk combine must give the same closed forms
 * and serial references as one message. Run once with the native one-pass combine kernel (the
 * default when it is built) and once with the Java combine it falls back to.
 */
class PipelinedContractTest {
    /** Not a multiple of 8 floats or 4 doubles: the suite's tensor lengths end in partial chunks. */
    static final long TINY_CHUNK_BYTES = 24;
    static final int[] SIZES = {1, 2, 3, 4, 5, 8};
    /** The engine reads it when a Collectives instance is created, i.e. inside each check. */
    static final String KERNEL_SETTING = "BLUEFOG_NATIVE_KERNELS";

    @TestFactory
    Stream<DynamicNode> contractWithTinyChunks() {
        List<DynamicNode> nodes = new ArrayList<>();
        for (String kernel : new String[] {"native", "blas"}) {
            for (int n : SIZES) {
                LocalCluster cluster = LocalCluster.builder(n)
                        .config(BlueFogConfig.defaults().withPipelineChunkBytes(TINY_CHUNK_BYTES)).build();
                List<DynamicTest> tests = new ArrayList<>();
                for (Map.Entry<String, RankCheck> e : new CollectivesContract().checks().entrySet()) {
                    RankCheck check = e.getValue();
                    tests.add(DynamicTest.dynamicTest(e.getKey(), () -> withKernel(kernel, () -> cluster.run(check::run))));
                }
                nodes.add(DynamicContainer.dynamicContainer(kernel + " combine, n = " + n, tests));
            }
        }
        return nodes.stream();
    }

    private static void withKernel(String kernel, ThrowingRunnable body) throws Throwable {
        String old = System.getProperty(KERNEL_SETTING);
        System.setProperty(KERNEL_SETTING, Boolean.toString(kernel.equals("native")));
        try {
            body.run();
        } finally {
            if (old == null) {
                System.clearProperty(KERNEL_SETTING);
            } else {
                System.setProperty(KERNEL_SETTING, old);
            }
        }
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Throwable;
    }
}
