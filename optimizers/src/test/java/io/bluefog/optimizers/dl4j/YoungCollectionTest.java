package io.bluefog.optimizers.dl4j;

import org.junit.jupiter.api.Test;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertTrue;

class YoungCollectionTest {
    private static long collections() {
        long n = 0;
        for (GarbageCollectorMXBean c : ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, c.getCollectionCount());
        }
        return n;
    }

    @Test
    void returnsOnlyAfterACollectionHappened() {
        for (int round = 0; round < 3; round++) {
            long before = collections();
            long nanos = YoungCollection.collect();
            assertTrue(collections() > before, "round " + round + ": no collection happened");
            assertTrue(nanos > 0, "round " + round + ": elapsed time " + nanos);
        }
    }
}
