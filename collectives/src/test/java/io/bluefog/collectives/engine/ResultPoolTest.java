package io.bluefog.collectives.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@link ResultPool}: a closed or unreachable result's memory is reused, a held one never is,
 * results stay valid after the pool is cleared, and results built from shared shape information
 * equal those of ND4J's general constructor.
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

    @Test
    void aResultHeldAcrossClearKeepsItsMemoryUntilUnreachableThenItsOwnerIsClosed() throws InterruptedException {
        ResultPool pool = new ResultPool();
        INDArray held = pool.take(DataType.FLOAT, SHAPE);
        held.assign(3);
        INDArray closedBeforeClear = pool.take(DataType.FLOAT, SHAPE);
        closedBeforeClear.close();
        pool.clear();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        assertEquals(45.0, held.sumNumber().doubleValue(), 0, "a held result stays valid after clear()");
        assertEquals(0, pool.orphansClosed.get(), "owner closed while its result was held");
        held = null;
        boolean closed = false;
        for (int tries = 0; tries < 100 && !closed; tries++) {
            System.gc();
            Thread.sleep(10);
            closed = pool.orphansClosed.get() == 1;
        }
        assertTrue(closed, "the owner of a result dropped after clear() was closed after garbage collection");
    }

    @Test
    void laterResultsOfAShapeAreBuiltFromItsSharedShapeInformationAndEqualTheGeneralArray() {
        if (Nd4j.getBackend().getClass().getSimpleName().startsWith("Cpu")) {
            assertNotNull(ResultPool.FAST_CONSTRUCTOR, "the CPU backend's NDArray(DataBuffer, LongBuffer, long[]) was not found");
        }
        ResultPool pool = new ResultPool();
        long[][] shapes = {SHAPE, {15}, {5, 3}, SHAPE, {1, 15}, SHAPE};
        for (DataType dtype : new DataType[] {DataType.FLOAT, DataType.DOUBLE, DataType.HALF, DataType.INT,
            DataType.LONG}) {
            for (int round = 0; round < 3; round++) {
                for (long[] shape : shapes) {
                    INDArray r = pool.take(dtype, shape);
                    INDArray general = Nd4j.create(r.data(), shape, Nd4j.getStrides(shape, 'c'), 0, 'c');
                    String what = dtype + " " + Arrays.toString(shape) + " round " + round;
                    assertArrayEquals(general.shapeInfoJava(), r.shapeInfoJava(), what);
                    assertArrayEquals(shape, r.shape(), what);
                    assertEquals(dtype, r.dataType(), what);
                    assertEquals('c', r.ordering(), what);
                    assertFalse(r.isView(), what);
                    r.assign(round + 1);
                    assertEquals(15.0 * (round + 1), r.sumNumber().doubleValue(), 0, what);
                    assertEquals(15.0 * (round + 1), r.reshape(15).sumNumber().doubleValue(), 0, what);
                    if (round % 2 == 0) {
                        r.close();
                        assertTrue(r.wasClosed(), what);
                    }
                }
            }
        }
        if (ResultPool.FAST_CONSTRUCTOR != null) {
            // Per dtype 18 takes; the general way only when a key's shape changed (or memory was held).
            assertTrue(pool.fastBuilt > 0, "fast path never taken");
        } else {
            assertEquals(0, pool.fastBuilt);
        }
        pool.clear();
    }

    @Test
    void repeatedCallsOfOneShapeTakeTheSharedShapeInformation() {
        ResultPool pool = new ResultPool();
        INDArray first = pool.take(DataType.FLOAT, SHAPE);
        long address = Tensors.address(first);
        first.close();
        long before = pool.fastBuilt;
        for (int k = 0; k < 10; k++) {
            INDArray r = pool.take(DataType.FLOAT, SHAPE);
            assertEquals(address, Tensors.address(r), "call " + k + ": the closed result's memory is reused");
            r.close();
        }
        assertEquals(ResultPool.FAST_CONSTRUCTOR == null ? 0 : 10, pool.fastBuilt - before);
        pool.clear();
    }

    /**
     * Calls that alternate between two sizes (and so between pool keys: the pool remembers the
     * last key's queue and shape information) each get their own size's memory back, of their own
     * shape, built from their own shared shape information after the first of each; after a clear
     * both start afresh.
     */
    @Test
    void alternatingSizesEachReuseTheirOwnMemoryAndShape() {
        ResultPool pool = new ResultPool();
        long[] other = {4, 7};
        for (int round = 0; round < 2; round++) {
            INDArray a = pool.take(DataType.FLOAT, SHAPE);
            INDArray b = pool.take(DataType.FLOAT, other);
            long addressA = Tensors.address(a);
            long addressB = Tensors.address(b);
            a.close();
            b.close();
            long before = pool.fastBuilt;
            for (int k = 0; k < 6; k++) {
                INDArray x = pool.take(DataType.FLOAT, k % 2 == 0 ? SHAPE : other);
                assertEquals(k % 2 == 0 ? addressA : addressB, Tensors.address(x), "round " + round + " call " + k);
                assertArrayEquals(k % 2 == 0 ? SHAPE : other, x.shape(), "round " + round + " call " + k);
                x.close();
            }
            assertEquals(ResultPool.FAST_CONSTRUCTOR == null ? 0 : 6, pool.fastBuilt - before, "round " + round);
            pool.clear();
        }
    }

    @Test
    void closingAnEarlierResultAgainThroughAnyHandleNeverReachesTheNextHolderOfItsMemory() {
        ResultPool pool = new ResultPool();
        INDArray first = pool.take(DataType.FLOAT, SHAPE);
        INDArray sameBuffer = first.reshape(15); // another handle over the first result's buffer
        long address = Tensors.address(first);
        first.close();
        INDArray second = pool.take(DataType.FLOAT, SHAPE);
        assertEquals(address, Tensors.address(second), "the closed result's memory is reused");
        second.assign(5);
        first.close();
        sameBuffer.close();
        assertTrue(first.wasClosed());
        assertFalse(second.wasClosed(), "closing the earlier result again closed the later one");
        assertFalse(second.data().wasClosed());
        INDArray third = pool.take(DataType.FLOAT, SHAPE);
        assertNotEquals(address, Tensors.address(third), "memory of a held result was handed out again");
        third.assign(1);
        assertEquals(75.0, second.sumNumber().doubleValue(), 0, "the held result was overwritten");
        second.close();
        third.close();
        pool.clear();
    }

    @Test
    void resultsOnReusedMemoryComputeCorrectlyRoundAfterRound() {
        if (Nd4j.getBackend().getClass().getSimpleName().startsWith("Cpu")) {
            assertTrue(BufferCopies.AVAILABLE, "the CPU backend's buffers could not be copied");
        }
        ResultPool pool = new ResultPool();
        for (int round = 0; round < 40; round++) {
            for (DataType dtype : new DataType[] {DataType.FLOAT, DataType.DOUBLE, DataType.HALF, DataType.INT}) {
                INDArray r = pool.take(dtype, SHAPE);
                String what = dtype + " round " + round;
                assertFalse(r.wasClosed(), what);
                r.assign(round).addi(1); // native ops through the result's buffer
                assertEquals(15.0 * (round + 1), r.sumNumber().doubleValue(), 0, what);
                r.get(NDArrayIndex.point(1), NDArrayIndex.all()).assign(0); // and through a view of it
                assertEquals(10.0 * (round + 1), r.sumNumber().doubleValue(), 0, what);
                assertEquals(0.0, r.getDouble(1, 4), 0, what);
                r.close();
                assertTrue(r.wasClosed(), what);
            }
        }
        if (BufferCopies.AVAILABLE) {
            assertEquals(4 * 40, pool.buffersCopied, "every result's buffer is a copy of its memory's template");
        }
        pool.clear();
    }

    private static long takeAndDrop(ResultPool pool) {
        return Tensors.address(pool.take(DataType.FLOAT, SHAPE));
    }
}
