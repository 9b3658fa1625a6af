package io.bluefog.optimizers.dl4j;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;

/**
 * Empties this JVM's young generation now, so that the ranks of a job start an epoch in the same
 * garbage-collection phase.
 *
 * <p>Why: a decentralized step waits for the neighbors' parameters, so a stop-the-world pause on
 * one rank stalls its neighbors for as long as it lasts. A DL4J training step allocates the same
 * heap on every rank (same model, same batch size; the data do not matter), so ranks whose young
 * generations start empty at the same step fill them at the same steps and pause together instead
 * of waiting for each other's pauses. What desynchronises them is the work between epochs that only
 * some ranks do (rank 0 writes metrics and plots) and their different start-up histories.
 *
 * <p>How: there is no Java API for a young collection ({@link System#gc()} is a full one, hundreds
 * of milliseconds on a heap holding a data set), so this allocates short-lived 64 KiB arrays (below
 * G1's humongous-object size) until a collector's collection count increases. The cost is filling the
 * rest of the young generation with garbage (a memset, about 10 ms per 100 MB) plus a young pause
 * that would otherwise have come some steps later; the garbage itself survives nothing.
 */
final class YoungCollection {
    private static final int CHUNK_BYTES = 64 * 1024;
    private static final int CHUNKS_PER_CHECK = 16;
    /** Keeps the allocations from being optimised away. */
    @SuppressWarnings("unused")
    private static volatile byte[] sink;

    private YoungCollection() {
    }

    /**
     * Allocates garbage until the next collection has happened (at most the maximum heap size).
     *
     * @return nanoseconds spent, the collection's pause included
     */
    static long collect() {
        long t0 = System.nanoTime();
        List<GarbageCollectorMXBean> collectors = ManagementFactory.getGarbageCollectorMXBeans();
        long before = collections(collectors);
        long limit = Runtime.getRuntime().maxMemory();
        for (long allocated = 0; allocated < limit; allocated += (long) CHUNK_BYTES * CHUNKS_PER_CHECK) {
            for (int i = 0; i < CHUNKS_PER_CHECK; i++) {
                sink = new byte[CHUNK_BYTES];
            }
            if (collections(collectors) != before) {
                break;
            }
        }
        sink = null;
        return System.nanoTime() - t0;
    }

    private static long collections(List<GarbageCollectorMXBean> collectors) {
        long n = 0;
        for (GarbageCollectorMXBean c : collectors) {
            n += Math.max(0, c.getCollectionCount());
        }
        return n;
    }
}
