package io.bluefog.collectives.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.comm.ReduceOp;
import io.bluefog.topology.Topologies;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** Rank 0's batch decision, on hand-made header tables. */
class CoordinatorDecisionTest {
    private static final long MIB = 1 << 20;

    static double[] message(List<Op> ops) {
        double[] m = new double[Coordinator.MESSAGE_LENGTH];
        m[0] = ops.size();
        for (int k = 0; k < ops.size(); k++) {
            ops.get(k).seq = k;
            Headers.encode(ops.get(k), m, 1 + k * Headers.LENGTH);
        }
        return m;
    }

    static Op nar(long... shape) {
        return Op.neighborAllreduce(Nd4j.zeros(DataType.FLOAT, shape), NeighborPlan.of(Topologies.ring(4), 0), false);
    }

    @Test
    void fusesEqualOperationsQueuedOnEveryRank() {
        double[] a = message(List.of(nar(4), nar(8), nar(2), nar(3)));
        double[] b = message(List.of(nar(4), nar(8), nar(2)));
        Coordinator.Verdict v = Coordinator.decide(new double[][] {a, b}, 8 * MIB);
        assertEquals(Coordinator.OK, v.code());
        assertEquals(3, v.batch(), "limited by the rank with the fewest pending operations");
    }

    @Test
    void stopsAtTheFusionThresholdAndAtADifferentKind() {
        double[] a = message(List.of(nar(256), nar(256), nar(256)));
        assertEquals(2, Coordinator.decide(new double[][] {a, a}, 2048).batch(), "1 KiB each, 2 KiB threshold");
        assertEquals(1, Coordinator.decide(new double[][] {a, a}, 0).batch(), "threshold 0 disables fusion");
        double[] mixed = message(List.of(nar(4),
                Op.allreduce(Nd4j.zeros(DataType.FLOAT, 4), ReduceOp.AVG, false), nar(4)));
        assertEquals(1, Coordinator.decide(new double[][] {mixed, mixed}, MIB).batch());
        double[] dtypes = message(List.of(nar(4),
                Op.neighborAllreduce(Nd4j.zeros(DataType.DOUBLE, 4), NeighborPlan.of(Topologies.ring(4), 0), false)));
        assertEquals(1, Coordinator.decide(new double[][] {dtypes, dtypes}, MIB).batch());
    }

    @Test
    void mismatchNamesEveryRankAndShape() {
        double[] three = message(List.of(nar(3)));
        double[] four = message(List.of(nar(4)));
        Coordinator.Verdict v = Coordinator.decide(new double[][] {three, four, three}, MIB);
        assertEquals(Coordinator.MISMATCH, v.code());
        assertTrue(v.text().contains("ranks [0, 2] called neighborAllreduce float32 [3]"), v.text());
        assertTrue(v.text().contains("rank 1 called neighborAllreduce float32 [4]"), v.text());
    }

    @Test
    void namesMustAgreeButDoNotStopFusion() {
        Op a = nar(4);
        a.name("fc1.W");
        Op b = nar(4);
        b.name("fc1.b");
        Op a2 = nar(4);
        a2.name("fc1.W");
        Op b2 = nar(4);
        b2.name("fc1.b");
        Coordinator.Verdict same = Coordinator.decide(new double[][] {message(List.of(a, b)), message(List.of(a2, b2))}, MIB);
        assertEquals(Coordinator.OK, same.code());
        assertEquals(2, same.batch(), "differently named tensors of one rank still fuse");
        Coordinator.Verdict differ = Coordinator.decide(new double[][] {message(List.of(a)), message(List.of(b2))}, MIB);
        assertEquals(Coordinator.MISMATCH, differ.code());
        assertTrue(differ.text().contains("rank 0 called neighborAllreduce 'fc1.W' float32 [4]"), differ.text());
        assertTrue(differ.text().contains("rank 1 called neighborAllreduce 'fc1.b' float32 [4]"), differ.text());
        assertEquals(Coordinator.MISMATCH, Coordinator.decide(new double[][] {message(List.of(a)),
                message(List.of(nar(4)))}, MIB).code(), "named against unnamed");
    }

    @Test
    void namesRoundTripThroughTheHeader() {
        for (String name : new String[] {"x", "layer_1.W", "ünïcödé-名前", "123456789012345678901"}) {
            Op op = nar(2);
            op.name(name);
            double[] m = message(List.of(op));
            assertEquals(name, Headers.name(m, 1));
        }
        Op longOp = nar(2);
        longOp.name("1234567890123456789012");
        assertEquals("123456789012345678901...", Headers.name(message(List.of(longOp)), 1));
        assertEquals(null, Headers.name(message(List.of(nar(2))), 1));
    }

    @Test
    void allgatherAcceptsDifferentFirstDimensionsOnly() {
        double[] a = message(List.of(Op.allgather(Nd4j.zeros(DataType.FLOAT, 2, 5))));
        double[] b = message(List.of(Op.allgather(Nd4j.zeros(DataType.FLOAT, 7, 5))));
        double[] c = message(List.of(Op.allgather(Nd4j.zeros(DataType.FLOAT, 2, 6))));
        assertEquals(Coordinator.OK, Coordinator.decide(new double[][] {a, b}, MIB).code());
        assertEquals(Coordinator.MISMATCH, Coordinator.decide(new double[][] {a, c}, MIB).code());
    }

    @Test
    void differentTopologiesOrRootsDisagree() {
        double[] ring = message(List.of(nar(4)));
        double[] exp = message(List.of(Op.neighborAllreduce(Nd4j.zeros(DataType.FLOAT, 4),
                NeighborPlan.of(Topologies.exponential(4), 0), false)));
        assertEquals(Coordinator.MISMATCH, Coordinator.decide(new double[][] {ring, exp}, MIB).code());
        double[] root0 = message(List.of(Op.broadcast(Nd4j.zeros(DataType.FLOAT, 4), 0, false)));
        double[] root1 = message(List.of(Op.broadcast(Nd4j.zeros(DataType.FLOAT, 4), 1, false)));
        Coordinator.Verdict v = Coordinator.decide(new double[][] {root0, root1}, MIB);
        assertTrue(v.text().contains("root 1"), v.text());
    }
}
