package io.bluefog.collectives.testing;

import static io.bluefog.collectives.testing.SerialReference.array;
import static io.bluefog.collectives.testing.SerialReference.assertClose;
import static io.bluefog.collectives.testing.SerialReference.assertShape;
import static io.bluefog.collectives.testing.SerialReference.filled;
import static io.bluefog.collectives.testing.SerialReference.tolerance;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.BlueFog;
import io.bluefog.CollectiveMismatchException;
import io.bluefog.collectives.Collectives;
import io.bluefog.collectives.Mixing;
import io.bluefog.collectives.DynamicNeighbors;
import io.bluefog.collectives.Handle;
import io.bluefog.collectives.NeighborWeights;
import io.bluefog.collectives.engine.EngineOps;
import io.bluefog.comm.ReduceOp;
import io.bluefog.testing.ContractSuite;
import io.bluefog.testing.RankCheck;
import io.bluefog.topology.Topologies;
import io.bluefog.topology.Topology;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The collectives' contract, written once: run on {@code LocalCluster} for n = 1..16 by
 * {@code CollectivesContractTest} and under {@code mpirun} by the mpi-launch module's
 * {@code CollectivesMpiTest}. Expected values are BlueFog's closed forms in rank ids (x_r = r on
 * the exponential graph, rings, star, one-peer exponential) or a {@link SerialReference} that
 * multiplies every rank's seeded random input by the dense mixing matrix.
 *
 * <p>Notation: {@code In(r) = {(r - 2^i) mod n : 2^i < n}}, the exponential graph's in-neighbors,
 * {@code d = |In(r)|}. Checks that need n &ge; 2 (or a power of 2) pass trivially on smaller worlds
 * after checking what still applies, so the suite also runs unchanged under mpirun.
 */
public final class CollectivesContract implements ContractSuite {
    private static final long SEED = 20211;
    private static final DataType[] DTYPES = {DataType.FLOAT, DataType.DOUBLE};

    @Override
    public Map<String, RankCheck> checks() {
        Map<String, RankCheck> m = new LinkedHashMap<>();
        m.put("allreduceAverageAndOps", CollectivesContract::allreduceAverageAndOps);
        m.put("broadcastFromEveryRoot", CollectivesContract::broadcastFromEveryRoot);
        m.put("allgatherRankSizedPieces", CollectivesContract::allgatherRankSizedPieces);
        m.put("barrierAndAsyncOrder", CollectivesContract::barrierAndAsyncOrder);
        m.put("neighborAllreduceExponentialClosedForm", CollectivesContract::neighborAllreduceExponentialClosedForm);
        m.put("unitWeightsGiveExactSums", CollectivesContract::unitWeightsGiveExactSums);
        m.put("rankWithoutSourcesKeepsScaledSelf", CollectivesContract::rankWithoutSourcesKeepsScaledSelf);
        m.put("dynamicShiftBothDirections", CollectivesContract::dynamicShiftBothDirections);
        m.put("dynamicCheckNamesUnmatchedSend", CollectivesContract::dynamicCheckNamesUnmatchedSend);
        m.put("destinationWeightsScaleWhatIsSent", CollectivesContract::destinationWeightsScaleWhatIsSent);
        m.put("rings", CollectivesContract::rings);
        m.put("star", CollectivesContract::star);
        m.put("fusionOfFiftyAsyncTensors", CollectivesContract::fusionOfFiftyAsyncTensors);
        m.put("fusedGlobalOperations", CollectivesContract::fusedGlobalOperations);
        m.put("inPlaceVariantsMatchNewArrays", CollectivesContract::inPlaceVariantsMatchNewArrays);
        m.put("onePeerExponentialReachesAverage", CollectivesContract::onePeerExponentialReachesAverage);
        m.put("randomTensorsMatchSerialReference", CollectivesContract::randomTensorsMatchSerialReference);
        m.put("neighborAllgatherOrder", CollectivesContract::neighborAllgatherOrder);
        m.put("pairGossip", CollectivesContract::pairGossip);
        m.put("hierarchicalNeighborAllreduce", CollectivesContract::hierarchicalNeighborAllreduce);
        m.put("shapeMismatchFailsOnEveryRank", CollectivesContract::shapeMismatchFailsOnEveryRank);
        m.putAll(machineChecks());
        return m;
    }

    /**
     * The checks whose results depend on how ranks are spread over machines (localAllreduce,
     * hierarchical neighborAllreduce with machine weights) and weighted pair gossip; also run on
     * simulated multi-machine clusters by {@code MachineOpsTest}.
     */
    public static Map<String, RankCheck> machineChecks() {
        Map<String, RankCheck> m = new LinkedHashMap<>();
        m.put("localAllreduceOverMachines", CollectivesContract::localAllreduceOverMachines);
        m.put("hierarchicalWithMachinePlans", CollectivesContract::hierarchicalWithMachinePlans);
        m.put("weightedPairGossip", CollectivesContract::weightedPairGossip);
        return m;
    }

    // ---- helpers -----------------------------------------------------------------------------

    /** @return the machine rank of every rank (one allgather) */
    static int[] machineOfRanks(BlueFog bf) {
        return Arrays.stream(EngineOps.allgather(bf, filled(bf.machineRank(), DataType.DOUBLE, 1)).data().asDouble())
                .mapToInt(v -> (int) v).toArray();
    }

    /** @return a_m = the mean of the rank ids on machine m, for every machine */
    static double[] machineMeans(int[] machineOf, int machines) {
        double[] sum = new double[machines];
        int[] count = new int[machines];
        for (int j = 0; j < machineOf.length; j++) {
            sum[machineOf[j]] += j;
            count[machineOf[j]]++;
        }
        for (int m = 0; m < machines; m++) {
            sum[m] /= count[m];
        }
        return sum;
    }

    /** @return {@code In(r)} of the exponential graph */
    static int[] expIn(int r, int n) {
        List<Integer> in = new ArrayList<>();
        for (int p = 1; p < n; p *= 2) {
            in.add(Math.floorMod(r - p, n));
        }
        return in.stream().mapToInt(Integer::intValue).toArray();
    }

    static double[] constant(double v, int len) {
        double[] a = new double[len];
        Arrays.fill(a, v);
        return a;
    }

    static void assertAll(double expected, INDArray actual, double relTol, String what) {
        assertClose(constant(expected, (int) actual.length()), actual, relTol, what);
    }

    // ---- checks ------------------------------------------------------------------------------

    static void allreduceAverageAndOps(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        try (Collectives c = Collectives.of(bf)) {
            for (DataType dt : DTYPES) {
                INDArray x = filled(r, dt, 3, 2);
                INDArray avg = c.allreduce(x);
                assertShape(avg, 3, 2);
                assertFalse(avg.isView(), "a new result owns its memory, so that close() frees it");
                assertEquals(dt, avg.dataType());
                assertAll((n - 1) / 2.0, avg, tolerance(dt, n), "allreduce average of x_r = r");
                assertAll(r, x, 0, "input unchanged");
                assertAll(n * (n - 1) / 2.0, c.allreduce(x, ReduceOp.SUM), 0, "SUM");
                assertAll(0, c.allreduce(x, ReduceOp.MIN), 0, "MIN");
                assertAll(n - 1, c.allreduce(x, ReduceOp.MAX), 0, "MAX");
                INDArray y = filled(r, dt, 4);
                assertSame(y, c.allreduceInPlace(y, ReduceOp.SUM));
                assertAll(n * (n - 1) / 2.0, y, 0, "in-place SUM");
            }
        }
    }

    static void broadcastFromEveryRoot(BlueFog bf) {
        int r = bf.rank();
        try (Collectives c = Collectives.of(bf)) {
            for (int root = 0; root < bf.size(); root++) {
                INDArray x = filled(10 + r, DataType.FLOAT, 2, 3);
                assertAll(10 + root, c.broadcast(x, root), 0, "broadcast from " + root);
                assertAll(10 + r, x, 0, "input unchanged");
                INDArray y = filled(r, DataType.DOUBLE, 5);
                c.broadcastInPlace(y, root);
                assertAll(root, y, 0, "in-place broadcast from " + root);
            }
        }
    }

    static void allgatherRankSizedPieces(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        try (Collectives c = Collectives.of(bf)) {
            for (DataType dt : DTYPES) {
                INDArray piece = filled(r, dt, r + 1, 2);
                INDArray all = c.allgather(piece);
                int rows = n * (n + 1) / 2;
                assertShape(all, rows, 2);
                double[] expected = new double[rows * 2];
                int at = 0;
                for (int j = 0; j < n; j++) {
                    for (int k = 0; k < (j + 1) * 2; k++) {
                        expected[at++] = j;
                    }
                }
                assertClose(expected, all, 0, "allgather in rank order");
            }
        }
    }

    static void barrierAndAsyncOrder(BlueFog bf) {
        int n = bf.size();
        try (Collectives c = Collectives.of(bf)) {
            c.barrier();
            Handle<INDArray> a = c.allreduceAsync(filled(bf.rank(), DataType.FLOAT, 7), ReduceOp.SUM);
            Handle<Void> b = c.barrierAsync();
            Handle<INDArray> d = c.allreduceAsync(filled(1, DataType.DOUBLE, 1), ReduceOp.SUM);
            assertAll(n, d.join(), 0, "third call");
            assertTrue(a.poll() && b.poll(), "earlier calls complete first (call order)");
            assertAll(n * (n - 1) / 2.0, a.join(), 0, "first call");
            b.join();
        }
    }

    static void neighborAllreduceExponentialClosedForm(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        int[] in = expIn(r, n);
        double expected = (r + Arrays.stream(in).sum()) / (double) (in.length + 1);
        if (n == 4) {
            assertEquals(new double[] {5.0 / 3, 4.0 / 3, 1, 2}[r], expected, 1e-15, "issue's n = 4 values");
        }
        if (n == 8) {
            assertEquals(new double[] {4.25, 3.25, 2.25, 3.25, 2.25, 3.25, 4.25, 5.25}[r], expected, 1e-15);
        }
        try (Collectives c = Collectives.of(bf)) {
            for (DataType dt : DTYPES) {
                INDArray x = filled(r, dt, 2, 3, 2);
                INDArray out = c.neighborAllreduce(x);
                assertShape(out, 2, 3, 2);
                assertFalse(out.isView(), "a new result owns its memory, so that close() frees it");
                assertAll(expected, out, tolerance(dt, in.length + 1), "default neighborAllreduce");
                assertAll(r, x, 0, "input unchanged");
                assertAll(expected, c.neighborAllreduce(x, Mixing.of(Topologies.exponential(n))), tolerance(dt, in.length + 1),
                        "explicit topology");
                assertSame(x, c.neighborAllreduceInPlace(x));
                assertAll(expected, x, tolerance(dt, in.length + 1), "in place");
            }
        }
    }

    static void unitWeightsGiveExactSums(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        int[] in = expIn(r, n);
        double[] ones = constant(1, in.length);
        double expected = r + Arrays.stream(in).sum();
        if (n == 4) {
            assertEquals(new double[] {5, 4, 3, 6}[r], expected);
        }
        try (Collectives c = Collectives.of(bf)) {
            INDArray out = c.neighborAllreduce(filled(r, DataType.FLOAT, 6), NeighborWeights.of(1.0, in, ones));
            assertAll(expected, out, 0, "self 1, sources 1: exact sum");
        }
    }

    static void rankWithoutSourcesKeepsScaledSelf(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        // Rank 0 receives from nobody (self weight 1/4); every other rank averages itself with rank 0.
        NeighborWeights w = r == 0 ? NeighborWeights.of(0.25, Map.of())
                : NeighborWeights.of(0.5, Map.of(0, 0.5));
        try (Collectives c = Collectives.of(bf)) {
            INDArray out = c.neighborAllreduce(filled(r + 1, DataType.DOUBLE, 3), w);
            assertAll(r == 0 ? 0.25 : (r + 1 + 1) / 2.0, out, tolerance(DataType.DOUBLE, 2), "no sources: self weight * x");
        }
        assertEquals(n, bf.size());
    }

    static void dynamicShiftBothDirections(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        try (Collectives c = Collectives.of(bf)) {
            if (n == 1) {
                INDArray out = c.neighborAllreduce(filled(5, DataType.FLOAT, 3),
                        DynamicNeighbors.builder().selfWeight(0).checkConsistency(true).build());
                assertAll(0, out, 0, "no sources and self weight 0");
                return;
            }
            int prev = Math.floorMod(r - 1, n);
            int next = (r + 1) % n;
            for (boolean check : new boolean[] {false, true}) {
                DynamicNeighbors forward = DynamicNeighbors.builder().selfWeight(0).source(prev, 1).destination(next)
                        .checkConsistency(check).build();
                assertAll(prev, c.neighborAllreduce(filled(r, DataType.FLOAT, 4), forward), 0, "shift from r-1");
                DynamicNeighbors backward = DynamicNeighbors.builder().selfWeight(0).source(next, 1).destination(prev)
                        .checkConsistency(check).build();
                assertAll(next, c.neighborAllreduce(filled(r, DataType.DOUBLE, 4), backward), 0, "shift from r+1");
            }
        }
    }

    static void dynamicCheckNamesUnmatchedSend(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        try (Collectives c = Collectives.of(bf)) {
            if (n == 1) {
                return; // nobody to send to
            }
            DynamicNeighbors bad = DynamicNeighbors.builder().selfWeight(1).destination((r + 1) % n)
                    .checkConsistency(true).build();
            CollectiveMismatchException e = assertThrows(CollectiveMismatchException.class,
                    () -> c.neighborAllreduce(filled(r, DataType.FLOAT, 3), bad));
            assertTrue(e.getMessage().contains("rank 0 sends to rank 1 but rank 1 does not receive from 0"),
                    e.getMessage());
            // The ranks are still in step: the next call works.
            assertAll(n * (n - 1) / 2.0, c.allreduce(filled(r, DataType.FLOAT, 2), ReduceOp.SUM), 0, "after");
        }
    }

    static void destinationWeightsScaleWhatIsSent(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        int[] in = expIn(r, n);
        DynamicNeighbors.Builder b = DynamicNeighbors.builder().selfWeight(0.5).checkConsistency(true);
        for (int j : in) {
            b.source(j, 1);
        }
        for (int p = 1; p < n; p *= 2) {
            b.destination((r + p) % n, 0.5);
        }
        try (Collectives c = Collectives.of(bf)) {
            INDArray out = c.neighborAllreduce(filled(r, DataType.DOUBLE, 5), b.build());
            assertAll(0.5 * (r + Arrays.stream(in).sum()), out, tolerance(DataType.DOUBLE, n), "destination weights 1/2");
        }
    }

    static void rings(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        int prev = Math.floorMod(r - 1, n);
        int next = (r + 1) % n;
        try (Collectives c = Collectives.of(bf)) {
            double expected = n == 1 ? r : n == 2 ? 0.5 : (r + prev + next) / 3.0;
            assertAll(expected, c.neighborAllreduce(filled(r, DataType.FLOAT, 3), Mixing.of(Topologies.ring(n))),
                    tolerance(DataType.FLOAT, 3), "bidirectional ring");
            if (n >= 2) {
                assertAll((r + prev) / 2.0, c.neighborAllreduce(filled(r, DataType.FLOAT, 3), Mixing.of(oneWayRing(n, -1))),
                        tolerance(DataType.FLOAT, 2), "ring receiving from r-1");
                assertAll((r + next) / 2.0, c.neighborAllreduce(filled(r, DataType.FLOAT, 3), Mixing.of(oneWayRing(n, +1))),
                        tolerance(DataType.FLOAT, 2), "ring receiving from r+1");
            }
        }
    }

    /** One-directional ring: i receives from i + direction with weight 1/2, keeps 1/2. */
    static Topology oneWayRing(int n, int direction) {
        double[] self = constant(0.5, n);
        int[][] in = new int[n][];
        double[][] w = new double[n][];
        for (int i = 0; i < n; i++) {
            in[i] = new int[] {Math.floorMod(i + direction, n)};
            w[i] = new double[] {0.5};
        }
        return Topology.of(self, in, w);
    }

    /** Star with centre 0: the centre averages everybody (1/n each), leaves keep 1 - 1/n and take 1/n of the centre. */
    static Topology star(int n) {
        double[][] w = new double[n][n];
        for (int j = 0; j < n; j++) {
            w[0][j] = 1.0 / n;
        }
        for (int i = 1; i < n; i++) {
            w[i][i] = 1 - 1.0 / n;
            w[i][0] = 1.0 / n;
        }
        return Topology.fromWeightMatrix(w);
    }

    static void star(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        try (Collectives c = Collectives.of(bf)) {
            INDArray out = c.neighborAllreduce(filled(r, DataType.DOUBLE, 4), Mixing.of(star(n)));
            double expected = r == 0 ? (n - 1) / 2.0 : r * (1 - 1.0 / n);
            assertAll(expected, out, tolerance(DataType.DOUBLE, n), "star");
        }
    }

    static void fusionOfFiftyAsyncTensors(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        int[] in = expIn(r, n);
        double mixed = (r + Arrays.stream(in).sum()) / (double) (in.length + 1);
        try (Collectives c = Collectives.of(bf)) {
            List<Handle<INDArray>> handles = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                handles.add(c.neighborAllreduceAsync(filled(i + r, DataType.FLOAT, 1 + i % 7, 3)));
            }
            for (int i = 0; i < 50; i++) {
                INDArray out = handles.get(i).join();
                assertShape(out, 1 + i % 7, 3);
                assertAll(i + mixed, out, tolerance(DataType.FLOAT, in.length + 1) * 50, "fused tensor " + i);
            }
        }
    }

    static void fusedGlobalOperations(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        try (Collectives c = Collectives.of(bf)) {
            List<Handle<INDArray>> sums = new ArrayList<>();
            List<Handle<INDArray>> casts = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                sums.add(c.allreduceAsync(filled(i + r, DataType.DOUBLE, 1 + i % 3), ReduceOp.SUM));
            }
            for (int i = 0; i < 20; i++) {
                casts.add(c.broadcastAsync(filled(100 * i + r, DataType.FLOAT, 2, 1 + i % 4), i % n));
            }
            for (int i = 0; i < 20; i++) {
                assertAll(n * i + n * (n - 1) / 2.0, sums.get(i).join(), 0, "fused allreduce " + i);
                INDArray b = casts.get(i).join();
                assertShape(b, 2, 1 + i % 4);
                assertAll(100 * i + i % n, b, 0, "fused broadcast " + i);
            }
        }
    }

    static void inPlaceVariantsMatchNewArrays(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        Topology t = randomTopology(n);
        try (Collectives c = Collectives.of(bf)) {
            double[][] x = SerialReference.inputs(SEED + 1, n, 6, DataType.FLOAT);
            double[] expected = SerialReference.mix(t.weightMatrix(), x, r);
            double tol = tolerance(DataType.FLOAT, t.inDegree(r) + 1);
            INDArray a = array(x[r], DataType.FLOAT, 3, 2);
            assertSame(a, c.neighborAllreduceInPlace(a, Mixing.of(t)));
            assertClose(expected, a, tol, "in place, topology");
            INDArray async = array(x[r], DataType.FLOAT, 3, 2);
            assertSame(async, c.neighborAllreduceInPlaceAsync(async, Mixing.of(t)).join());
            assertClose(a.dup().data().asDouble(), async, 0, "in place, nonblocking: the same bits as blocking");
            INDArray b = array(x[r], DataType.FLOAT, 3, 2);
            c.neighborAllreduceInPlace(b, NeighborWeights.fromTopology(t, r));
            assertClose(expected, b, tol, "in place, weights");
            DynamicNeighbors.Builder d = DynamicNeighbors.builder().selfWeight(t.selfWeight(r))
                    .destinations(t.outNeighbors(r)).checkConsistency(true);
            int[] in = t.inNeighbors(r);
            double[] w = t.recvWeights(r);
            for (int k = 0; k < in.length; k++) {
                d.source(in[k], w[k]);
            }
            // A transposed view: not contiguous, so the result is written back through assign.
            INDArray view = array(x[r], DataType.FLOAT, 2, 3).transpose();
            INDArray expectedView = array(expected, DataType.FLOAT, 2, 3).transpose();
            INDArray fromView = c.neighborAllreduce(view, d.build());
            assertClose(expectedView.dup('c').data().asDouble(), fromView, tol, "view input");
            c.neighborAllreduceInPlace(view, d.build());
            assertClose(expectedView.dup('c').data().asDouble(), view.dup('c'), tol, "in place into a view");
        }
    }

    static void onePeerExponentialReachesAverage(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        int tau = n == 1 ? 0 : 32 - Integer.numberOfLeadingZeros(n - 1);
        boolean powerOfTwo = Integer.bitCount(n) == 1;
        try (Collectives c = Collectives.of(bf)) {
            double[] mine = SerialReference.input(SEED, r, 8, DataType.DOUBLE);
            double[] avg = SerialReference.mean(SerialReference.inputs(SEED, n, 8, DataType.DOUBLE));
            INDArray x = array(mine, DataType.DOUBLE, 8);
            INDArray xr = filled(r, DataType.FLOAT, 3);
            for (int k = 0; k < tau; k++) {
                int p = 1 << (k % tau);
                DynamicNeighbors d = DynamicNeighbors.builder().selfWeight(0.5).source(Math.floorMod(r - p, n), 0.5)
                        .destination((r + p) % n).build();
                x = c.neighborAllreduce(x, d);
                xr = c.neighborAllreduce(xr, d);
            }
            if (powerOfTwo) {
                assertClose(avg, x, tolerance(DataType.DOUBLE, 2 * tau), "one-peer exponential after log2 n steps");
                assertAll((n - 1) / 2.0, xr, 0, "x_r = r: exact average");
            }
        }
    }

    static void randomTensorsMatchSerialReference(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        int len = 15;
        List<Topology> topologies = List.of(Topologies.exponential(n), Topologies.ring(n), star(n), randomTopology(n));
        try (Collectives c = Collectives.of(bf)) {
            for (DataType dt : DTYPES) {
                double[][] x = SerialReference.inputs(SEED, n, len, dt);
                INDArray mine = array(x[r], dt, 5, 3);
                for (Topology t : topologies) {
                    double[][] w = t.weightMatrix();
                    double tol = tolerance(dt, t.inDegree(r) + 1);
                    assertClose(SerialReference.mix(w, x, r), c.neighborAllreduce(mine, Mixing.of(t)), tol, t + " topology");
                    assertClose(SerialReference.mix(w, x, r), c.neighborAllreduce(mine, NeighborWeights.fromTopology(t, r)),
                            tol, t + " as weights");
                    DynamicNeighbors.Builder b = DynamicNeighbors.builder().selfWeight(t.selfWeight(r));
                    int[] in = t.inNeighbors(r);
                    double[] win = t.recvWeights(r);
                    for (int k = in.length - 1; k >= 0; k--) { // reverse order: the sum must still be rank order
                        b.source(in[k], win[k]);
                    }
                    b.destinations(t.outNeighbors(r));
                    assertClose(SerialReference.mix(w, x, r), c.neighborAllreduce(mine, b.build()), tol, t + " dynamic");
                }
                assertClose(SerialReference.mean(x), c.allreduce(mine), tolerance(dt, n), "allreduce");
                assertClose(x[n - 1], c.broadcast(mine, n - 1), 0, "broadcast");
                double[] all = new double[n * len];
                for (int j = 0; j < n; j++) {
                    System.arraycopy(x[j], 0, all, j * len, len);
                }
                INDArray gathered = c.allgather(mine);
                assertShape(gathered, 5L * n, 3);
                assertClose(all, gathered, 0, "allgather");
            }
        }
    }

    /** A seeded random graph with random positive weights (the same on every rank). */
    static Topology randomTopology(int n) {
        Random rnd = new Random(SEED + n);
        double[][] w = new double[n][n];
        for (int i = 0; i < n; i++) {
            w[i][i] = 0.1 + rnd.nextDouble();
            for (int j = 0; j < n; j++) {
                if (j != i && rnd.nextDouble() < 0.4) {
                    w[i][j] = rnd.nextDouble();
                }
            }
        }
        return Topology.fromWeightMatrix(w);
    }

    static void neighborAllgatherOrder(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        int[] in = bf.topology().inNeighbors(r);
        try (Collectives c = Collectives.of(bf)) {
            INDArray got = c.neighborAllgather(filled(r, DataType.FLOAT, r + 1, 2));
            int rows = Arrays.stream(in).map(j -> j + 1).sum();
            assertShape(got, rows, 2);
            List<Double> expected = new ArrayList<>();
            for (int j : in) {
                for (int k = 0; k < (j + 1) * 2; k++) {
                    expected.add((double) j);
                }
            }
            assertClose(expected.stream().mapToDouble(Double::doubleValue).toArray(), got, 0, "static order");
            if (n > 1) {
                // Dynamic: receive from r+1 and r-1 in that order (r+1 first), send to both.
                int prev = Math.floorMod(r - 1, n);
                int next = (r + 1) % n;
                DynamicNeighbors.Builder b = DynamicNeighbors.builder().source(next, 1);
                if (prev != next) {
                    b.source(prev, 1);
                }
                DynamicNeighbors d = b.destinations(prev == next ? new int[] {prev} : new int[] {prev, next}).build();
                INDArray dyn = c.neighborAllgather(filled(r, DataType.DOUBLE, 1, 3), d);
                double[] exp = prev == next ? constant(next, 3)
                        : new double[] {next, next, next, prev, prev, prev};
                assertClose(exp, dyn, 0, "dynamic order = given sources");
            }
        }
    }

    static void pairGossip(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        int peer = (r ^ 1) < n ? r ^ 1 : r;
        try (Collectives c = Collectives.of(bf)) {
            double[][] x = SerialReference.inputs(SEED, n, 6, DataType.FLOAT);
            INDArray out = c.pairGossip(array(x[r], DataType.FLOAT, 6), peer);
            double[] expected = new double[6];
            for (int e = 0; e < 6; e++) {
                expected[e] = (x[r][e] + x[peer][e]) / 2;
            }
            assertClose(expected, out, tolerance(DataType.FLOAT, 2), "pair gossip with " + peer);
            if (n > 2) {
                int bad = (r + 1) % n; // not mutual for n > 2
                CollectiveMismatchException e = assertThrows(CollectiveMismatchException.class,
                        () -> c.pairGossip(filled(r, DataType.FLOAT, 2), bad));
                assertTrue(e.getMessage().contains("pairs with"), e.getMessage());
            }
        }
    }

    static void hierarchicalNeighborAllreduce(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        int machines = bf.machineSize();
        try (Collectives c = Collectives.of(bf)) {
            List<Integer> machineOf = Arrays.stream(c.allgather(filled(bf.machineRank(), DataType.DOUBLE, 1))
                    .data().asDouble()).mapToObj(v -> (int) v).toList();
            double[][] x = SerialReference.inputs(SEED, n, 4, DataType.DOUBLE);
            double[][] machineAvg = new double[machines][4];
            int[] count = new int[machines];
            for (int j = 0; j < n; j++) {
                count[machineOf.get(j)]++;
            }
            for (int j = 0; j < n; j++) {
                for (int e = 0; e < 4; e++) {
                    machineAvg[machineOf.get(j)][e] += x[j][e] / count[machineOf.get(j)];
                }
            }
            Topology mt = Topologies.exponential(machines);
            double[] expected = SerialReference.mix(mt.weightMatrix(), machineAvg, machineOf.get(r));
            INDArray out = c.hierarchicalNeighborAllreduce(array(x[r], DataType.DOUBLE, 2, 2));
            assertShape(out, 2, 2);
            assertClose(expected, out, tolerance(DataType.DOUBLE, n + machines), "hierarchical");
        }
    }

    /**
     * BlueFog {@code allreduce(x, is_hierarchical_local=True)} with x_r = r: AVG gives the mean of
     * the rank ids on r's machine, SUM their sum (exact: small integers), in place into x.
     */
    static void localAllreduceOverMachines(BlueFog bf) {
        int r = bf.rank();
        int[] machineOf = machineOfRanks(bf);
        double sum = 0;
        int count = 0;
        for (int j = 0; j < machineOf.length; j++) {
            if (machineOf[j] == machineOf[r]) {
                sum += j;
                count++;
            }
        }
        for (DataType dt : DTYPES) {
            INDArray x = filled(r, dt, 3, 2);
            INDArray avg = EngineOps.localAllreduce(bf, x, ReduceOp.AVG, false);
            assertShape(avg, 3, 2);
            assertEquals(dt, avg.dataType());
            assertAll(sum / count, avg, tolerance(dt, count), "local average of x_r = r over machine " + machineOf[r]);
            assertAll(r, x, 0, "input unchanged");
            INDArray y = filled(r, dt, 5);
            assertSame(y, EngineOps.localAllreduce(bf, y, ReduceOp.SUM, true));
            assertAll(sum, y, 0, "in-place local SUM");
        }
        INDArray z = filled(r, DataType.FLOAT, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EngineOps.localAllreduce(bf, z, ReduceOp.MAX, false));
        assertTrue(e.getMessage().contains("SUM and AVG"), e.getMessage());
    }

    /**
     * BlueFog {@code hierarchical_neighbor_allreduce} with x_r = r and a_m the mean of the rank ids
     * on machine m: with the exponential graph over machines, {@code sum_m' W[m][m'] a_m'}; with
     * dynamic machine weights (machine m receives from m - 1 with weight 1/4, keeps 3/4, sends to
     * m + 1, send/receive sets checked), {@code 3/4 a_m + 1/4 a_(m-1)}; both also in place.
     */
    static void hierarchicalWithMachinePlans(BlueFog bf) {
        int r = bf.rank();
        int machines = bf.machineSize();
        int m = bf.machineRank();
        double[] a = machineMeans(machineOfRanks(bf), machines);
        Topology mt = Topologies.exponential(machines);
        double[] row = mt.weightMatrix()[m];
        double staticExpected = 0;
        for (int k = 0; k < machines; k++) {
            staticExpected += row[k] * a[k];
        }
        double tol = tolerance(DataType.DOUBLE, bf.size() + machines);
        INDArray x = filled(r, DataType.DOUBLE, 2, 3);
        INDArray out = EngineOps.hierarchicalNeighborAllreduce(bf, x, mt, false);
        assertShape(out, 2, 3);
        assertAll(staticExpected, out, tol, "hierarchical, exponential machine topology");
        assertAll(r, x, 0, "input unchanged");
        INDArray y = filled(r, DataType.FLOAT, 4);
        assertSame(y, EngineOps.hierarchicalNeighborAllreduce(bf, y, mt, true));
        assertAll(staticExpected, y, tolerance(DataType.FLOAT, bf.size() + machines), "hierarchical in place");

        DynamicNeighbors.Builder d = DynamicNeighbors.builder().checkConsistency(true);
        double dynamicExpected;
        if (machines == 1) {
            d.selfWeight(1.0);
            dynamicExpected = a[0];
        } else {
            int from = Math.floorMod(m - 1, machines);
            d.selfWeight(0.75).source(from, 0.25).destinations((m + 1) % machines);
            dynamicExpected = 0.75 * a[m] + 0.25 * a[from];
        }
        INDArray z = filled(r, DataType.DOUBLE, 3);
        assertSame(z, EngineOps.hierarchicalNeighborAllreduce(bf, z, d.build(), true));
        assertAll(dynamicExpected, z, tol, "hierarchical, dynamic machine weights, in place");
    }

    /**
     * BlueFog {@code pair_gossip(x, peer, self_weight, pair_weight)} with peer = r xor 1 (a rank
     * without one sits out): with x_r = r, 3/4 r + 1/4 peer exactly; with equal weights on seeded
     * random float32 inputs, both ranks of a pair hold the correctly rounded
     * {@code 1/2 x_low + 1/2 x_high}, bit for bit; in place writes into x.
     */
    static void weightedPairGossip(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        int peer = (r ^ 1) < n ? r ^ 1 : r;
        double expected = peer == r ? r : 0.75 * r + 0.25 * peer;
        INDArray x = filled(r, DataType.FLOAT, 2, 2);
        INDArray out = EngineOps.pairGossip(bf, x, peer, 0.75, 0.25, false);
        assertShape(out, 2, 2);
        assertAll(expected, out, 0, "3/4 x_r + 1/4 x_peer");
        assertAll(r, x, 0, "input unchanged");
        INDArray y = filled(r, DataType.DOUBLE, 3);
        assertSame(y, EngineOps.pairGossip(bf, y, peer, 0.75, 0.25, true));
        assertAll(expected, y, 0, "in place");

        double[][] v = SerialReference.inputs(SEED + 7, n, 9, DataType.FLOAT);
        double[] half = new double[9];
        for (int e = 0; e < 9; e++) {
            half[e] = peer == r ? v[r][e] : (float) (0.5 * v[Math.min(r, peer)][e] + 0.5 * v[Math.max(r, peer)][e]);
        }
        assertClose(half, EngineOps.pairGossip(bf, array(v[r], DataType.FLOAT, 9), peer, 0.5, 0.5, false), 0,
                "equal weights: correctly rounded, the same bits on both ranks");
        INDArray w = array(v[r], DataType.FLOAT, 9);
        EngineOps.pairGossip(bf, w, peer, 0.5, 0.5, true);
        assertClose(half, w, 0, "equal weights in place");
    }

    static void shapeMismatchFailsOnEveryRank(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        try (Collectives c = Collectives.of(bf)) {
            if (n == 1) {
                return; // a single rank cannot disagree with itself
            }
            int len = r == 1 ? 4 : 3;
            CollectiveMismatchException e = assertThrows(CollectiveMismatchException.class,
                    () -> c.allreduce(filled(r, DataType.FLOAT, len)));
            assertTrue(e.getMessage().contains("rank 1 called allreduce float32 [4]"), e.getMessage());
            assertTrue(e.getMessage().contains("float32 [3]"), e.getMessage());
            CollectiveMismatchException e2 = assertThrows(CollectiveMismatchException.class,
                    () -> c.neighborAllreduce(filled(r, r == 0 ? DataType.DOUBLE : DataType.FLOAT, 3)));
            assertTrue(e2.getMessage().contains("rank 0 called neighborAllreduce float64 [3]"), e2.getMessage());
            // Same call and shape under different names (BlueFog's name=): a mismatch naming both.
            String mine = r == 1 ? "layer1.bias" : "layer1.weight";
            CollectiveMismatchException e3 = assertThrows(CollectiveMismatchException.class,
                    () -> c.named(mine).neighborAllreduce(filled(r, DataType.FLOAT, 3)));
            assertTrue(e3.getMessage().contains("rank 1 called neighborAllreduce 'layer1.bias' float32 [3]"),
                    e3.getMessage());
            assertTrue(e3.getMessage().contains("neighborAllreduce 'layer1.weight' float32 [3]"), e3.getMessage());
            // Equal names agree, also beyond the characters the header shows.
            String longName = "encoder.block7.attention.output.weight";
            assertAll(n * (n - 1) / 2.0, c.named(longName).allreduce(filled(r, DataType.FLOAT, 2), ReduceOp.SUM), 0,
                    "named");
            CollectiveMismatchException e4 = assertThrows(CollectiveMismatchException.class,
                    () -> c.named(r == 0 ? longName : longName + "2").allreduce(filled(r, DataType.FLOAT, 2)));
            assertTrue(e4.getMessage().contains("'encoder.block7.attent...'"), e4.getMessage());
            // The ranks are still in step afterwards.
            assertAll(n * (n - 1) / 2.0, c.allreduce(filled(r, DataType.FLOAT, 2), ReduceOp.SUM), 0, "after");
        }
    }
}
