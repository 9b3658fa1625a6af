package io.bluefog.examples.data;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
    void stepsPerEpochAreCommonToAllRanks() {
        assertEquals(469, ShardIterator.batchesPerEpoch(60_000, 2, 64));
        assertEquals(1, ShardIterator.batchesPerEpoch(10, 4, 64));
        assertThrows(IllegalArgumentException.class, () -> new ShardIterator(shard(0), 4, 1, 1));
    }
}
