package io.bluefog.config;

import io.bluefog.ConfigurationException;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Immutable runtime settings, read with BlueFog's variable names. Each setting is looked up first as
 * a Java system property and then as an environment variable of the same name (so
 * {@code -DBLUEFOG_TIMELINE=/tmp/tl-} overrides {@code export BLUEFOG_TIMELINE=...}); unset or blank
 * means the default.
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>variable</th><th>meaning</th><th>default</th></tr>
 *   <tr><td>{@value #LOG_LEVEL}</td><td>trace, debug, info, warning (warn), error, fatal</td><td>warning</td></tr>
 *   <tr><td>{@value #FUSION_THRESHOLD}</td><td>tensor-fusion buffer size in bytes, integer &ge; 0
 *       (0 disables fusion)</td><td>8 MiB = 8388608, as Horovod/BlueFog</td></tr>
 *   <tr><td>{@value #TIMELINE}</td><td>file prefix of the per-rank Chrome-trace timeline;
 *       rank r writes {@code <prefix><r>.json}</td><td>unset: no timeline</td></tr>
 *   <tr><td>{@value #PIPELINE_CHUNK}</td><td>chunk size in bytes of a pipelined neighborAllreduce
 *       (larger messages move and are combined chunk by chunk), integer 8 .. 2^31 - 1</td><td>1 MiB = 1048576</td></tr>
 *   <tr><td>{@value #SKIP_NEGOTIATE}</td><td>{@code true}: a neighborAllreduce checks its header with
 *       its neighbors only, instead of agreeing with every rank through rank 0 (BlueFog's
 *       {@code set_skip_negotiate_stage}); see {@code CollectivesConfig}</td><td>false</td></tr>
 *   <tr><td>{@value #TIMEOUT_MILLIS}</td><td>bound on a single blocking wait of transports that have
 *       one (the in-JVM transport), integer milliseconds &gt; 0</td><td>120000</td></tr>
 * </table>
 *
 * <p>Bad values raise {@link ConfigurationException} naming the variable and the value, when the
 * configuration is read (at {@code BlueFog.init}), not at first use.
 */
public final class BlueFogConfig {
    public static final String LOG_LEVEL = "BLUEFOG_LOG_LEVEL";
    public static final String FUSION_THRESHOLD = "BLUEFOG_FUSION_THRESHOLD";
    public static final String TIMELINE = "BLUEFOG_TIMELINE";
    public static final String TIMEOUT_MILLIS = "BLUEFOG_TIMEOUT_MILLIS";
    public static final String PIPELINE_CHUNK = "BLUEFOG_PIPELINE_CHUNK";
    public static final String SKIP_NEGOTIATE = "BLUEFOG_SKIP_NEGOTIATE";

    public static final LogLevel DEFAULT_LOG_LEVEL = LogLevel.WARNING;
    public static final long DEFAULT_FUSION_THRESHOLD_BYTES = 8L * 1024 * 1024;
    public static final long DEFAULT_TIMEOUT_MILLIS = 120_000L;
    /**
     * 1 MiB: measured with {@code bfrun -np 2 collectives-bench} on 2 cores; smaller chunks pay more
     * per-message overhead, larger ones leave the cache before they are combined.
     */
    public static final long DEFAULT_PIPELINE_CHUNK_BYTES = 1L << 20;

    private static final BlueFogConfig DEFAULTS =
            new BlueFogConfig(DEFAULT_LOG_LEVEL, false, DEFAULT_FUSION_THRESHOLD_BYTES, null, DEFAULT_TIMEOUT_MILLIS,
                    DEFAULT_PIPELINE_CHUNK_BYTES, false);

    private final LogLevel logLevel;
    private final boolean logLevelSet;
    private final long fusionThresholdBytes;
    private final String timelinePrefix;
    private final long timeoutMillis;
    private final long pipelineChunkBytes;
    private final boolean skipNegotiation;

    private BlueFogConfig(LogLevel logLevel, boolean logLevelSet, long fusionThresholdBytes, String timelinePrefix,
            long timeoutMillis, long pipelineChunkBytes, boolean skipNegotiation) {
        this.logLevel = logLevel;
        this.logLevelSet = logLevelSet;
        this.fusionThresholdBytes = fusionThresholdBytes;
        this.timelinePrefix = timelinePrefix;
        this.timeoutMillis = timeoutMillis;
        this.pipelineChunkBytes = pipelineChunkBytes;
        this.skipNegotiation = skipNegotiation;
    }

    /** @return every setting at its default */
    public static BlueFogConfig defaults() {
        return DEFAULTS;
    }

    /**
     * Reads the settings from system properties, then the environment.
     *
     * @throws ConfigurationException if a set value is invalid
     */
    public static BlueFogConfig fromEnvironment() {
        Map<String, String> vars = new HashMap<>();
        for (String name : new String[] {LOG_LEVEL, FUSION_THRESHOLD, TIMELINE, TIMEOUT_MILLIS, PIPELINE_CHUNK, SKIP_NEGOTIATE}) {
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
     * Reads the settings from a map of variable name to value (absent or blank: default).
     *
     * @throws ConfigurationException if a set value is invalid
     */
    public static BlueFogConfig from(Map<String, String> variables) {
        Objects.requireNonNull(variables, "variables");
        String level = blankToNull(variables.get(LOG_LEVEL));
        String fusion = blankToNull(variables.get(FUSION_THRESHOLD));
        String timeline = blankToNull(variables.get(TIMELINE));
        String timeout = blankToNull(variables.get(TIMEOUT_MILLIS));
        String chunk = blankToNull(variables.get(PIPELINE_CHUNK));
        String skip = blankToNull(variables.get(SKIP_NEGOTIATE));
        return new BlueFogConfig(
                level == null ? DEFAULT_LOG_LEVEL : LogLevel.parse(LOG_LEVEL, level),
                level != null,
                fusion == null ? DEFAULT_FUSION_THRESHOLD_BYTES : parseLong(FUSION_THRESHOLD, fusion, 0, Long.MAX_VALUE),
                timeline,
                timeout == null ? DEFAULT_TIMEOUT_MILLIS : parseLong(TIMEOUT_MILLIS, timeout, 1, Long.MAX_VALUE),
                chunk == null ? DEFAULT_PIPELINE_CHUNK_BYTES
                        : parseLong(PIPELINE_CHUNK, chunk, Double.BYTES, Integer.MAX_VALUE),
                skip != null && parseBoolean(SKIP_NEGOTIATE, skip));
    }

    /** @return the log level ({@value #LOG_LEVEL}) */
    public LogLevel logLevel() {
        return logLevel;
    }

    /** @return true if {@value #LOG_LEVEL} was given (BlueFog.init then configures slf4j-simple) */
    public boolean logLevelSet() {
        return logLevelSet;
    }

    /** @return the tensor-fusion threshold in bytes ({@value #FUSION_THRESHOLD}); 0 disables fusion */
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

    /** @return a copy with the given {@value #SKIP_NEGOTIATE} setting */
    public BlueFogConfig withSkipNegotiation(boolean skip) {
        return new BlueFogConfig(logLevel, logLevelSet, fusionThresholdBytes, timelinePrefix, timeoutMillis,
                pipelineChunkBytes, skip);
    }

    /** @return a copy with {@code logLevel} */
    public BlueFogConfig withLogLevel(LogLevel logLevel) {
        return new BlueFogConfig(Objects.requireNonNull(logLevel, "logLevel"), true, fusionThresholdBytes,
                timelinePrefix, timeoutMillis, pipelineChunkBytes, skipNegotiation);
    }

    /**
     * @return a copy with the given fusion threshold
     * @throws ConfigurationException if negative
     */
    public BlueFogConfig withFusionThresholdBytes(long fusionThresholdBytes) {
        if (fusionThresholdBytes < 0) {
            throw new ConfigurationException("fusionThresholdBytes = " + fusionThresholdBytes + " must be >= 0");
        }
        return new BlueFogConfig(logLevel, logLevelSet, fusionThresholdBytes, timelinePrefix, timeoutMillis,
                pipelineChunkBytes, skipNegotiation);
    }

    /** @return a copy writing timelines to {@code <prefix><rank>.json}; null or blank disables the timeline */
    public BlueFogConfig withTimelinePrefix(String prefix) {
        return new BlueFogConfig(logLevel, logLevelSet, fusionThresholdBytes, blankToNull(prefix), timeoutMillis,
                pipelineChunkBytes, skipNegotiation);
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
                pipelineChunkBytes, skipNegotiation);
    }

    /**
     * @return a copy with the given pipeline chunk
     * @throws ConfigurationException if under 8 bytes or above 2^31 - 1
     */
    public BlueFogConfig withPipelineChunkBytes(long pipelineChunkBytes) {
        if (pipelineChunkBytes < Double.BYTES || pipelineChunkBytes > Integer.MAX_VALUE) {
            throw new ConfigurationException("pipelineChunkBytes = " + pipelineChunkBytes + " must be in "
                    + Double.BYTES + ".." + Integer.MAX_VALUE);
        }
        return new BlueFogConfig(logLevel, logLevelSet, fusionThresholdBytes, timelinePrefix, timeoutMillis,
                pipelineChunkBytes, skipNegotiation);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    private static boolean parseBoolean(String variable, String value) {
        return switch (value.toLowerCase(java.util.Locale.ROOT)) {
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
                && skipNegotiation == c.skipNegotiation;
    }

    @Override
    public int hashCode() {
        return Objects.hash(logLevel, logLevelSet, fusionThresholdBytes, timelinePrefix, timeoutMillis, pipelineChunkBytes,
                skipNegotiation);
    }

    @Override
    public String toString() {
        return LOG_LEVEL + "=" + logLevel + ", " + FUSION_THRESHOLD + "=" + fusionThresholdBytes + ", " + TIMELINE
                + "=" + (timelinePrefix == null ? "(unset)" : timelinePrefix) + ", " + TIMEOUT_MILLIS + "="
                + timeoutMillis + ", " + PIPELINE_CHUNK + "=" + pipelineChunkBytes + ", " + SKIP_NEGOTIATE + "="
                + skipNegotiation;
    }
}
