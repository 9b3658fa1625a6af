package io.bluefog.examples.data;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShardIteratorTest {
    private static Shard shard(int m) {
        float[][] x = new float[m][2];
        int[] y = new int[m];
        for (int i = 0; i < m; i++) {
            x[i][0] = i;
            y[i] = i % 3;
        }
        return new Shard(x, y, 3);
    }

    @Test
    void yieldsAFixedNumberOfFullBatchesAndCoversTheShardEachPass() {
        ShardIterator it = new ShardIterator(shard(10), 4, 5, 7);
        Set<Integer> firstPass = new HashSet<>();
        int batches = 0;
        while (it.hasNext()) {
            DataSet ds = it.next();
            assertEquals(4, ds.numExamples());
            for (int k = 0; k < 4; k++) {
                int id = (int) ds.getFeatures().getFloat(k, 0);
                assertEquals(id % 3, ds.getLabels().getRow(k).argMax().getInt(0), "one-hot label");
                if (batches * 4 + k < 10) {
                    firstPass.add(id);
                }
            }
            batches++;
        }
        assertEquals(5, batches);
        assertEquals(10, firstPass.size(), "the first 10 samples drawn are a permutation of the shard");
        assertFalse(it.hasNext());
        it.reset();
        assertEquals(4, it.next().numExamples());
    }

    @Test
    void reusedBatchesCarryTheSameSampleStreamInOnePairOfArrays() {
        Shard shard = shard(10);
        ShardIterator fresh = new ShardIterator(shard, 4, 3, 11);
        ShardIterator reused = new ShardIterator(shard, 4, 3, 11, true);
        assertTrue(reused.reusesBatches());
        assertFalse(fresh.reusesBatches());
        DataSet first = null;
        for (int epoch = 0; epoch < 3; epoch++) {
            while (fresh.hasNext()) {
                assertTrue(reused.hasNext());
                DataSet a = fresh.next();
                DataSet b = reused.next();
                assertEquals(a.getFeatures(), b.getFeatures(), "features, epoch " + epoch);
                assertEquals(a.getLabels(), b.getLabels(), "labels, epoch " + epoch);
                if (first == null) {
                    first = b;
                } else {
                    assertSame(first.getFeatures(), b.getFeatures(), "one features array for all batches");
                    assertSame(first.getLabels(), b.getLabels(), "one labels array for all batches");
                }
            }
            assertFalse(reused.hasNext());
            fresh.reset();
            reused.reset();
        }
        DataSet odd = reused.next(3);
        assertEquals(3, odd.numExamples(), "another batch size gets its own arrays");
        assertEquals(fresh.next(3).getFeatures(), odd.getFeatures());
    }

    @Test
    void stepsPerEpochAreCommonToAllRanks() {
        assertEquals(469, ShardIterator.batchesPerEpoch(60_000, 2, 64));
        assertEquals(1, ShardIterator.batchesPerEpoch(10, 4, 64));
        assertThrows(IllegalArgumentException.class, () -> new ShardIterator(shard(0), 4, 1, 1));
    }
}
