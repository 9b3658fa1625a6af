package io.bluefog.collectives;

import io.bluefog.config.BlueFogConfig;

/**
 * Immutable engine settings of {@link Collectives}, taken from the rank's {@link BlueFogConfig}
 * ({@link #from(BlueFogConfig)}): the environment variables are read and checked there, at
 * {@code BlueFog.init}, so every configuration {@code BlueFog.init} accepts gives a valid
 * {@code CollectivesConfig}. The constructor's {@link IllegalArgumentException} is for values
 * passed in code.
 *
 * @param fusionThresholdBytes largest fused message in bytes; consecutive small operations of the
 *                             same kind are packed into one message up to this size (BlueFog's
 *                             {@code BLUEFOG_FUSION_THRESHOLD}; 0 disables fusion)
 * @param timeoutMillis        how long a rank waits for its peers to join an operation (or to send
 *                             the data of one) before it raises {@link io.bluefog.BlueFogTimeoutException}
 * @param pipelineChunkBytes   a neighborAllreduce message larger than this moves in chunks of this
 *                             many bytes, and each chunk is combined as soon as it has arrived, while
 *                             it is still in cache and while later chunks are on the way
 * @param skipNegotiation      BlueFog's {@code set_skip_negotiate_stage}: a neighborAllreduce (given by a
 *                             topology, or dynamic neighbors without the consistency check) skips the
 *                             agreement through rank 0 and checks its header with its neighbors only,
 *                             so it waits for its neighbors instead of every rank. A mismatch then fails
 *                             only on the ranks whose neighbors disagree (the others complete); a rank
 *                             that calls another collective while its neighbors call neighborAllreduce
 *                             makes them time out instead of failing at once; such calls are not fused
 * @param cacheCapacity        calls the response cache remembers (Horovod's {@code HOROVOD_CACHE_CAPACITY},
 *                             environment variable {@value #CACHE_CAPACITY_ENV}, default
 *                             {@value #DEFAULT_CACHE_CAPACITY}): a call every rank has agreed on before is
 *                             announced by its cache slot in one exchange between the ranks instead of the
 *                             round through rank 0; a mismatch still fails on every rank with the same text.
 *                             0 disables the cache. Must be 0 on every rank or on none (else the ranks time out)
 */
public record CollectivesConfig(long fusionThresholdBytes, long timeoutMillis, long pipelineChunkBytes,
                                boolean skipNegotiation, int cacheCapacity) {
    /** Environment variable of the fusion threshold, bytes (BlueFog's name); read by {@link BlueFogConfig}. */
    public static final String FUSION_THRESHOLD_ENV = BlueFogConfig.FUSION_THRESHOLD;
    /** Environment variable of the peer timeout, milliseconds; read by {@link BlueFogConfig}. */
    public static final String TIMEOUT_ENV = BlueFogConfig.TIMEOUT_MILLIS;
    /** 8 MiB, as BlueFog and Horovod. */
    public static final long DEFAULT_FUSION_THRESHOLD_BYTES = BlueFogConfig.DEFAULT_FUSION_THRESHOLD_BYTES;
    /** The runtime's default: long enough for ranks that start seconds apart on shared cores. */
    public static final long DEFAULT_TIMEOUT_MILLIS = BlueFogConfig.DEFAULT_TIMEOUT_MILLIS;

    /** Environment variable of {@link #skipNegotiation()} (true/false); read by {@link BlueFogConfig}. */
    public static final String SKIP_NEGOTIATE_ENV = BlueFogConfig.SKIP_NEGOTIATE;
    /** Environment variable of the pipeline chunk, bytes; read by {@link BlueFogConfig}. */
    public static final String PIPELINE_CHUNK_ENV = BlueFogConfig.PIPELINE_CHUNK;
    /** 1 MiB, see {@link BlueFogConfig#DEFAULT_PIPELINE_CHUNK_BYTES}. */
    public static final long DEFAULT_PIPELINE_CHUNK_BYTES = BlueFogConfig.DEFAULT_PIPELINE_CHUNK_BYTES;
    /** Environment variable of {@link #cacheCapacity()}, a count of calls; read by {@link BlueFogConfig}. */
    public static final String CACHE_CAPACITY_ENV = BlueFogConfig.CACHE_CAPACITY;
    /** 1024, Horovod's default {@code HOROVOD_CACHE_CAPACITY}. */
    public static final int DEFAULT_CACHE_CAPACITY = BlueFogConfig.DEFAULT_CACHE_CAPACITY;

    /**
     * @throws IllegalArgumentException if the threshold is negative or above 2^31 - 1, the timeout is
     *                                  not positive, the chunk is under 8 bytes or above 2^31 - 1, or
     *                                  the cache capacity is negative
     */
    public CollectivesConfig {
        if (cacheCapacity < 0) {
            throw new IllegalArgumentException("cacheCapacity must be >= 0 (0 disables the cache), got " + cacheCapacity);
        }
        if (fusionThresholdBytes < 0 || fusionThresholdBytes > BlueFogConfig.MAX_FUSION_THRESHOLD_BYTES) {
            throw new IllegalArgumentException("fusionThresholdBytes must be in 0.." + BlueFogConfig.MAX_FUSION_THRESHOLD_BYTES
                    + " (one message), got " + fusionThresholdBytes);
        }
        if (timeoutMillis <= 0) {
            throw new IllegalArgumentException("timeoutMillis must be > 0, got " + timeoutMillis);
        }
        if (pipelineChunkBytes < BlueFogConfig.MIN_PIPELINE_CHUNK_BYTES
                || pipelineChunkBytes > BlueFogConfig.MAX_PIPELINE_CHUNK_BYTES) {
            throw new IllegalArgumentException("pipelineChunkBytes must be in " + BlueFogConfig.MIN_PIPELINE_CHUNK_BYTES
                    + ".." + BlueFogConfig.MAX_PIPELINE_CHUNK_BYTES
                    + ", got " + pipelineChunkBytes);
        }
    }

    /** Settings with the default cache capacity, {@link #DEFAULT_CACHE_CAPACITY}. */
    public CollectivesConfig(long fusionThresholdBytes, long timeoutMillis, long pipelineChunkBytes,
            boolean skipNegotiation) {
        this(fusionThresholdBytes, timeoutMillis, pipelineChunkBytes, skipNegotiation, DEFAULT_CACHE_CAPACITY);
    }

    /** Settings with the default pipeline chunk, {@link #DEFAULT_PIPELINE_CHUNK_BYTES}, and negotiation on. */
    public CollectivesConfig(long fusionThresholdBytes, long timeoutMillis) {
        this(fusionThresholdBytes, timeoutMillis, DEFAULT_PIPELINE_CHUNK_BYTES, false);
    }

    /**
     * @return the fusion threshold, timeout, pipeline chunk, negotiation setting and cache capacity of the
     *         rank's runtime settings ({@code bf.config()})
     */
    public static CollectivesConfig from(BlueFogConfig config) {
        return new CollectivesConfig(config.fusionThresholdBytes(), config.timeoutMillis(), config.pipelineChunkBytes(),
                config.skipNegotiation(), config.cacheCapacity());
    }


    /**
     * @return the defaults, overridden by {@value #FUSION_THRESHOLD_ENV}, {@value #TIMEOUT_ENV},
     *         {@value #PIPELINE_CHUNK_ENV} and {@value #SKIP_NEGOTIATE_ENV} when set
     * @throws io.bluefog.ConfigurationException if a {@code BLUEFOG_*} setting is invalid
     */
    public static CollectivesConfig fromEnvironment() {
        return from(BlueFogConfig.fromEnvironment());
    }

    /** @return a copy with another fusion threshold */
    public CollectivesConfig withFusionThresholdBytes(long bytes) {
        return new CollectivesConfig(bytes, timeoutMillis, pipelineChunkBytes, skipNegotiation, cacheCapacity);
    }

    /** @return a copy with another timeout */
    public CollectivesConfig withTimeoutMillis(long millis) {
        return new CollectivesConfig(fusionThresholdBytes, millis, pipelineChunkBytes, skipNegotiation, cacheCapacity);
    }

    /** @return a copy with another pipeline chunk size */
    public CollectivesConfig withPipelineChunkBytes(long bytes) {
        return new CollectivesConfig(fusionThresholdBytes, timeoutMillis, bytes, skipNegotiation, cacheCapacity);
    }

    /** @return a copy with negotiation skipped or not (see {@link #skipNegotiation()}) */
    public CollectivesConfig withSkipNegotiation(boolean skip) {
        return new CollectivesConfig(fusionThresholdBytes, timeoutMillis, pipelineChunkBytes, skip, cacheCapacity);
    }

    /**
     * @return a copy with another response-cache capacity (see {@link #cacheCapacity()}; 0 disables it)
     * @throws IllegalArgumentException if negative
     */
    public CollectivesConfig withCacheCapacity(int capacity) {
        return new CollectivesConfig(fusionThresholdBytes, timeoutMillis, pipelineChunkBytes, skipNegotiation, capacity);
    }
}
