package io.bluefog.collectives.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link ResultPool}: a closed or unreachable result's memory is reused, a held one never is, and
 * results stay valid after the pool is cleared.
 */
class ResultPoolTest {
    private static final long[] SHAPE = {3, 5};

    @Test
    void aClosedResultsMemoryIsReusedForTheNextCallOfItsSize() {
        ResultPool pool = new ResultPool();
        INDArray a = pool.take(DataType.FLOAT, SHAPE);
        long address = Tensors.address(a);
        assertArrayEquals(SHAPE, a.shape());
        assertEquals('c', a.ordering());
        a.close();
        INDArray b = pool.take(DataType.FLOAT, SHAPE);
        assertEquals(address, Tensors.address(b), "reused");
        assertNotEquals(address, Tensors.address(pool.take(DataType.DOUBLE, SHAPE)), "another dtype: other memory");
        pool.clear();
    }

    @Test
    void heldResultsAreNeverOverwritten() {
        ResultPool pool = new ResultPool();
        List<INDArray> held = new ArrayList<>();
        Set<Long> addresses = new HashSet<>();
        for (int k = 0; k < ResultPool.MAX_LEASED_PER_KEY + 3; k++) {
            INDArray r = pool.take(DataType.DOUBLE, SHAPE);
            r.assign(k);
            held.add(r);
            assertTrue(addresses.add(Tensors.address(r)), "call " + k + " got memory of a held result");
        }
        for (int k = 0; k < held.size(); k++) {
            for (double v : held.get(k).data().asDouble()) {
                assertEquals(k, v, 0, "result " + k);
            }
        }
        // A view keeps its result's memory held, too.
        INDArray view = held.get(0).reshape(15);
        held.set(0, null);
        for (int i = 0; i < 5; i++) {
            System.gc();
        }
        INDArray next = pool.take(DataType.DOUBLE, SHAPE);
        assertTrue(addresses.add(Tensors.address(next)), "memory of a result with a live view was reused");
        assertEquals(0, view.getDouble(14), 0);
        pool.clear();
        // Results held across clear() stay valid.
        held.get(1).addi(1);
        assertEquals(2, held.get(1).getDouble(0), 0);
        assertEquals(0, view.getDouble(0), 0);
    }

    @Test
    void anUnreachableResultsMemoryIsReused() throws InterruptedException {
        ResultPool pool = new ResultPool();
        long address = takeAndDrop(pool);
        boolean reused = false;
        for (int tries = 0; tries < 50 && !reused; tries++) {
            System.gc();
            Thread.sleep(10);
            INDArray r = pool.take(DataType.FLOAT, SHAPE);
            reused = Tensors.address(r) == address;
            r.close();
        }
        assertTrue(reused, "the memory of a dropped result came back after garbage collection");
        pool.clear();
    }

    private static long takeAndDrop(ResultPool pool) {
        return Tensors.address(pool.take(DataType.FLOAT, SHAPE));
    }
}
