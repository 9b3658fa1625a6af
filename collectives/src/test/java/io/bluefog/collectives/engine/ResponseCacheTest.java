package io.bluefog.collectives.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.bluefog.comm.ReduceOp;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** The response cache's slots and the cache round's decision, on hand-made headers and announcements. */
class ResponseCacheTest {
    private static double[] header(Op op, long seq) {
        double[] h = new double[Headers.LENGTH];
        op.seq = seq;
        Headers.encode(op, h, 0);
        return h;
    }

    private static double[] allreduce(DataType dtype, long n, long seq) {
        return header(Op.allreduce(Nd4j.zeros(dtype, n), ReduceOp.SUM, false), seq);
    }

    @Test
    void agreedCallsGetConsecutiveSlotsAndTheCallNumberIsNotPartOfTheSignature() {
        ResponseCache cache = new ResponseCache(8);
        double[] a = allreduce(DataType.FLOAT, 3, 0);
        double[] b = allreduce(DataType.DOUBLE, 3, 1);
        assertEquals(-1, cache.lookup(a, 0));
        cache.agreed(a, 0);
        cache.agreed(b, 0);
        assertEquals(0, cache.lookup(allreduce(DataType.FLOAT, 3, 17), 0), "same call, later call number");
        assertEquals(1, cache.lookup(b, 0));
        assertEquals(-1, cache.lookup(allreduce(DataType.FLOAT, 4, 0), 0), "another shape");
        assertEquals(-1, cache.lookup(header(Op.allreduce(Nd4j.zeros(DataType.FLOAT, 3), ReduceOp.MAX, false), 0), 0),
                "another reduce op");
        Op named = Op.allreduce(Nd4j.zeros(DataType.FLOAT, 3), ReduceOp.SUM, false);
        named.name("w");
        assertEquals(-1, cache.lookup(header(named, 0), 0), "another name");
        // Agreed again: the signature moves to the newest slot.
        cache.agreed(a, 0);
        assertEquals(2, cache.lookup(a, 0));
        assertEquals(2, cache.size());
    }

    @Test
    void slotsOlderThanTheCapacityAreForgottenAndZeroDisables() {
        ResponseCache cache = new ResponseCache(2);
        double[] a = allreduce(DataType.FLOAT, 1, 0);
        double[] b = allreduce(DataType.FLOAT, 2, 0);
        double[] c = allreduce(DataType.FLOAT, 3, 0);
        cache.agreed(a, 0); // slot 0
        cache.agreed(b, 0); // slot 1
        cache.agreed(a, 0); // slot 2: a moves; slot 0 (a's old) leaves
        assertEquals(2, cache.lookup(a, 0));
        cache.agreed(c, 0); // slot 3: slot 1 (b) leaves
        assertEquals(-1, cache.lookup(b, 0));
        assertEquals(2, cache.lookup(a, 0));
        assertEquals(3, cache.lookup(c, 0));
        assertEquals(2, cache.size());
        ResponseCache off = new ResponseCache(0);
        off.agreed(a, 0);
        assertEquals(-1, off.lookup(a, 0));
        assertThrows(IllegalArgumentException.class, () -> new ResponseCache(-1));
    }

    private static double[] announce(double... slots) {
        double[] m = new double[Coordinator.ROUND_LENGTH];
        m[0] = slots.length;
        System.arraycopy(slots, 0, m, 1, slots.length);
        return m;
    }

    @Test
    void theCacheRoundAgreesOnTheLeadingEqualSlotsOnly() {
        assertEquals(1, Coordinator.decideCached(new double[][] {announce(4), announce(4)}));
        assertEquals(3, Coordinator.decideCached(new double[][] {announce(4, 5, 6, 7), announce(4, 5, 6), announce(4, 5, 6, 7)}),
                "limited by the rank that announced fewest");
        assertEquals(2, Coordinator.decideCached(new double[][] {announce(4, 5, 6), announce(4, 5, 9)}),
                "stops at the first differing slot");
        assertEquals(0, Coordinator.decideCached(new double[][] {announce(4), announce(5)}), "different first calls");
        assertEquals(0, Coordinator.decideCached(new double[][] {announce(4), announce(), announce(4)}),
                "a rank without a cached call: the full round decides");
    }
}
