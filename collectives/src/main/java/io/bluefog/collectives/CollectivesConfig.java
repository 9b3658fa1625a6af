package io.bluefog.collectives;

import io.bluefog.config.BlueFogConfig;

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
    /** Environment variable of the fusion threshold, bytes (BlueFog's name); read by {@link BlueFogConfig}. */
    public static final String FUSION_THRESHOLD_ENV = BlueFogConfig.FUSION_THRESHOLD;
    /** Environment variable of the peer timeout, milliseconds; read by {@link BlueFogConfig}. */
    public static final String TIMEOUT_ENV = BlueFogConfig.TIMEOUT_MILLIS;
    /** 8 MiB, as BlueFog and Horovod. */
    public static final long DEFAULT_FUSION_THRESHOLD_BYTES = BlueFogConfig.DEFAULT_FUSION_THRESHOLD_BYTES;
    /** The runtime's default: long enough for ranks that start seconds apart on shared cores. */
    public static final long DEFAULT_TIMEOUT_MILLIS = BlueFogConfig.DEFAULT_TIMEOUT_MILLIS;

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

    /** @return the fusion threshold and timeout of the rank's runtime settings ({@code bf.config()}) */
    public static CollectivesConfig from(BlueFogConfig config) {
        return new CollectivesConfig(config.fusionThresholdBytes(), config.timeoutMillis());
    }

    /** @return the defaults, overridden by {@value #FUSION_THRESHOLD_ENV} and {@value #TIMEOUT_ENV} when set */
    public static CollectivesConfig fromEnvironment() {
        return from(BlueFogConfig.fromEnvironment());
    }

    /** @return a copy with another fusion threshold */
    public CollectivesConfig withFusionThresholdBytes(long bytes) {
        return new CollectivesConfig(bytes, timeoutMillis);
    }

    /** @return a copy with another timeout */
    public CollectivesConfig withTimeoutMillis(long millis) {
        return new CollectivesConfig(fusionThresholdBytes, millis);
    }
}
