package io.bluefog.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.BlueFog;
import io.bluefog.BlueFogException;
import io.bluefog.ConfigurationException;
import io.bluefog.local.LocalCluster;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BlueFogConfigTest {
    @Test
    void defaultsFollowBlueFog() {
        BlueFogConfig c = BlueFogConfig.from(Map.of());
        assertEquals(8L * 1024 * 1024, c.fusionThresholdBytes());
        assertEquals(LogLevel.WARNING, c.logLevel());
        assertFalse(c.logLevelSet());
        assertEquals(Optional.empty(), c.timelinePrefix());
        assertEquals(120_000L, c.timeoutMillis());
        assertEquals(1L << 20, c.pipelineChunkBytes());
        assertFalse(c.skipNegotiation());
        assertTrue(c.nativeKernels());
        assertEquals(Optional.empty(), c.transport());
        assertEquals(io.bluefog.device.DeviceChoice.AUTO, c.device());
        assertEquals(BlueFogConfig.defaults(), c);
    }

    @Test
    void readsEveryVariable() {
        BlueFogConfig c = BlueFogConfig.from(Map.of(
                "BLUEFOG_LOG_LEVEL", "debug",
                "BLUEFOG_FUSION_THRESHOLD", "0",
                "BLUEFOG_TIMELINE", " /tmp/tl- ",
                "BLUEFOG_TIMEOUT_MILLIS", "2500",
                "BLUEFOG_PIPELINE_CHUNK", "4096",
                "BLUEFOG_SKIP_NEGOTIATE", "True",
                "BLUEFOG_NATIVE_KERNELS", "false",
                "BLUEFOG_TRANSPORT", "mpi",
                "BLUEFOG_DEVICE", "CPU"));
        assertEquals(LogLevel.DEBUG, c.logLevel());
        assertTrue(c.logLevelSet());
        assertEquals(0L, c.fusionThresholdBytes());
        assertEquals(Optional.of("/tmp/tl-"), c.timelinePrefix());
        assertEquals(2500L, c.timeoutMillis());
        assertEquals(4096L, c.pipelineChunkBytes());
        assertTrue(c.skipNegotiation());
        assertFalse(c.nativeKernels());
        assertEquals(Optional.of("mpi"), c.transport());
        assertEquals(io.bluefog.device.DeviceChoice.CPU, c.device());
        assertEquals(io.bluefog.device.DeviceChoice.CUDA,
                BlueFogConfig.defaults().withDevice(io.bluefog.device.DeviceChoice.CUDA).device());
        assertEquals(BlueFogConfig.MAX_FUSION_THRESHOLD_BYTES,
                BlueFogConfig.from(Map.of("BLUEFOG_FUSION_THRESHOLD", "2147483647")).fusionThresholdBytes());
        assertEquals(LogLevel.WARNING, BlueFogConfig.from(Map.of("BLUEFOG_LOG_LEVEL", "Warn")).logLevel());
        assertEquals(BlueFogConfig.defaults(), BlueFogConfig.from(Map.of("BLUEFOG_TIMELINE", "  ")),
                "blank means unset");
    }

    @Test
    void badValuesNameTheVariable() {
        for (Map.Entry<String, String> bad : List.of(
                Map.entry("BLUEFOG_LOG_LEVEL", "loud"),
                Map.entry("BLUEFOG_FUSION_THRESHOLD", "8MB"),
                Map.entry("BLUEFOG_FUSION_THRESHOLD", "-1"),
                Map.entry("BLUEFOG_FUSION_THRESHOLD", "4294967296"),
                Map.entry("BLUEFOG_NATIVE_KERNELS", "off"),
                Map.entry("BLUEFOG_TRANSPORT", "MPI!"),
                Map.entry("BLUEFOG_TIMEOUT_MILLIS", "0"),
                Map.entry("BLUEFOG_TIMEOUT_MILLIS", "soon"),
                Map.entry("BLUEFOG_PIPELINE_CHUNK", "4"),
                Map.entry("BLUEFOG_PIPELINE_CHUNK", "4294967296"),
                Map.entry("BLUEFOG_SKIP_NEGOTIATE", "maybe"),
                Map.entry("BLUEFOG_DEVICE", "gpu"))) {
            ConfigurationException e = assertThrows(ConfigurationException.class,
                    () -> BlueFogConfig.from(Map.of(bad.getKey(), bad.getValue())), bad.toString());
            assertTrue(e.getMessage().startsWith(bad.getKey() + "='" + bad.getValue() + "'"), e.getMessage());
            assertTrue(e instanceof BlueFogException);
        }
    }

    @Test
    void systemPropertyOverridesEnvironmentAndReachesLocalClusterRanks() {
        String old = System.getProperty(BlueFogConfig.FUSION_THRESHOLD);
        System.setProperty(BlueFogConfig.FUSION_THRESHOLD, "1024");
        try {
            assertEquals(1024L, BlueFogConfig.fromEnvironment().fusionThresholdBytes());
            assertEquals(List.of(1024L, 1024L),
                    LocalCluster.call(2, bf -> bf.config().fusionThresholdBytes()));
        } finally {
            if (old == null) {
                System.clearProperty(BlueFogConfig.FUSION_THRESHOLD);
            } else {
                System.setProperty(BlueFogConfig.FUSION_THRESHOLD, old);
            }
        }
    }

    @Test
    void timeoutFromConfigBoundsLocalClusterWaits() {
        LocalCluster cluster = LocalCluster.builder(2)
                .config(BlueFogConfig.defaults().withTimeoutMillis(150)).build();
        assertEquals(150L, cluster.timeoutMillis());
        assertEquals(99L, LocalCluster.builder(2).config(BlueFogConfig.defaults().withTimeoutMillis(150))
                .timeoutMillis(99).build().timeoutMillis(), "the builder's timeout wins");
    }

    @Test
    void withersValidate() {
        assertThrows(ConfigurationException.class, () -> BlueFogConfig.defaults().withTimeoutMillis(0));
        assertThrows(ConfigurationException.class, () -> BlueFogConfig.defaults().withFusionThresholdBytes(-5));
        BlueFogConfig c = BlueFogConfig.defaults().withLogLevel(LogLevel.TRACE).withTimelinePrefix("x");
        assertEquals(LogLevel.TRACE, c.logLevel());
        assertEquals(Optional.of("x"), c.timelinePrefix());
        assertEquals(Optional.empty(), c.withTimelinePrefix(null).timelinePrefix());
    }

    @Test
    void cacheCapacityIsReadAndChecked() {
        assertEquals(1024, BlueFogConfig.from(Map.of()).cacheCapacity(), "Horovod's default");
        assertEquals(0, BlueFogConfig.from(Map.of("BLUEFOG_CACHE_CAPACITY", "0")).cacheCapacity());
        assertEquals(7, BlueFogConfig.from(Map.of("BLUEFOG_CACHE_CAPACITY", " 7 ")).cacheCapacity());
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> BlueFogConfig.from(Map.of("BLUEFOG_CACHE_CAPACITY", "-1")));
        assertTrue(e.getMessage().contains("BLUEFOG_CACHE_CAPACITY='-1'"), e.getMessage());
        assertThrows(ConfigurationException.class, () -> BlueFogConfig.from(Map.of("BLUEFOG_CACHE_CAPACITY", "many")));
        assertThrows(ConfigurationException.class, () -> BlueFogConfig.defaults().withCacheCapacity(-1));
        assertEquals(3, BlueFogConfig.defaults().withCacheCapacity(3).cacheCapacity());
        assertFalse(BlueFogConfig.defaults().withCacheCapacity(3).equals(BlueFogConfig.defaults()));
    }

    @Test
    void windowShmIsReadAndChecked() {
        assertTrue(BlueFogConfig.from(Map.of()).windowShm(), "on by default");
        assertFalse(BlueFogConfig.from(Map.of("BLUEFOG_WINDOW_SHM", "false")).windowShm());
        assertTrue(BlueFogConfig.from(Map.of("BLUEFOG_WINDOW_SHM", "YES")).windowShm());
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> BlueFogConfig.from(Map.of("BLUEFOG_WINDOW_SHM", "maybe")));
        assertTrue(e.getMessage().contains("BLUEFOG_WINDOW_SHM='maybe'"), e.getMessage());
        assertFalse(BlueFogConfig.defaults().withWindowShm(false).windowShm());
        assertFalse(BlueFogConfig.defaults().withWindowShm(false).equals(BlueFogConfig.defaults()));
        assertTrue(BlueFogConfig.defaults().withWindowShm(false).toString().contains("BLUEFOG_WINDOW_SHM=false"));
    }

    @Test
    void allreduceShmIsReadAndChecked() {
        assertTrue(BlueFogConfig.from(Map.of()).allreduceShm(), "on by default");
        assertFalse(BlueFogConfig.from(Map.of("BLUEFOG_ALLREDUCE_SHM", "no")).allreduceShm());
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> BlueFogConfig.from(Map.of("BLUEFOG_ALLREDUCE_SHM", "off")));
        assertTrue(e.getMessage().contains("BLUEFOG_ALLREDUCE_SHM='off'"), e.getMessage());
        BlueFogConfig off = BlueFogConfig.from(Map.of("BLUEFOG_ALLREDUCE_SHM", "false"));
        assertFalse(off.equals(BlueFogConfig.defaults()));
        assertTrue(off.toString().contains("BLUEFOG_ALLREDUCE_SHM=false"), off.toString());
        assertFalse(off.withWindowShm(false).allreduceShm(), "kept by the with-methods");
    }

    @Test
    void everyVariableIsListed() {
        assertEquals(List.of("BLUEFOG_LOG_LEVEL", "BLUEFOG_FUSION_THRESHOLD", "BLUEFOG_TIMELINE", "BLUEFOG_PIPELINE_CHUNK",
                "BLUEFOG_SKIP_NEGOTIATE", "BLUEFOG_TIMEOUT_MILLIS", "BLUEFOG_NATIVE_KERNELS", "BLUEFOG_TRANSPORT",
                "BLUEFOG_DEVICE", "BLUEFOG_CACHE_CAPACITY", "BLUEFOG_WINDOW_SHM", "BLUEFOG_ALLREDUCE_SHM"),
                BlueFogConfig.VARIABLES);
        assertEquals(BlueFogConfig.TRANSPORT, BlueFog.TRANSPORT_ENV);
    }

    /**
     * A value every later reader would refuse must fail at init, not at the first collective: a fusion
     * threshold above one message (2^31 - 1 bytes) used to pass BlueFog.init and fail in Collectives.of.
     */
    @ParameterizedTest(name = "{0}={1}")
    @CsvSource({"BLUEFOG_FUSION_THRESHOLD, 4294967296", "BLUEFOG_NATIVE_KERNELS, sometimes",
            "BLUEFOG_TRANSPORT, no-such-transport", "BLUEFOG_PIPELINE_CHUNK, 2", "BLUEFOG_TIMEOUT_MILLIS, -5",
            "BLUEFOG_DEVICE, tpu"})
    void initAndOfRefuseBadSettings(String variable, String value) {
        String old = System.getProperty(variable);
        System.setProperty(variable, value);
        try {
            ConfigurationException e = assertThrows(ConfigurationException.class, () -> BlueFog.init(new String[0]));
            assertTrue(e.getMessage().startsWith(variable + "='" + value + "'"), e.getMessage());
            if (!variable.equals(BlueFogConfig.TRANSPORT)) {
                // BlueFog.of wraps a communicator that exists already; only the settings are checked
                assertThrows(ConfigurationException.class,
                        () -> BlueFog.of(LocalCluster.singleRank(BlueFogConfig.defaults())));
            }
        } finally {
            if (old == null) {
                System.clearProperty(variable);
            } else {
                System.setProperty(variable, old);
            }
        }
    }

    @Test
    void transportLocalIsAlwaysKnown() {
        String old = System.getProperty(BlueFogConfig.TRANSPORT);
        System.setProperty(BlueFogConfig.TRANSPORT, "local");
        try (BlueFog bf = BlueFog.init(new String[0])) {
            assertEquals("local", bf.communicator().transportName());
            assertEquals(Optional.of("local"), bf.config().transport());
        } finally {
            if (old == null) {
                System.clearProperty(BlueFogConfig.TRANSPORT);
            } else {
                System.setProperty(BlueFogConfig.TRANSPORT, old);
            }
        }
    }
}
