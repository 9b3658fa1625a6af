package io.bluefog.collectives;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.bluefog.BlueFog;
import io.bluefog.comm.ReduceOp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** A one-rank world (no transport on the classpath): every operation's n = 1 closed form. */
class SingleRankTest {
    static BlueFog bf;
    static Collectives c;

    @BeforeAll
    static void start() {
        bf = BlueFog.init(new String[0]);
        c = Collectives.of(bf);
    }

    @AfterAll
    static void stop() {
        c.close();
    }

    @Test
    void operationsAreIdentityOrScaled() {
        INDArray x = Nd4j.arange(6).castTo(DataType.FLOAT).reshape(2, 3);
        assertEquals(x, c.allreduce(x));
        assertEquals(x, c.allreduce(x, ReduceOp.SUM));
        assertEquals(x, c.broadcast(x, 0));
        assertEquals(x, c.neighborAllreduce(x));
        assertEquals(x, c.allgather(x));
        assertEquals(x, c.pairGossip(x, 0));
        assertEquals(x, c.hierarchicalNeighborAllreduce(x));
        assertArrayEquals(new long[] {0, 3}, c.neighborAllgather(x).shape());
        INDArray half = c.neighborAllreduce(x, NeighborWeights.of(0.5, new int[0], new double[0]));
        assertEquals(x.mul(0.5), half);
        c.barrier();
    }

    @Test
    void inPlaceWritesIntoTheArgument() {
        INDArray x = Nd4j.arange(4).castTo(DataType.DOUBLE);
        INDArray r = c.neighborAllreduceInPlace(x, DynamicNeighbors.builder().selfWeight(2).build());
        assertSame(x, r);
        assertEquals(Nd4j.arange(4).castTo(DataType.DOUBLE).mul(2), x);
        INDArray view = Nd4j.arange(8).castTo(DataType.DOUBLE).reshape(2, 4).getColumn(1);
        c.neighborAllreduceInPlace(view, DynamicNeighbors.builder().selfWeight(3).build());
        assertEquals(3.0, view.getDouble(0), 0);
        assertEquals(15.0, view.getDouble(1), 0);
    }

    @Test
    void badInputThrowsInTheCaller() {
        assertThrows(IllegalArgumentException.class, () -> c.allreduce(Nd4j.zeros(DataType.BOOL, 3)));
        assertThrows(IllegalArgumentException.class, () -> c.broadcast(Nd4j.zeros(3), 1));
        assertThrows(IllegalArgumentException.class,
                () -> c.neighborAllreduce(Nd4j.zeros(3), NeighborWeights.of(1, new int[] {1}, new double[] {1})));
        INDArray closed = Nd4j.zeros(3);
        closed.close();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.allgather(closed));
        assertTrue(e.getMessage().contains("was closed"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> c.allreduceInPlace(closed, io.bluefog.comm.ReduceOp.SUM));
    }
}
