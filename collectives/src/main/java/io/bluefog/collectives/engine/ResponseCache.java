package io.bluefog.collectives.engine;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The calls this rank has agreed with every other rank, so that a repeated call can skip the
 * round through rank 0 (the idea of Horovod's response cache, {@code horovod/common/response_cache.cc}:
 * once a request has been negotiated, later identical requests are announced by a cache position
 * instead of the full request).
 *
 * <p>A call's signature is this rank's own {@link Headers header} without the call number: kind,
 * dtype, shape, name, the global parameter (reduce op, root, topology/mode hash) and the local one
 * (this rank's weights), and the pair-gossip peer. Every operation of every batch the coordinator
 * agreed gets the next <em>slot</em> number, {@code 0, 1, 2, ...}; since every rank executes the
 * same agreed batches in the same order, slot s names the same agreement on every rank, and this
 * rank remembers which of its own signatures took part in it. A signature that takes part in a
 * later agreement moves to the later slot. So if every rank finds its pending call in the same
 * slot, each rank's call equals its own call of that agreement, and those calls agreed: the calls
 * agree now. Slots older than the newest {@code capacity} are forgotten (the same ones on every
 * rank), so the cache holds at most {@code capacity} signatures.
 *
 * <p>Used by the one thread that holds the engine's execution lock.
 */
final class ResponseCache {
    /** Horovod's default capacity ({@code HOROVOD_CACHE_CAPACITY}). */
    static final int DEFAULT_CAPACITY = 1024;

    private final int capacity;
    private final Map<Signature, Long> slotOf = new HashMap<>();
    /** Slot s's signature at {@code s % capacity}, while s is among the newest {@code capacity}. */
    private final Signature[] bySlot;
    private long next;
    /** Reused for look-ups, so a hit allocates nothing. */
    private final Signature probe = new Signature(new double[Headers.LENGTH]);

    /**
     * @param capacity signatures remembered; 0 disables the cache
     * @throws IllegalArgumentException if negative
     */
    ResponseCache(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("cache capacity must be >= 0, got " + capacity);
        }
        this.capacity = capacity;
        this.bySlot = new Signature[capacity];
    }

    boolean enabled() {
        return capacity > 0;
    }

    /** @return the slot of the newest agreement in which this rank made the call {@code header[offset..]}, or -1 */
    long lookup(double[] header, int offset) {
        if (capacity == 0) {
            return -1;
        }
        probe.set(header, offset);
        Long s = slotOf.get(probe);
        return s == null ? -1 : s;
    }

    /** Records that the call {@code header[offset..]} of this rank took part in the next agreement. */
    void agreed(double[] header, int offset) {
        if (capacity == 0) {
            return;
        }
        long slot = next++;
        int at = (int) (slot % capacity);
        Signature old = bySlot[at];
        if (old != null) {
            slotOf.remove(old, slot - capacity); // unless it took part in a newer agreement since
        }
        Signature sig = new Signature(new double[Headers.LENGTH]);
        sig.set(header, offset);
        bySlot[at] = sig;
        slotOf.put(sig, slot);
    }

    /** @return signatures remembered now (at most the capacity) */
    int size() {
        return slotOf.size();
    }

    /** A header without its call number, compared by value. */
    private static final class Signature {
        private final double[] h;
        private int hash;

        Signature(double[] h) {
            this.h = h;
        }

        void set(double[] header, int offset) {
            System.arraycopy(header, offset, h, 0, Headers.LENGTH);
            h[Headers.SEQ] = 0;
            hash = Arrays.hashCode(h);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Signature s && Arrays.equals(h, s.h);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }
}
