package io.bluefog.collectives.testing;

import static io.bluefog.collectives.testing.SerialReference.array;
import static io.bluefog.collectives.testing.SerialReference.assertClose;
import static io.bluefog.collectives.testing.SerialReference.filled;
import static io.bluefog.collectives.testing.SerialReference.tolerance;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.BlueFog;
import io.bluefog.CollectiveMismatchException;
import io.bluefog.Weighting;
import io.bluefog.collectives.Collectives;
import io.bluefog.collectives.DynamicNeighbors;
import io.bluefog.collectives.InferredNeighbors;
import io.bluefog.collectives.Mixing;
import io.bluefog.collectives.NeighborWeights;
import io.bluefog.comm.ReduceOp;
import io.bluefog.testing.ContractSuite;
import io.bluefog.testing.RankCheck;
import io.bluefog.topology.Topologies;
import io.bluefog.topology.Topology;
import io.bluefog.topology.WeightRule;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The contract of the API shape: BlueFog's topology weighting ({@code setTopology(t)} uniform,
 * {@code setTopology(t, Weighting.TOPOLOGY)} weighted), the stored machine topology, the dynamic
 * consistency check on by default, the in-place (async) forms of every operation, weighted pair
 * gossip, and inferring sources from destinations and back. Run on {@code LocalCluster} by
 * {@code MixingContractTest} (one machine and simulated machines) and under mpirun by
 * {@code MixingMpiTest}. Expected values are closed forms in rank ids or serial references over the
 * dense mixing matrix.
 */
public final class MixingContract implements ContractSuite {
    private static final long SEED = 4242;

    @Override
    public Map<String, RankCheck> checks() {
        Map<String, RankCheck> m = new LinkedHashMap<>();
        m.put("setTopologyIsUniformUnlessWeighted", MixingContract::setTopologyIsUniformUnlessWeighted);
        m.put("dynamicCheckIsOnByDefault", MixingContract::dynamicCheckIsOnByDefault);
        m.put("inPlaceAsyncGlobalOperations", MixingContract::inPlaceAsyncGlobalOperations);
        m.put("weightedPairGossipInEveryForm", MixingContract::weightedPairGossipInEveryForm);
        m.put("hierarchicalWithStoredAndGivenMachineMixing", MixingContract::hierarchicalWithStoredAndGivenMachineMixing);
        m.put("localAllreduceOverTheMachine", MixingContract::localAllreduceOverTheMachine);
        m.put("inferSourcesAndDestinations", MixingContract::inferSourcesAndDestinations);
        m.put("inferRejectsInvalidListsOnEveryRank", MixingContract::inferRejectsInvalidListsOnEveryRank);
        return m;
    }

    /** Row i of the uniform average over self and in-neighbors of {@code t}, applied to x_j = j. */
    static double uniformOfRankIds(Topology t, int i) {
        int[] in = t.inNeighbors(i);
        return (i + Arrays.stream(in).sum()) / (double) (in.length + 1);
    }

    /** Row i of {@code t}'s own mixing matrix applied to x_j = j. */
    static double weightedOfRankIds(Topology t, int i) {
        double[][] w = t.weightMatrix();
        double s = 0;
        for (int j = 0; j < w.length; j++) {
            s += w[i][j] * j;
        }
        return s;
    }

    static void setTopologyIsUniformUnlessWeighted(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        // The star's Metropolis-Hastings weights differ from the uniform ones for n >= 3:
        // the hub keeps 1/n, a leaf keeps 1 - 1/n, where the uniform average gives 1/n and 1/2.
        Topology star = Topologies.star(n);
        double uniform = uniformOfRankIds(star, r);
        double weighted = weightedOfRankIds(star, r);
        if (n >= 3 && r == 1) {
            assertTrue(Math.abs(uniform - weighted) > 0.1, "the check can tell the two weightings apart");
        }
        try (Collectives c = Collectives.of(bf)) {
            INDArray x = filled(r, DataType.DOUBLE, 3);
            assertEquals(Weighting.UNIFORM, bf.weighting(), "BlueFog's default: is_weighted=False");
            bf.setTopology(star);
            assertEquals(Weighting.UNIFORM, bf.weighting());
            assertArrayEquals(star.inNeighbors(r), bf.inNeighborRanks());
            assertArrayEquals(star.outNeighbors(r), bf.outNeighborRanks());
            SerialReference.assertClose(new double[] {uniform, uniform, uniform}, c.neighborAllreduce(x),
                    tolerance(DataType.DOUBLE, n), "setTopology(star): uniform average, the graph's weights ignored");
            assertClose(new double[] {uniform, uniform, uniform}, c.neighborAllreduce(x, Mixing.of(star, Weighting.UNIFORM)),
                    tolerance(DataType.DOUBLE, n), "Mixing.of(star, UNIFORM)");
            bf.setTopology(star, Weighting.TOPOLOGY);
            assertEquals(Weighting.TOPOLOGY, bf.weighting());
            assertSame(star, bf.mixingTopology());
            assertClose(new double[] {weighted, weighted, weighted}, c.neighborAllreduce(x),
                    tolerance(DataType.DOUBLE, n), "setTopology(star, TOPOLOGY): the graph's weights");
            INDArray y = x.dup();
            assertSame(y, c.neighborAllreduceInPlaceAsync(y).join());
            assertClose(new double[] {weighted, weighted, weighted}, y, tolerance(DataType.DOUBLE, n),
                    "weighted, in place and nonblocking");
            assertClose(new double[] {weighted, weighted, weighted}, c.neighborAllreduce(x, Mixing.of(star)),
                    tolerance(DataType.DOUBLE, n), "Mixing.of(star): its weights");
        }
    }

    static void dynamicCheckIsOnByDefault(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        assertTrue(DynamicNeighbors.builder().build().checkConsistency(), "BlueFog's enable_topo_check=True");
        if (n < 2) {
            return;
        }
        try (Collectives c = Collectives.of(bf)) {
            // Every rank sends to r + 1 and nobody receives: without the check the sends would go
            // unmatched; with it the call fails at once on every rank.
            DynamicNeighbors sendOnly = DynamicNeighbors.builder().selfWeight(1).destination((r + 1) % n).build();
            CollectiveMismatchException e = assertThrows(CollectiveMismatchException.class,
                    () -> c.neighborAllreduce(filled(r, DataType.FLOAT, 2), sendOnly));
            assertTrue(e.getMessage().contains("rank"), e.getMessage());
            // The job goes on: a matched exchange afterwards works.
            int prev = Math.floorMod(r - 1, n);
            DynamicNeighbors shift = DynamicNeighbors.builder().selfWeight(0).source(prev, 1).destination((r + 1) % n)
                    .build();
            assertClose(new double[] {prev, prev}, c.neighborAllreduce(filled(r, DataType.FLOAT, 2), shift), 0,
                    "shift after a failed call");
        }
    }

    static void inPlaceAsyncGlobalOperations(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        try (Collectives c = Collectives.of(bf)) {
            double mean = (n - 1) / 2.0;
            INDArray a = filled(r, DataType.DOUBLE, 4);
            assertSame(a, c.allreduceInPlace(a));
            assertClose(new double[] {mean, mean, mean, mean}, a, tolerance(DataType.DOUBLE, n), "allreduceInPlace(x)");
            INDArray b = filled(r, DataType.FLOAT, 4);
            assertSame(b, c.allreduceInPlaceAsync(b).join());
            assertClose(new double[] {mean, mean, mean, mean}, b, tolerance(DataType.FLOAT, n), "allreduceInPlaceAsync(x)");
            INDArray s = filled(r, DataType.DOUBLE, 2);
            assertSame(s, c.allreduceInPlaceAsync(s, ReduceOp.SUM).join());
            assertClose(new double[] {n * mean, n * mean}, s, 0, "allreduceInPlaceAsync(x, SUM)");
            int root = n - 1;
            INDArray d = filled(10 + r, DataType.FLOAT, 3);
            assertSame(d, c.broadcastInPlaceAsync(d, root).join());
            assertClose(new double[] {10 + root, 10 + root, 10 + root}, d, 0, "broadcastInPlaceAsync");
            INDArray v = filled(r, DataType.DOUBLE, 2, 4).get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                    org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 3)); // a view
            c.broadcastInPlaceAsync(v, 0).join();
            assertClose(new double[] {0, 0, 0, 0}, v, 0, "broadcastInPlaceAsync into a view");
        }
    }

    static void weightedPairGossipInEveryForm(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        int peer = (r ^ 1) < n ? r ^ 1 : r;
        double self = 0.75;
        double pair = 0.25;
        try (Collectives c = Collectives.of(bf)) {
            double[][] x = SerialReference.inputs(SEED, n, 5, DataType.DOUBLE);
            double[] expected = new double[5];
            double[] average = new double[5];
            for (int e = 0; e < 5; e++) {
                expected[e] = peer == r ? x[r][e] : self * x[r][e] + pair * x[peer][e];
                average[e] = peer == r ? x[r][e] : (x[r][e] + x[peer][e]) / 2;
            }
            INDArray mine = array(x[r], DataType.DOUBLE, 5);
            double tol = tolerance(DataType.DOUBLE, 2);
            assertClose(expected, c.pairGossip(mine, peer, self, pair), tol, "pairGossip weighted");
            assertClose(x[r], mine, 0, "input unchanged");
            assertClose(expected, c.pairGossipAsync(mine, peer, self, pair).join(), tol, "pairGossipAsync weighted");
            INDArray a = mine.dup();
            assertSame(a, c.pairGossipInPlace(a, peer, self, pair));
            assertClose(expected, a, tol, "pairGossipInPlace weighted");
            INDArray b = mine.dup();
            assertSame(b, c.pairGossipInPlaceAsync(b, peer, self, pair).join());
            assertClose(expected, b, tol, "pairGossipInPlaceAsync weighted");
            INDArray u = mine.dup();
            assertSame(u, c.pairGossipInPlaceAsync(u, peer).join());
            assertClose(average, u, tol, "pairGossipInPlaceAsync (x, peer): the average");
            assertThrows(IllegalArgumentException.class, () -> c.pairGossip(mine, peer, Double.NaN, 0.5));
        }
    }

    /** @return every rank's machine, learnt with one allgather */
    static int[] machines(Collectives c, BlueFog bf) {
        return Arrays.stream(c.allgather(filled(bf.machineRank(), DataType.DOUBLE, 1)).data().asDouble())
                .mapToInt(v -> (int) v).toArray();
    }

    static void hierarchicalWithStoredAndGivenMachineMixing(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        int machines = bf.machineSize();
        int me = bf.machineRank();
        try (Collectives c = Collectives.of(bf)) {
            int[] machineOf = machines(c, bf);
            double[][] x = SerialReference.inputs(SEED + 1, n, 4, DataType.DOUBLE);
            double[][] avg = new double[machines][4];
            int[] count = new int[machines];
            for (int m : machineOf) {
                count[m]++;
            }
            for (int j = 0; j < n; j++) {
                for (int e = 0; e < 4; e++) {
                    avg[machineOf[j]][e] += x[j][e] / count[machineOf[j]];
                }
            }
            double tol = tolerance(DataType.DOUBLE, n + machines);
            INDArray mine = array(x[r], DataType.DOUBLE, 4);
            // The default machine topology: the exponential graph over machines, uniform.
            assertEquals(Topologies.exponential(machines), bf.machineTopology());
            assertClose(SerialReference.mix(Topologies.exponential(machines).weightMatrix(), avg, me),
                    c.hierarchicalNeighborAllreduce(mine), tol, "default machine topology");
            // A stored star over machines: uniform unless weighted, as BlueFog's set_machine_topology.
            Topology star = Topologies.star(machines);
            bf.setMachineTopology(star);
            assertArrayEquals(star.inNeighbors(me), bf.inNeighborMachineRanks());
            assertArrayEquals(star.outNeighbors(me), bf.outNeighborMachineRanks());
            double[] uniform = SerialReference.mix(WeightRule.UNIFORM.apply(star).weightMatrix(), avg, me);
            INDArray a = mine.dup();
            assertSame(a, c.hierarchicalNeighborAllreduceInPlace(a));
            assertClose(uniform, a, tol, "stored star, uniform, in place");
            bf.setMachineTopology(star, Weighting.TOPOLOGY);
            double[] weighted = SerialReference.mix(star.weightMatrix(), avg, me);
            assertClose(weighted, c.hierarchicalNeighborAllreduceAsync(mine).join(), tol, "stored star, weighted");
            INDArray b = mine.dup();
            assertSame(b, c.hierarchicalNeighborAllreduceInPlaceAsync(b, Mixing.of(star, Weighting.UNIFORM)).join());
            assertClose(uniform, b, tol, "given star, uniform, in place and nonblocking");
            // Dynamic machine weights (BlueFog's self_weight, src_machine_weights, dst_machine_weights):
            // machine m keeps 1/2 and receives 1/2 of machine m - 1's average, sent with weight 1.
            if (machines >= 2) {
                int prev = Math.floorMod(me - 1, machines);
                DynamicNeighbors d = DynamicNeighbors.builder().selfWeight(0.5).source(prev, 0.5)
                        .destination((me + 1) % machines).build();
                double[] expected = new double[4];
                for (int e = 0; e < 4; e++) {
                    expected[e] = 0.5 * avg[me][e] + 0.5 * avg[prev][e];
                }
                assertClose(expected, c.hierarchicalNeighborAllreduce(mine, d), tol, "dynamic machine neighbors");
                // The same with machine source weights only: destinations learnt in the call.
                assertClose(expected, c.hierarchicalNeighborAllreduce(mine, NeighborWeights.of(0.5, Map.of(prev, 0.5))), tol,
                        "machine NeighborWeights");
            }
            assertThrows(IllegalArgumentException.class,
                    () -> c.hierarchicalNeighborAllreduce(mine, NeighborWeights.of(1.0, Map.of(me, 1.0))),
                    "its own machine as a source");
        }
    }

    static void localAllreduceOverTheMachine(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        try (Collectives c = Collectives.of(bf)) {
            int[] machineOf = machines(c, bf);
            int me = bf.machineRank();
            int[] mates = IntStream.range(0, n).filter(j -> machineOf[j] == me).toArray();
            assertEquals(bf.localSize(), mates.length, "localSize is the machine's rank count");
            double sum = Arrays.stream(mates).sum();
            double avg = sum / mates.length;
            for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
                double tol = tolerance(dt, mates.length);
                INDArray x = filled(r, dt, 2, 3);
                assertClose(new double[] {avg, avg, avg, avg, avg, avg}, c.localAllreduce(x), tol, "local average " + dt);
                assertClose(new double[] {r, r, r, r, r, r}, x, 0, "input unchanged");
                assertClose(new double[] {sum, sum, sum, sum, sum, sum}, c.localAllreduceAsync(x, ReduceOp.SUM).join(), 0,
                        "local SUM, nonblocking");
                INDArray a = filled(r, dt, 3);
                assertSame(a, c.localAllreduceInPlace(a));
                assertClose(new double[] {avg, avg, avg}, a, tol, "local average in place");
                INDArray b = filled(r, dt, 3);
                assertSame(b, c.localAllreduceInPlaceAsync(b, ReduceOp.SUM).join());
                assertClose(new double[] {sum, sum, sum}, b, 0, "local SUM in place, nonblocking");
                assertThrows(IllegalArgumentException.class, () -> c.localAllreduce(b, ReduceOp.MAX),
                        "BlueFog's local allreduce averages or sums");
                INDArray d = filled(r, dt, 1);
                assertSame(d, c.localAllreduceInPlaceAsync(d).join());
                assertClose(new double[] {avg}, d, tol, "local average in place, nonblocking");
                assertClose(new double[] {avg}, c.localAllreduce(filled(r, dt, 1), ReduceOp.AVG), tol, "local AVG");
            }
        }
    }

    /** Rank r's destinations in the inference checks: r + 1 and r + 3 (mod n), without r. */
    static int[] destinationsOf(int r, int n) {
        TreeSet<Integer> d = new TreeSet<>();
        for (int s : new int[] {1, 3}) {
            int j = (r + s) % n;
            if (j != r) {
                d.add(j);
            }
        }
        return d.stream().mapToInt(Integer::intValue).toArray();
    }

    static void inferSourcesAndDestinations(BlueFog bf) {
        int n = bf.size();
        int r = bf.rank();
        try (Collectives c = Collectives.of(bf)) {
            int[] expectedSources = IntStream.range(0, n)
                    .filter(k -> Arrays.stream(destinationsOf(k, n)).anyMatch(j -> j == r)).toArray();
            InferredNeighbors src = c.inferSourceRanks(destinationsOf(r, n));
            assertArrayEquals(expectedSources, src.ranks(), "sources inferred from destinations");
            double[][] a = src.adjacencyMatrix();
            boolean[][] sends = new boolean[n][n];
            int[] receives = new int[n];
            for (int i = 0; i < n; i++) {
                for (int j : destinationsOf(i, n)) {
                    sends[i][j] = true;
                    receives[j]++;
                }
            }
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double w = i == j || sends[i][j] ? 1.0 / (receives[j] + 1) : 0.0;
                    assertEquals(w, a[i][j], 0, "adjacency[" + i + "][" + j + "] (column-normalized)");
                }
            }
            InferredNeighbors dst = c.inferDestinationRanks(src.ranks());
            assertArrayEquals(destinationsOf(r, n), dst.ranks(), "destinations inferred back from the sources");
            for (int i = 0; i < n; i++) {
                assertArrayEquals(a[i], dst.adjacencyMatrix()[i], 0, "the same graph's matrix, row " + i);
            }
            assertArrayEquals(new int[0], c.inferSourceRanks(new int[0]).ranks(), "nobody sends");
        }
    }

    static void inferRejectsInvalidListsOnEveryRank(BlueFog bf) {
        int r = bf.rank();
        try (Collectives c = Collectives.of(bf)) {
            if (r == 0) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> c.inferSourceRanks(new int[] {0}));
                assertTrue(e.getMessage().contains("calling rank"), e.getMessage());
            } else {
                CollectiveMismatchException e = assertThrows(CollectiveMismatchException.class,
                        () -> c.inferSourceRanks(new int[0]));
                assertTrue(e.getMessage().contains("[0]"), e.getMessage());
            }
            c.barrier(); // the job goes on
        }
    }
}
