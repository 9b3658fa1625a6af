package io.bluefog.collectives;

import io.bluefog.collectives.testing.CollectivesContract;
import io.bluefog.config.BlueFogConfig;
import io.bluefog.local.LocalCluster;
import io.bluefog.testing.LocalContractTests;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/**
 * The whole collectives contract again with a pipeline chunk of 24 bytes (6 float32 or 3 float64
 * elements), so that every neighborAllreduce of the suite moves in several chunks, most with a
 * shorter last chunk: the chunked exchange and per-chunk combine must give the same closed forms
 * and serial references as one message.
 */
class PipelinedContractTest {
    /** Not a multiple of 8 floats or 4 doubles: the suite's tensor lengths end in partial chunks. */
    static final long TINY_CHUNK_BYTES = 24;

    @TestFactory
    Stream<DynamicNode> contractWithTinyChunks() {
        return IntStream.of(1, 2, 3, 4, 5, 8).mapToObj(n -> DynamicContainer.dynamicContainer("n = " + n,
                LocalContractTests.forCluster(new CollectivesContract(), LocalCluster.builder(n)
                        .config(BlueFogConfig.defaults().withPipelineChunkBytes(TINY_CHUNK_BYTES)).build())));
    }
}
