package io.bluefog.collectives;

/**
 * Immutable engine settings of {@link Collectives}.
 *
 * @param fusionThresholdBytes largest fused message in bytes; consecutive small operations of the
 *                             same kind are packed into one message up to this size (BlueFog's
 *                             {@code BLUEFOG_FUSION_THRESHOLD}; 0 disables fusion)
 * @param timeoutMillis        how long a rank waits for its peers to join an operation (or to send
 *                             the data of one) before it raises {@link io.bluefog.BlueFogTimeoutException}
 */
public record CollectivesConfig(long fusionThresholdBytes, long timeoutMillis) {
    /** Environment variable of the fusion threshold, bytes (BlueFog's name). */
    public static final String FUSION_THRESHOLD_ENV = "BLUEFOG_FUSION_THRESHOLD";
    /** Environment variable of the peer timeout, milliseconds. */
    public static final String TIMEOUT_ENV = "BLUEFOG_TIMEOUT_MILLIS";
    /** 8 MiB, as BlueFog and Horovod. */
    public static final long DEFAULT_FUSION_THRESHOLD_BYTES = 8L << 20;
    /** 60 s: long enough for ranks that start seconds apart (ND4J loads in ~4 s per JVM on shared cores). */
    public static final long DEFAULT_TIMEOUT_MILLIS = 60_000;

    /** @throws IllegalArgumentException if the threshold is negative or above 2^31 - 1, or the timeout is not positive */
    public CollectivesConfig {
        if (fusionThresholdBytes < 0 || fusionThresholdBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("fusionThresholdBytes must be in 0.." + Integer.MAX_VALUE
                    + " (one message), got " + fusionThresholdBytes);
        }
        if (timeoutMillis <= 0) {
            throw new IllegalArgumentException("timeoutMillis must be > 0, got " + timeoutMillis);
        }
    }

    /** @return the defaults, overridden by {@value #FUSION_THRESHOLD_ENV} and {@value #TIMEOUT_ENV} when set */
    public static CollectivesConfig fromEnvironment() {
        return new CollectivesConfig(
                parse(FUSION_THRESHOLD_ENV, System.getenv(FUSION_THRESHOLD_ENV), DEFAULT_FUSION_THRESHOLD_BYTES),
                parse(TIMEOUT_ENV, System.getenv(TIMEOUT_ENV), DEFAULT_TIMEOUT_MILLIS));
    }

    /** @return a copy with another fusion threshold */
    public CollectivesConfig withFusionThresholdBytes(long bytes) {
        return new CollectivesConfig(bytes, timeoutMillis);
    }

    /** @return a copy with another timeout */
    public CollectivesConfig withTimeoutMillis(long millis) {
        return new CollectivesConfig(fusionThresholdBytes, millis);
    }

    static long parse(String name, String value, long dflt) {
        if (value == null || value.isBlank()) {
            return dflt;
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer, got '" + value + "'");
        }
    }
}
