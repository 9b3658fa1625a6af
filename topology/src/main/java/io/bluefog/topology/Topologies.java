package io.bluefog.topology;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.IntFunction;
import org.jgrapht.Graph;
import org.jgrapht.alg.connectivity.ConnectivityInspector;
import org.jgrapht.generate.GnpRandomGraphGenerator;
import org.jgrapht.generate.RandomRegularGraphGenerator;
import org.jgrapht.graph.DefaultEdge;
import org.jgrapht.graph.SimpleGraph;
import org.jgrapht.util.SupplierUtil;

/**
 * Static factories of the standard topologies, named after the graph. Each returns a
 * {@link Topology} whose javadoc says which graph it is, which of BlueFog's graphs
 * ({@code bluefog.common.topology_util}) it equals, and which weights it carries (uniform over self
 * and in-neighbors, Metropolis–Hastings, ...); other rules can be applied with
 * {@link WeightRule#apply(Topology)}. Named access for command lines is
 * {@link io.bluefog.topology.catalog.TopologyCatalog}. Bad input throws
 * {@link IllegalArgumentException} naming the parameter.
 */
public final class Topologies {
    private Topologies() {
    }

    /**
     * Exponential graph with base 2 (Ying et al., "Exponential Graph is Provably Efficient for
     * Decentralized Deep Training", NeurIPS 2021; BlueFog's {@code ExponentialTwoGraph(n)} and
     * {@code ExponentialGraph(n)}): rank i sends to {@code i + 2^k mod n} for
     * {@code k = 0..floor(log2(n-1))}. <b>Weights:</b> uniform over self and in-neighbors,
     * {@code 1/(ceil(log2 n) + 1)}, the same matrix as BlueFog's. For even n,
     * {@code rho = 1 - 2/(1 + ceil(log2 n))}.
     *
     * @param n number of ranks, &ge; 1
     */
    public static Topology exponential(int n) {
        return exponential(n, 2);
    }

    /**
     * Exponential graph with base b (BlueFog's {@code ExponentialGraph(n, base)}): rank i sends to
     * {@code i + b^k mod n} for every power {@code b^k < n} ({@code k = 0, 1, ...}). <b>Weights:</b>
     * uniform over self and in-neighbors, {@code 1/(outdeg + 1)}, as BlueFog's; the graph is
     * circulant, so W is doubly stochastic. Powers are exact integers; BlueFog tests them with a
     * floating-point logarithm ({@code isPowerOf}), which misses a few large ones (243 and 59049
     * for base 3, 1000 for base 10), so for n above those BlueFog's graph lacks that offset.
     *
     * @param n    number of ranks, &ge; 1
     * @param base &ge; 2
     */
    public static Topology exponential(int n, int base) {
        requireSize(n);
        requireBase(base);
        int[] shifts = powersBelow(base, n);
        return circulant(n, shifts);
    }

    /** BlueFog's default base of {@code SymmetricExponentialGraph}. */
    public static final int SYMMETRIC_EXPONENTIAL_DEFAULT_BASE = 4;

    /**
     * Symmetric exponential graph with BlueFog's default base 4; see
     * {@link #symmetricExponential(int, int)}.
     *
     * @param n number of ranks, &ge; 1
     */
    public static Topology symmetricExponential(int n) {
        return symmetricExponential(n, SYMMETRIC_EXPONENTIAL_DEFAULT_BASE);
    }

    /**
     * Symmetric exponential graph with base b (BlueFog's {@code SymmetricExponentialGraph(n, base)}):
     * rank i receives from (and sends to) {@code i + s mod n} for every offset
     * {@code s = 1..n-1} such that {@code min(s, n - s)} is a power of b (1, b, b^2, ...). The
     * offsets of the first half are mirrored to the second, so an offset whose power lies between
     * n/2 and n is not kept (n = 6, b = 4: rank 0's in-neighbors are 1 and 5 only).
     * <b>Weights:</b> uniform over self and neighbors, {@code 1/(deg + 1)}, the same matrix as
     * BlueFog's. Undirected and circulant: W is symmetric and doubly stochastic.
     *
     * @param n    number of ranks, &ge; 1
     * @param base &ge; 2
     */
    public static Topology symmetricExponential(int n, int base) {
        requireSize(n);
        requireBase(base);
        TreeSet<Integer> shifts = new TreeSet<>();
        for (int p : powersBelow(base, n / 2 + 1)) {
            shifts.add(p);
            shifts.add(n - p);
        }
        return circulant(n, shifts.stream().mapToInt(Integer::intValue).toArray());
    }

    /**
     * Bidirectional ring (BlueFog's {@code RingGraph(n)}, connect style 0): rank i receives from
     * {@code i-1} and {@code i+1} (mod n). <b>Weights:</b> 1/3 for self and both neighbors (n = 2:
     * all 1/2; n = 1: [1]), BlueFog's matrix: uniform over self and neighbors (Metropolis–Hastings gives
     * the same weights up to the rounding of {@code 1 - 2/3}).
     * Eigenvalues {@code 1/3 + 2/3 cos(2 pi k / n)}.
     *
     * @param n number of ranks, &ge; 1
     */
    public static Topology ring(int n) {
        return ring(n, RingStyle.BIDIRECTIONAL);
    }

    /**
     * Ring in one of BlueFog's three connect styles ({@code RingGraph(n, connect_style)}):
     * {@link RingStyle#BIDIRECTIONAL} as {@link #ring(int)}; {@link RingStyle#LEFT}: rank i sends to
     * {@code i-1} and receives from {@code i+1}; {@link RingStyle#RIGHT}: rank i sends to {@code i+1}
     * and receives from {@code i-1} (mod n). <b>Weights</b> of the directed rings: 1/2 for self and
     * 1/2 for the one in-neighbor (a permutation averaged with I, so doubly stochastic); as in
     * BlueFog, n = 1 gives [1] and n = 2 gives all 1/2 whatever the style.
     *
     * @param n     number of ranks, &ge; 1
     * @param style which neighbors a rank talks to
     * @throws IllegalArgumentException if n &lt; 1 or style is null
     */
    public static Topology ring(int n, RingStyle style) {
        requireSize(n);
        if (style == null) {
            throw new IllegalArgumentException("style must not be null");
        }
        if (n <= 2) {
            return fullyConnected(n);
        }
        switch (style) {
            case LEFT:
                return circulant(n, new int[] {n - 1});
            case RIGHT:
                return circulant(n, new int[] {1});
            default:
                return circulant(n, new int[] {1, n - 1});
        }
    }

    /**
     * 2-D mesh (grid without wrap-around; BlueFog's {@code MeshGrid2DGraph(rows * cols, (rows, cols))}):
     * rank {@code r = row * cols + col} talks to the ranks above, below, left and right that exist.
     * <b>Weights:</b> Metropolis–Hastings, {@code w_ij = 1/(1 + max(d_i, d_j))},
     * {@code w_ii = 1 - sum_j w_ij}, BlueFog's rule for this graph (the degrees differ at the
     * border), so W is symmetric and doubly stochastic. One row or column gives a path.
     *
     * @param rows &ge; 1
     * @param cols &ge; 1
     */
    public static Topology mesh2d(int rows, int cols) {
        return grid(rows, cols, WeightRule.METROPOLIS_HASTINGS, (r, row, col) -> {
            TreeSet<Integer> nb = new TreeSet<>();
            if (row > 0) {
                nb.add(r - cols);
            }
            if (row < rows - 1) {
                nb.add(r + cols);
            }
            if (col > 0) {
                nb.add(r - 1);
            }
            if (col < cols - 1) {
                nb.add(r + 1);
            }
            return nb;
        });
    }

    /**
     * 2-D torus (grid with wrap-around): rank {@code r = row * cols + col} talks to the ranks above,
     * below, left and right (mod rows / cols; coinciding neighbors counted once). BlueFog has no
     * torus. <b>Weights:</b> uniform over self and neighbors, {@code 1/(deg + 1)}, so 1/5 when
     * rows, cols &ge; 3. The graph is regular, so W is symmetric
     * and doubly stochastic. The 3x3 torus has {@code rho = 0.4}.
     *
     * @param rows &ge; 1
     * @param cols &ge; 1
     */
    public static Topology torus2d(int rows, int cols) {
        return grid(rows, cols, WeightRule.UNIFORM, (r, row, col) -> {
            TreeSet<Integer> nb = new TreeSet<>(List.of(
                    Math.floorMod(row - 1, rows) * cols + col, ((row + 1) % rows) * cols + col,
                    row * cols + Math.floorMod(col - 1, cols), row * cols + (col + 1) % cols));
            nb.remove(r);
            return nb;
        });
    }

    /** The neighbors of rank {@code r = row * cols + col} in a grid. */
    private interface GridNeighbors {
        TreeSet<Integer> of(int r, int row, int col);
    }

    /** A rows x cols grid of row-major ranks with the given neighbors and weight rule. */
    private static Topology grid(int rows, int cols, WeightRule rule, GridNeighbors neighbors) {
        requirePositive(rows, "rows");
        requirePositive(cols, "cols");
        int n = Math.multiplyExact(rows, cols);
        return rule.apply(structure(n, r -> neighbors.of(r, r / cols, r % cols).stream()
                .mapToInt(Integer::intValue).toArray()));
    }

    /**
     * Star around rank {@code center} (BlueFog's {@code StarGraph(n, center)}). <b>Weights:</b>
     * Metropolis–Hastings, which is BlueFog's matrix: the center weighs everyone (itself included)
     * 1/n, a leaf keeps {@code 1 - 1/n} and weighs the center 1/n. Symmetric and doubly stochastic.
     * {@code rho = 1 - 1/n} for n &ge; 3.
     *
     * @param n      number of ranks, &ge; 1
     * @param center the hub, in {@code 0..n-1}
     */
    public static Topology star(int n, int center) {
        requireSize(n);
        if (center < 0 || center >= n) {
            throw new IllegalArgumentException("center must be in 0.." + (n - 1) + ", got " + center);
        }
        int[] others = new int[n - 1];
        for (int r = 0, k = 0; r < n; r++) {
            if (r != center) {
                others[k++] = r;
            }
        }
        return WeightRule.METROPOLIS_HASTINGS.apply(structure(n, r -> r == center ? others : new int[] {center}));
    }

    /** Star around rank 0; see {@link #star(int, int)}. */
    public static Topology star(int n) {
        return star(n, 0);
    }

    /**
     * Fully connected graph (BlueFog's {@code FullyConnectedGraph(n)}). <b>Weights:</b> uniform,
     * {@code W = 11^T / n}, BlueFog's matrix ({@code rho = 0}): every neighbor average is the global
     * average.
     *
     * @param n number of ranks, &ge; 1
     */
    public static Topology fullyConnected(int n) {
        requireSize(n);
        int[] shifts = new int[n - 1];
        for (int s = 1; s < n; s++) {
            shifts[s - 1] = s;
        }
        return circulant(n, shifts);
    }

    /**
     * Hypercube over {@code n = 2^d} ranks: i and j are neighbors when their binary labels differ in
     * one bit. BlueFog has no hypercube. <b>Weights:</b> uniform over self and neighbors,
     * {@code 1/(d + 1)}; {@code rho = (d - 1)/(d + 1)}.
     *
     * @param n number of ranks, a power of 2
     */
    public static Topology hypercube(int n) {
        requireSize(n);
        if (Integer.bitCount(n) != 1) {
            throw new IllegalArgumentException("n must be a power of 2 for a hypercube, got " + n);
        }
        int d = Integer.numberOfTrailingZeros(n);
        return WeightRule.UNIFORM.apply(structure(n, r -> {
            int[] nb = new int[d];
            for (int k = 0; k < d; k++) {
                nb[k] = r ^ (1 << k);
            }
            return nb;
        }));
    }

    /**
     * Random d-regular graph from JGraphT's {@link RandomRegularGraphGenerator} (simple graph,
     * seeded); not in BlueFog. <b>Weights:</b> uniform over self and neighbors, {@code 1/(d + 1)}
     * (doubly stochastic since the graph is regular).
     *
     * @param n      number of ranks, &ge; 1
     * @param degree d, {@code 0 <= d < n}, {@code n * d} even
     * @param seed   random seed; equal seeds give equal graphs
     * @throws IllegalArgumentException on bad parameters or if the drawn graph is disconnected
     */
    public static Topology randomRegular(int n, int degree, long seed) {
        requireSize(n);
        if (degree < 0 || degree >= n) {
            throw new IllegalArgumentException("degree must be in 0.." + (n - 1) + " for n = " + n + ", got " + degree);
        }
        if ((long) n * degree % 2 != 0) {
            throw new IllegalArgumentException("n * degree must be even for a regular graph, got n = " + n
                    + ", degree = " + degree);
        }
        Graph<Integer, DefaultEdge> g = emptyGraph();
        new RandomRegularGraphGenerator<Integer, DefaultEdge>(n, degree, seed).generateGraph(g);
        requireConnected(g, "random " + degree + "-regular graph on " + n + " ranks with seed " + seed);
        return WeightRule.UNIFORM.apply(structureOf(g));
    }

    /**
     * Erdős–Rényi graph G(n, p) from JGraphT's {@link GnpRandomGraphGenerator} (undirected, no self
     * loops, seeded); not in BlueFog. <b>Weights:</b> Metropolis–Hastings (symmetric, doubly
     * stochastic).
     *
     * @param n           number of ranks, &ge; 1
     * @param probability edge probability p in [0, 1]
     * @param seed        random seed; equal seeds give equal graphs
     * @throws IllegalArgumentException on bad parameters or if the drawn graph is disconnected
     */
    public static Topology erdosRenyi(int n, double probability, long seed) {
        requireSize(n);
        if (!(probability >= 0 && probability <= 1)) {
            throw new IllegalArgumentException("probability must be in [0, 1], got " + probability);
        }
        Graph<Integer, DefaultEdge> g = emptyGraph();
        new GnpRandomGraphGenerator<Integer, DefaultEdge>(n, probability, seed, false).generateGraph(g);
        requireConnected(g, "Erdos-Renyi graph G(" + n + ", " + probability + ") with seed " + seed);
        return WeightRule.METROPOLIS_HASTINGS.apply(structureOf(g));
    }

    /**
     * Topology of any JGraphT graph with a weight rule. Vertices become ranks: if the vertex set
     * is exactly the integers {@code 0..n-1} they keep their numbers, otherwise they are numbered
     * in the graph's iteration order. Directed edge {@code u -> v} means v receives from u;
     * undirected edges go both ways; self loops and parallel edges are ignored (the self weight
     * comes from the rule).
     *
     * @param graph a graph with at least one vertex
     * @param rule  the weight rule
     * @throws IllegalArgumentException if the graph is empty or the rule rejects it
     */
    public static <V, E> Topology fromGraph(Graph<V, E> graph, WeightRule rule) {
        return rule.apply(structureOf(graph));
    }

    /**
     * The lazy mixing matrix {@code W̄ = (I + W)/2} of Exact Diffusion / D² (Yuan, Ying, Zhao and
     * Sayed, "Exact Diffusion for Distributed Optimization and Learning", IEEE TSP 2019; Tang et
     * al., "D²: Decentralized Training over Decentralized Data", ICML 2018): same edges as W, self
     * weights {@code (1 + w_ii)/2}, neighbor weights {@code w_ij/2}. Row and column sums are kept,
     * so W̄ is doubly stochastic when W is; its eigenvalues are {@code (1 + λ)/2}, so it is positive
     * definite whenever W is symmetric doubly stochastic (the condition of Exact Diffusion's proof).
     *
     * @param w the mixing matrix W, of any size &ge; 1
     * @return a new topology W̄ of the same size
     */
    public static Topology lazy(Topology w) {
        if (w == null) {
            throw new IllegalArgumentException("w must not be null");
        }
        int n = w.size();
        double[] self = new double[n];
        int[][] in = new int[n][];
        double[][] weights = new double[n][];
        for (int i = 0; i < n; i++) {
            self[i] = (1.0 + w.selfWeight(i)) / 2;
            in[i] = w.inNeighbors(i);
            weights[i] = w.recvWeights(i);
            for (int k = 0; k < weights[i].length; k++) {
                weights[i][k] /= 2;
            }
        }
        return Topology.of(self, in, weights);
    }

    /**
     * The edges of a JGraphT graph as a topology with unit weights (a structure for
     * {@link WeightRule#apply}); vertex numbering as in {@link #fromGraph}.
     */
    public static <V, E> Topology structureOf(Graph<V, E> graph) {
        Map<V, Integer> rank = rankOf(graph);
        int n = rank.size();
        List<TreeSet<Integer>> in = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            in.add(new TreeSet<>());
        }
        boolean directed = graph.getType().isDirected();
        for (E e : graph.edgeSet()) {
            int u = rank.get(graph.getEdgeSource(e));
            int v = rank.get(graph.getEdgeTarget(e));
            if (u == v) {
                continue;
            }
            in.get(v).add(u);
            if (!directed) {
                in.get(u).add(v);
            }
        }
        return structure(n, i -> in.get(i).stream().mapToInt(Integer::intValue).toArray());
    }

    private static <V, E> Map<V, Integer> rankOf(Graph<V, E> graph) {
        int n = graph.vertexSet().size();
        if (n < 1) {
            throw new IllegalArgumentException("graph must have at least one vertex");
        }
        Map<V, Integer> rank = new HashMap<>();
        boolean integers = graph.vertexSet().stream()
                .allMatch(v -> v instanceof Integer && (Integer) v >= 0 && (Integer) v < n);
        int next = 0;
        for (V v : graph.vertexSet()) {
            rank.put(v, integers ? (Integer) v : next++);
        }
        return rank;
    }

    /** A topology with the given in-neighbors and unit weights: a structure for weight rules. */
    static Topology structure(int n, IntFunction<int[]> inNeighbors) {
        double[] self = new double[n];
        int[][] in = new int[n][];
        double[][] w = new double[n][];
        for (int i = 0; i < n; i++) {
            self[i] = 1.0;
            in[i] = inNeighbors.apply(i);
            w[i] = new double[in[i].length];
            Arrays.fill(w[i], 1.0);
        }
        return Topology.of(self, in, w);
    }

    /** Circulant graph: i receives from i - s (mod n) for every shift s; uniform weights. */
    private static Topology circulant(int n, int[] shifts) {
        return WeightRule.UNIFORM.apply(structure(n, i -> {
            int[] in = new int[shifts.length];
            for (int k = 0; k < shifts.length; k++) {
                in[k] = Math.floorMod(i - shifts[k], n);
            }
            return in;
        }));
    }

    /** @return b^0, b^1, ... while below n */
    private static int[] powersBelow(int base, int n) {
        List<Integer> p = new ArrayList<>();
        for (long v = 1; v < n; v *= base) {
            p.add((int) v);
        }
        return p.stream().mapToInt(Integer::intValue).toArray();
    }

    private static Graph<Integer, DefaultEdge> emptyGraph() {
        return new SimpleGraph<>(SupplierUtil.createIntegerSupplier(), SupplierUtil.DEFAULT_EDGE_SUPPLIER, false);
    }

    private static void requireConnected(Graph<Integer, DefaultEdge> g, String what) {
        if (!new ConnectivityInspector<>(g).isConnected()) {
            throw new IllegalArgumentException(what + " is disconnected; use another seed or a denser graph");
        }
    }

    static void requireSize(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("size n must be >= 1, got " + n);
        }
    }

    private static void requireBase(int base) {
        if (base < 2) {
            throw new IllegalArgumentException("base must be >= 2, got " + base);
        }
    }

    private static void requirePositive(int v, String parameter) {
        if (v < 1) {
            throw new IllegalArgumentException(parameter + " must be >= 1, got " + v);
        }
    }
}
