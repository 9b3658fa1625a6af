package io.bluefog.config;

import io.bluefog.ConfigurationException;
import io.bluefog.device.DeviceChoice;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Immutable runtime settings: the one place where every {@code BLUEFOG_*} variable of bluefog-jvm is
 * read and checked. Each setting is looked up first as a Java system property and then as an
 * environment variable of the same name (so {@code -DBLUEFOG_TIMELINE=/tmp/tl-} overrides
 * {@code export BLUEFOG_TIMELINE=...}); unset or blank means the default. Other modules read their
 * settings from here ({@code CollectivesConfig.from(bf.config())}, the collectives' native-kernel
 * switch), never from the environment themselves.
 *
 * <p>Which settings come from BlueFog: {@value #LOG_LEVEL}, {@value #FUSION_THRESHOLD} and
 * {@value #TIMELINE} have BlueFog's (and Horovod's) names and meaning; {@value #SKIP_NEGOTIATE} is the
 * environment form of BlueFog's {@code bf.set_skip_negotiate_stage(True)} (BlueFog sets that
 * stage from Python only). {@value #TIMEOUT_MILLIS}, {@value #PIPELINE_CHUNK}, {@value #NATIVE_KERNELS},
 * {@value #TRANSPORT}, {@value #DEVICE}, {@value #WINDOW_SHM} and {@value #ALLREDUCE_SHM} are bluefog-jvm's own; {@value #CACHE_CAPACITY} is Horovod's
 * {@code HOROVOD_CACHE_CAPACITY} under bluefog-jvm's prefix. {@code BLUEFOG_JAVA_OPTS} is read by {@code bfrun} only
 * (JVM options of the ranks), not by the runtime.
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>variable</th><th>meaning</th><th>default</th></tr>
 *   <tr><td>{@value #LOG_LEVEL}</td><td>trace, debug, info, warning (warn), error, fatal</td><td>warning</td></tr>
 *   <tr><td>{@value #FUSION_THRESHOLD}</td><td>tensor-fusion buffer size in bytes, integer 0 .. 2^31 - 1
 *       (one message; 0 disables fusion)</td><td>8 MiB = 8388608, as Horovod/BlueFog</td></tr>
 *   <tr><td>{@value #TIMELINE}</td><td>file prefix of the per-rank Chrome-trace timeline;
 *       rank r writes {@code <prefix><r>.json}</td><td>unset: no timeline</td></tr>
 *   <tr><td>{@value #PIPELINE_CHUNK}</td><td>chunk size in bytes of a pipelined neighborAllreduce
 *       (larger messages move and are combined chunk by chunk), integer 8 .. 2^31 - 1</td><td>1 MiB = 1048576</td></tr>
 *   <tr><td>{@value #SKIP_NEGOTIATE}</td><td>{@code true}: a neighborAllreduce checks its header with
 *       its neighbors only, instead of agreeing with every rank through rank 0 (BlueFog's
 *       {@code set_skip_negotiate_stage}); see {@code CollectivesConfig}</td><td>false</td></tr>
 *   <tr><td>{@value #TIMEOUT_MILLIS}</td><td>bound on a single blocking wait of a collective for its
 *       peers, and of the in-JVM transport, integer milliseconds &gt; 0</td><td>120000</td></tr>
 *   <tr><td>{@value #NATIVE_KERNELS}</td><td>{@code false}: the collectives combine with BLAS instead of
 *       their native C kernel (they also fall back to BLAS when the kernel is not built)</td><td>true</td></tr>
 *   <tr><td>{@value #TRANSPORT}</td><td>transport {@code BlueFog.init} uses, by its provider name
 *       ({@code mpi}, {@code local}); lower-case letters, digits, '-' and '_'</td><td>unset: the first
 *       available provider, else {@code local}</td></tr>
 *   <tr><td>{@value #DEVICE}</td><td>{@code auto}: a CUDA GPU when one is usable, else the CPU;
 *       {@code cpu}; {@code cuda}: a GPU or an error. Local rank r takes GPU {@code r mod count}
 *       (BlueFog's rule); see {@code io.bluefog.device.Devices#select}</td><td>auto</td></tr>
 *   <tr><td>{@value #CACHE_CAPACITY}</td><td>calls the collectives' response cache remembers, integer
 *       0 .. 2^31 - 1; a repeated call skips the round through rank 0 (Horovod's
 *       {@code HOROVOD_CACHE_CAPACITY}); 0 disables the cache; equal on every rank or 0 on none
 *       (see {@code CollectivesConfig})</td><td>1024, as Horovod</td></tr>
 *   <tr><td>{@value #WINDOW_SHM}</td><td>{@code false}: one-sided window payloads always travel as
 *       transport messages; {@code true}: between ranks on one host they go through memory-mapped
 *       files under {@code /dev/shm} when every rank of the window can map its in-neighbors' files
 *       (see {@code io.bluefog.collectives.window.Windows}, "Transport")</td><td>true</td></tr>
 *   <tr><td>{@value #ALLREDUCE_SHM}</td><td>{@code false}: allreduces of float tensors of 1 MiB and more
 *       travel as transport messages; {@code true}: when every rank runs on one host they go through a
 *       memory-mapped file under {@code /dev/shm} (see
 *       {@code io.bluefog.collectives.engine.SharedMemoryAllreduce}); process-wide, read when the
 *       collectives' engine starts</td><td>true</td></tr>
 * </table>
 *
 * <p>Booleans accept true/false, 1/0 and yes/no, case-insensitively. Bad values raise
 * {@link ConfigurationException} naming the variable and quoting the value, when the configuration
 * is read (at {@code BlueFog.init} and {@code BlueFog.of(Communicator)}), not at first use.
 */
public final class BlueFogConfig {
    public static final String LOG_LEVEL = "BLUEFOG_LOG_LEVEL";
    public static final String FUSION_THRESHOLD = "BLUEFOG_FUSION_THRESHOLD";
    public static final String TIMELINE = "BLUEFOG_TIMELINE";
    public static final String TIMEOUT_MILLIS = "BLUEFOG_TIMEOUT_MILLIS";
    public static final String PIPELINE_CHUNK = "BLUEFOG_PIPELINE_CHUNK";
    public static final String SKIP_NEGOTIATE = "BLUEFOG_SKIP_NEGOTIATE";
    public static final String NATIVE_KERNELS = "BLUEFOG_NATIVE_KERNELS";
    public static final String TRANSPORT = "BLUEFOG_TRANSPORT";
    public static final String DEVICE = "BLUEFOG_DEVICE";
    public static final String CACHE_CAPACITY = "BLUEFOG_CACHE_CAPACITY";
    public static final String WINDOW_SHM = "BLUEFOG_WINDOW_SHM";
    public static final String ALLREDUCE_SHM = "BLUEFOG_ALLREDUCE_SHM";

    /** Every variable read here, in the order of the table above. */
    public static final List<String> VARIABLES = List.of(LOG_LEVEL, FUSION_THRESHOLD, TIMELINE, PIPELINE_CHUNK,
            SKIP_NEGOTIATE, TIMEOUT_MILLIS, NATIVE_KERNELS, TRANSPORT, DEVICE, CACHE_CAPACITY, WINDOW_SHM,
            ALLREDUCE_SHM);

    public static final LogLevel DEFAULT_LOG_LEVEL = LogLevel.WARNING;
    public static final long DEFAULT_FUSION_THRESHOLD_BYTES = 8L * 1024 * 1024;
    /** Largest fusion threshold: one message of at most 2^31 - 1 bytes. */
    public static final long MAX_FUSION_THRESHOLD_BYTES = Integer.MAX_VALUE;
    public static final long DEFAULT_TIMEOUT_MILLIS = 120_000L;
    /** 1024 calls, Horovod's default {@code HOROVOD_CACHE_CAPACITY}. */
    public static final int DEFAULT_CACHE_CAPACITY = 1024;
    /**
     * 1 MiB: measured with {@code bfrun -np 2 collectives-bench} on 2 cores; smaller chunks pay more
     * per-message overhead, larger ones leave the cache before they are combined.
     */
    public static final long DEFAULT_PIPELINE_CHUNK_BYTES = 1L << 20;
    /** Smallest pipeline chunk: one float64 element. */
    public static final long MIN_PIPELINE_CHUNK_BYTES = Double.BYTES;
    /** Largest pipeline chunk: one message of at most 2^31 - 1 bytes. */
    public static final long MAX_PIPELINE_CHUNK_BYTES = Integer.MAX_VALUE;

    private static final Pattern TRANSPORT_NAME = Pattern.compile("[a-z][a-z0-9_-]*");

    private static final BlueFogConfig DEFAULTS =
            new BlueFogConfig(DEFAULT_LOG_LEVEL, false, DEFAULT_FUSION_THRESHOLD_BYTES, null, DEFAULT_TIMEOUT_MILLIS,
                    DEFAULT_PIPELINE_CHUNK_BYTES, false, true, null, DeviceChoice.AUTO, DEFAULT_CACHE_CAPACITY, true, true);

    private final LogLevel logLevel;
    private final boolean logLevelSet;
    private final long fusionThresholdBytes;
    private final String timelinePrefix;
    private final long timeoutMillis;
    private final long pipelineChunkBytes;
    private final boolean skipNegotiation;
    private final boolean nativeKernels;
    private final String transport;
    private final DeviceChoice device;
    private final int cacheCapacity;
    private final boolean windowShm;
    private final boolean allreduceShm;

    private BlueFogConfig(LogLevel logLevel, boolean logLevelSet, long fusionThresholdBytes, String timelinePrefix,
            long timeoutMillis, long pipelineChunkBytes, boolean skipNegotiation, boolean nativeKernels,
            String transport, DeviceChoice device, int cacheCapacity, boolean windowShm,
            boolean allreduceShm) {
        this.logLevel = logLevel;
        this.logLevelSet = logLevelSet;
        this.fusionThresholdBytes = fusionThresholdBytes;
        this.timelinePrefix = timelinePrefix;
        this.timeoutMillis = timeoutMillis;
        this.pipelineChunkBytes = pipelineChunkBytes;
        this.skipNegotiation = skipNegotiation;
        this.nativeKernels = nativeKernels;
        this.transport = transport;
        this.device = device;
        this.cacheCapacity = cacheCapacity;
        this.windowShm = windowShm;
        this.allreduceShm = allreduceShm;
    }

    /** @return every setting at its default */
    public static BlueFogConfig defaults() {
        return DEFAULTS;
    }

    /**
     * Reads every setting of {@link #VARIABLES} from system properties, then the environment.
     *
     * @throws ConfigurationException if a set value is invalid
     */
    public static BlueFogConfig fromEnvironment() {
        Map<String, String> vars = new HashMap<>();
        for (String name : VARIABLES) {
            String v = System.getProperty(name);
            if (v == null) {
                v = System.getenv(name);
            }
            if (v != null) {
                vars.put(name, v);
            }
        }
        return from(vars);
    }

    /**
     * Reads the settings from a map of variable name to value (absent or blank: default; other keys
     * are ignored).
     *
     * @throws ConfigurationException if a set value is invalid, naming the variable and quoting the value
     */
    public static BlueFogConfig from(Map<String, String> variables) {
        Objects.requireNonNull(variables, "variables");
        String level = blankToNull(variables.get(LOG_LEVEL));
        String fusion = blankToNull(variables.get(FUSION_THRESHOLD));
        String timeline = blankToNull(variables.get(TIMELINE));
        String timeout = blankToNull(variables.get(TIMEOUT_MILLIS));
        String chunk = blankToNull(variables.get(PIPELINE_CHUNK));
        String skip = blankToNull(variables.get(SKIP_NEGOTIATE));
        String kernels = blankToNull(variables.get(NATIVE_KERNELS));
        String transport = blankToNull(variables.get(TRANSPORT));
        String device = blankToNull(variables.get(DEVICE));
        String cache = blankToNull(variables.get(CACHE_CAPACITY));
        String shm = blankToNull(variables.get(WINDOW_SHM));
        String allreduceShm = blankToNull(variables.get(ALLREDUCE_SHM));
        if (transport != null && !TRANSPORT_NAME.matcher(transport).matches()) {
            throw new ConfigurationException(TRANSPORT + "='" + transport
                    + "' is not a transport name (lower-case letters, digits, '-' and '_', e.g. mpi or local)");
        }
        return new BlueFogConfig(
                level == null ? DEFAULT_LOG_LEVEL : LogLevel.parse(LOG_LEVEL, level),
                level != null,
                fusion == null ? DEFAULT_FUSION_THRESHOLD_BYTES
                        : parseLong(FUSION_THRESHOLD, fusion, 0, MAX_FUSION_THRESHOLD_BYTES),
                timeline,
                timeout == null ? DEFAULT_TIMEOUT_MILLIS : parseLong(TIMEOUT_MILLIS, timeout, 1, Long.MAX_VALUE),
                chunk == null ? DEFAULT_PIPELINE_CHUNK_BYTES
                        : parseLong(PIPELINE_CHUNK, chunk, MIN_PIPELINE_CHUNK_BYTES, MAX_PIPELINE_CHUNK_BYTES),
                skip != null && parseBoolean(SKIP_NEGOTIATE, skip),
                kernels == null || parseBoolean(NATIVE_KERNELS, kernels),
                transport,
                device == null ? DeviceChoice.AUTO : DeviceChoice.parse(DEVICE, device),
                cache == null ? DEFAULT_CACHE_CAPACITY : (int) parseLong(CACHE_CAPACITY, cache, 0, Integer.MAX_VALUE),
                shm == null || parseBoolean(WINDOW_SHM, shm),
                allreduceShm == null || parseBoolean(ALLREDUCE_SHM, allreduceShm));
    }

    /** @return the log level ({@value #LOG_LEVEL}) */
    public LogLevel logLevel() {
        return logLevel;
    }

    /** @return true if {@value #LOG_LEVEL} was given (BlueFog.init then configures slf4j-simple) */
    public boolean logLevelSet() {
        return logLevelSet;
    }

    /** @return the tensor-fusion threshold in bytes ({@value #FUSION_THRESHOLD}), 0 .. 2^31 - 1; 0 disables fusion */
    public long fusionThresholdBytes() {
        return fusionThresholdBytes;
    }

    /** @return the timeline file prefix ({@value #TIMELINE}), empty when no timeline is wanted */
    public Optional<String> timelinePrefix() {
        return Optional.ofNullable(timelinePrefix);
    }

    /** @return the bound on one blocking wait in milliseconds ({@value #TIMEOUT_MILLIS}) */
    public long timeoutMillis() {
        return timeoutMillis;
    }

    /** @return the chunk size in bytes of a pipelined neighborAllreduce ({@value #PIPELINE_CHUNK}) */
    public long pipelineChunkBytes() {
        return pipelineChunkBytes;
    }

    /** @return true if neighborAllreduce checks headers with its neighbors only ({@value #SKIP_NEGOTIATE}) */
    public boolean skipNegotiation() {
        return skipNegotiation;
    }

    /**
     * @return false if the collectives must combine with BLAS instead of their native kernel
     *         ({@value #NATIVE_KERNELS}). A process-wide switch: the collectives' engine reads it from
     *         {@link #fromEnvironment()} (there is no per-config override)
     */
    public boolean nativeKernels() {
        return nativeKernels;
    }

    /** @return the transport {@code BlueFog.init} must use ({@value #TRANSPORT}), empty for auto-detection */
    public Optional<String> transport() {
        return Optional.ofNullable(transport);
    }

    /**
     * @return false if window payloads must travel as messages even between ranks on one host
     *         ({@value #WINDOW_SHM}; see {@code io.bluefog.collectives.window.Windows}, "Transport")
     */
    public boolean windowShm() {
        return windowShm;
    }

    /**
     * @return false if large allreduces between ranks that all run on one host must travel as
     *         messages instead of through shared memory ({@value #ALLREDUCE_SHM}; see
     *         {@code io.bluefog.collectives.engine.SharedMemoryAllreduce}). A process-wide switch:
     *         the collectives' engine reads it from {@link #fromEnvironment()} when it starts
     */
    public boolean allreduceShm() {
        return allreduceShm;
    }

    /** @return a copy with the given {@value #WINDOW_SHM} setting */
    public BlueFogConfig withWindowShm(boolean on) {
        return new BlueFogConfig(logLevel, logLevelSet, fusionThresholdBytes, timelinePrefix, timeoutMillis,
                pipelineChunkBytes, skipNegotiation, nativeKernels, transport, device, cacheCapacity, on, allreduceShm);
    }

    /** @return calls the collectives' response cache remembers ({@value #CACHE_CAPACITY}); 0: no cache */
    public int cacheCapacity() {
        return cacheCapacity;
    }

    /**
     * @return a copy with the given {@value #CACHE_CAPACITY} setting
     * @throws ConfigurationException if negative
     */
    public BlueFogConfig withCacheCapacity(int capacity) {
        if (capacity < 0) {
            throw new ConfigurationException("cacheCapacity = " + capacity + " must be >= 0 (0 disables the cache)");
        }
        return new BlueFogConfig(logLevel, logLevelSet, fusionThresholdBytes, timelinePrefix, timeoutMillis,
                pipelineChunkBytes, skipNegotiation, nativeKernels, transport, device, capacity, windowShm, allreduceShm);
    }

    /** @return the device kind the ranks must use ({@value #DEVICE}); {@link DeviceChoice#AUTO} by default */
    public DeviceChoice device() {
        return device;
    }

    /** @return a copy with the given {@value #DEVICE} setting */
    public BlueFogConfig withDevice(DeviceChoice device) {
        return new BlueFogConfig(logLevel, logLevelSet, fusionThresholdBytes, timelinePrefix, timeoutMillis,
                pipelineChunkBytes, skipNegotiation, nativeKernels, transport, Objects.requireNonNull(device, "device"), cacheCapacity, windowShm, allreduceShm);
    }

    /** @return a copy with the given {@value #SKIP_NEGOTIATE} setting */
    public BlueFogConfig withSkipNegotiation(boolean skip) {
        return new BlueFogConfig(logLevel, logLevelSet, fusionThresholdBytes, timelinePrefix, timeoutMillis,
                pipelineChunkBytes, skip, nativeKernels, transport, device, cacheCapacity, windowShm, allreduceShm);
    }

    /** @return a copy with {@code logLevel} */
    public BlueFogConfig withLogLevel(LogLevel logLevel) {
        return new BlueFogConfig(Objects.requireNonNull(logLevel, "logLevel"), true, fusionThresholdBytes,
                timelinePrefix, timeoutMillis, pipelineChunkBytes, skipNegotiation, nativeKernels, transport, device, cacheCapacity, windowShm, allreduceShm);
    }

    /**
     * @return a copy with the given fusion threshold
     * @throws ConfigurationException if negative or above 2^31 - 1
     */
    public BlueFogConfig withFusionThresholdBytes(long fusionThresholdBytes) {
        if (fusionThresholdBytes < 0 || fusionThresholdBytes > MAX_FUSION_THRESHOLD_BYTES) {
            throw new ConfigurationException("fusionThresholdBytes = " + fusionThresholdBytes + " must be in 0.."
                    + MAX_FUSION_THRESHOLD_BYTES);
        }
        return new BlueFogConfig(logLevel, logLevelSet, fusionThresholdBytes, timelinePrefix, timeoutMillis,
                pipelineChunkBytes, skipNegotiation, nativeKernels, transport, device, cacheCapacity, windowShm, allreduceShm);
    }

    /** @return a copy writing timelines to {@code <prefix><rank>.json}; null or blank disables the timeline */
    public BlueFogConfig withTimelinePrefix(String prefix) {
        return new BlueFogConfig(logLevel, logLevelSet, fusionThresholdBytes, blankToNull(prefix), timeoutMillis,
                pipelineChunkBytes, skipNegotiation, nativeKernels, transport, device, cacheCapacity, windowShm, allreduceShm);
    }

    /**
     * @return a copy with the given timeout
     * @throws ConfigurationException if not positive
     */
    public BlueFogConfig withTimeoutMillis(long timeoutMillis) {
        if (timeoutMillis <= 0) {
            throw new ConfigurationException("timeoutMillis = " + timeoutMillis + " must be positive");
        }
        return new BlueFogConfig(logLevel, logLevelSet, fusionThresholdBytes, timelinePrefix, timeoutMillis,
                pipelineChunkBytes, skipNegotiation, nativeKernels, transport, device, cacheCapacity, windowShm, allreduceShm);
    }

    /**
     * @return a copy with the given pipeline chunk
     * @throws ConfigurationException if under 8 bytes or above 2^31 - 1
     */
    public BlueFogConfig withPipelineChunkBytes(long pipelineChunkBytes) {
        if (pipelineChunkBytes < MIN_PIPELINE_CHUNK_BYTES || pipelineChunkBytes > MAX_PIPELINE_CHUNK_BYTES) {
            throw new ConfigurationException("pipelineChunkBytes = " + pipelineChunkBytes + " must be in "
                    + MIN_PIPELINE_CHUNK_BYTES + ".." + MAX_PIPELINE_CHUNK_BYTES);
        }
        return new BlueFogConfig(logLevel, logLevelSet, fusionThresholdBytes, timelinePrefix, timeoutMillis,
                pipelineChunkBytes, skipNegotiation, nativeKernels, transport, device, cacheCapacity, windowShm, allreduceShm);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    private static boolean parseBoolean(String variable, String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            default -> throw new ConfigurationException(variable + "='" + value + "' must be true or false");
        };
    }

    private static long parseLong(String variable, String value, long min, long max) {
        long v;
        try {
            v = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new ConfigurationException(variable + "='" + value + "' is not an integer", e);
        }
        if (v < min) {
            throw new ConfigurationException(variable + "='" + value + "' must be >= " + min);
        }
        if (v > max) {
            throw new ConfigurationException(variable + "='" + value + "' must be <= " + max);
        }
        return v;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BlueFogConfig c && logLevel == c.logLevel && logLevelSet == c.logLevelSet
                && fusionThresholdBytes == c.fusionThresholdBytes && Objects.equals(timelinePrefix, c.timelinePrefix)
                && timeoutMillis == c.timeoutMillis && pipelineChunkBytes == c.pipelineChunkBytes
                && skipNegotiation == c.skipNegotiation && nativeKernels == c.nativeKernels
                && Objects.equals(transport, c.transport) && device == c.device && cacheCapacity == c.cacheCapacity
                && windowShm == c.windowShm && allreduceShm == c.allreduceShm;
    }

    @Override
    public int hashCode() {
        return Objects.hash(logLevel, logLevelSet, fusionThresholdBytes, timelinePrefix, timeoutMillis, pipelineChunkBytes,
                skipNegotiation, nativeKernels, transport, device, cacheCapacity, windowShm, allreduceShm);
    }

    @Override
    public String toString() {
        return LOG_LEVEL + "=" + logLevel + ", " + FUSION_THRESHOLD + "=" + fusionThresholdBytes + ", " + TIMELINE
                + "=" + (timelinePrefix == null ? "(unset)" : timelinePrefix) + ", " + TIMEOUT_MILLIS + "="
                + timeoutMillis + ", " + PIPELINE_CHUNK + "=" + pipelineChunkBytes + ", " + SKIP_NEGOTIATE + "="
                + skipNegotiation + ", " + NATIVE_KERNELS + "=" + nativeKernels + ", " + TRANSPORT + "="
                + (transport == null ? "(unset)" : transport) + ", " + DEVICE + "=" + device + ", " + CACHE_CAPACITY + "="
                + cacheCapacity + ", " + WINDOW_SHM + "=" + windowShm + ", " + ALLREDUCE_SHM + "="
                + allreduceShm;
    }
}
