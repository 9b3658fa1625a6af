package io.bluefog.collectives.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The aliasing test an in-place neighborAllreduce relies on: it must not write its result before
 * every destination has the input, and it knows the result space is the input only through
 * {@link Tensors#sameMemory}. A reshaped view of a 2-D array (DL4J's {@code params()} is 1 x N)
 * is a different DataBuffer object over the same memory, so object identity is not enough.
 */
class TensorsTest {
    @Test
    void reshapedViewsShareMemoryOtherArraysDoNot() {
        INDArray params = Nd4j.rand(DataType.FLOAT, 1, 10);
        INDArray flat = Tensors.flat(params);
        assertEquals(1, flat.rank());
        assertTrue(Tensors.sameMemory(params, flat), "1 x N params and their flat view");
        assertTrue(Tensors.sameMemory(Tensors.flat(params), Tensors.flat(params)), "two flat views of one array");
        assertFalse(Tensors.sameMemory(params, params.dup()), "a copy");
        INDArray tail = flat.get(NDArrayIndex.interval(2, 10));
        assertFalse(Tensors.sameMemory(flat, tail), "a view starting two elements later");
    }

    @Test
    void rangesOfOneBaseAreZeroCopyViews() {
        INDArray a = Nd4j.arange(0, 10).castTo(DataType.DOUBLE);
        java.nio.DoubleBuffer b = (java.nio.DoubleBuffer) Tensors.nio(Tensors.base(a), DataType.DOUBLE, 3, 4);
        assertEquals(4, b.remaining());
        assertEquals(3.0, b.get(0));
        assertEquals(6.0, b.get(3));
        b.put(0, -1.0);
        assertEquals(-1.0, a.getDouble(3), "writes reach the array");
    }
}
