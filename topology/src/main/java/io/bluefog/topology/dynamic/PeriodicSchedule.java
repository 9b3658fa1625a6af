package io.bluefog.topology.dynamic;

import io.bluefog.topology.Topology;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.LongFunction;

/**
 * A schedule given by a function of the iteration. When the period is known and small the
 * matrices of one period are built once and cached, because every rank asks for {@code at(k)} at
 * every iteration.
 */
final class PeriodicSchedule implements DynamicTopology {
    /** Periods up to this many matrices are cached (at most this many Topology objects). */
    static final int CACHE_LIMIT = 4096;

    private final String name;
    private final int size;
    private final int period;
    private final LongFunction<Topology> generator;
    private final AtomicReferenceArray<Topology> cache;

    /**
     * @param period    as {@link DynamicTopology#period()}; 0 when unknown or too large
     * @param generator builds the topology of an iteration; must be pure
     */
    PeriodicSchedule(String name, int size, int period, LongFunction<Topology> generator) {
        this.name = name;
        this.size = size;
        this.period = period;
        this.generator = generator;
        this.cache = period > 0 && period <= CACHE_LIMIT ? new AtomicReferenceArray<>(period) : null;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Topology at(long iteration) {
        DynamicTopology.requireIteration(iteration);
        if (cache == null) {
            return generator.apply(period > 0 ? iteration % period : iteration);
        }
        int slot = (int) (iteration % period);
        Topology t = cache.get(slot);
        if (t == null) {
            // Racing threads build equal values; keeping whichever lands first is harmless.
            t = generator.apply(slot);
            cache.compareAndSet(slot, null, t);
            t = cache.get(slot);
        }
        return t;
    }

    @Override
    public int period() {
        return period;
    }

    @Override
    public String toString() {
        return name + "[n=" + size + ", period=" + period + "]";
    }
}
