package io.bluefog.topology;

import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * Rules that assign mixing weights to the edges of a graph. A rule reads only the structure of
 * its input (which ranks receive from which; the input's weights are ignored) and returns a new
 * {@link Topology} over the same edges. Explicit weights need no rule: build them with
 * {@link Topology#of} or {@link Topology#fromWeightMatrix} and check them with
 * {@link TopologyValidation#requireValid}.
 *
 * <p>{@code d_i} below is the degree of rank i (neighbors, self excluded).
 */
public enum WeightRule {
    /**
     * {@code w_ij = w_ii = 1/(indeg_i + 1)}: every rank averages itself and its in-neighbors
     * uniformly: what BlueFog's {@code neighbor_allreduce} does when the topology was set with
     * {@code is_weighted=False} (its default), and the weights of BlueFog's exponential, ring and
     * fully connected graphs. Row stochastic on any graph; doubly
     * stochastic when every rank has as many out- as in-neighbors of equal in-degree (e.g. regular
     * circulant graphs: ring, exponential, torus, hypercube).
     */
    UNIFORM(Stochasticity.ROW, true),
    /**
     * Metropolis–Hastings: {@code w_ij = 1/(1 + max(d_i, d_j))}, {@code w_ii = 1 - sum_j w_ij}
     * (Xiao, Boyd, Lall, "A scheme for robust distributed sensor fusion based on average
     * consensus", IPSN 2005). Symmetric and doubly stochastic on any undirected graph.
     */
    METROPOLIS_HASTINGS(Stochasticity.DOUBLY, true),
    /**
     * Max-degree weights: {@code w_ij = 1/(d_max + 1)}, {@code w_ii = 1 - d_i/(d_max + 1)}
     * (Xiao and Boyd, "Fast linear iterations for distributed averaging", Systems &amp; Control
     * Letters 53, 2004, with {@code d_max + 1} instead of {@code d_max} so every self weight stays
     * positive). Symmetric and doubly stochastic on any undirected graph.
     */
    MAX_DEGREE(Stochasticity.DOUBLY, true),
    /**
     * Best constant edge weight: {@code W = I - alpha L} with
     * {@code alpha = 2/(lambda_1(L) + lambda_{n-1}(L))}, L the graph Laplacian, lambda_1 its
     * largest and lambda_{n-1} its second smallest eigenvalue (Xiao and Boyd 2004, section 4.1).
     * Symmetric and doubly stochastic; self weights may be negative. Needs a connected undirected
     * graph.
     */
    BEST_CONSTANT(Stochasticity.DOUBLY, false);

    /** Largest graph the best-constant rule accepts: its n x n Laplacian is decomposed densely. */
    public static final int BEST_CONSTANT_MAX_SIZE = 8192;

    private final Stochasticity guarantees;
    private final boolean nonNegative;

    WeightRule(Stochasticity guarantees, boolean nonNegative) {
        this.guarantees = guarantees;
        this.nonNegative = nonNegative;
    }

    /**
     * @return the sums this rule makes 1 on every graph it accepts ({@link Stochasticity#ROW} for
     *         {@link #UNIFORM}: doubly only on suitable graphs)
     */
    public Stochasticity guarantees() {
        return guarantees;
    }

    /** @return whether the rule never produces negative weights */
    public boolean nonNegative() {
        return nonNegative;
    }

    /**
     * Parses a rule name as used on the command line: {@code uniform}, {@code metropolis}
     * (or {@code metropolis-hastings}), {@code max-degree}, {@code best-constant}.
     *
     * @throws IllegalArgumentException naming the unknown rule
     */
    public static WeightRule parse(String name) {
        switch (name.toLowerCase().replace('_', '-')) {
            case "uniform":
                return UNIFORM;
            case "metropolis":
            case "metropolis-hastings":
                return METROPOLIS_HASTINGS;
            case "max-degree":
                return MAX_DEGREE;
            case "best-constant":
                return BEST_CONSTANT;
            default:
                throw new IllegalArgumentException("unknown weight rule '" + name
                        + "' (expected uniform, metropolis, max-degree or best-constant)");
        }
    }

    /**
     * Assigns this rule's weights to the edges of {@code structure}.
     *
     * @param structure the graph: its in-neighbor lists are used, its weights ignored
     * @return a topology with the same edges and this rule's weights
     * @throws IllegalArgumentException if the rule needs an undirected graph and an edge
     *                                  {@code j -> i} has no reverse (naming both ranks), or, for
     *                                  {@link #BEST_CONSTANT}, if the graph is disconnected
     */
    public Topology apply(Topology structure) {
        int n = structure.size();
        int[][] in = new int[n][];
        for (int i = 0; i < n; i++) {
            in[i] = structure.inNeighbors(i);
        }
        if (this != UNIFORM) {
            requireUndirected(structure);
        }
        double[] self = new double[n];
        double[][] w = new double[n][];
        switch (this) {
            case UNIFORM:
                for (int i = 0; i < n; i++) {
                    double u = 1.0 / (in[i].length + 1);
                    self[i] = u;
                    w[i] = filled(in[i].length, u);
                }
                break;
            case METROPOLIS_HASTINGS:
                for (int i = 0; i < n; i++) {
                    w[i] = new double[in[i].length];
                    double sum = 0;
                    for (int k = 0; k < in[i].length; k++) {
                        w[i][k] = 1.0 / (1 + Math.max(in[i].length, in[in[i][k]].length));
                        sum += w[i][k];
                    }
                    self[i] = 1.0 - sum;
                }
                break;
            case MAX_DEGREE: {
                int dmax = Arrays.stream(in).mapToInt(a -> a.length).max().orElse(0);
                double u = 1.0 / (dmax + 1);
                for (int i = 0; i < n; i++) {
                    w[i] = filled(in[i].length, u);
                    self[i] = 1.0 - in[i].length * u;
                }
                break;
            }
            case BEST_CONSTANT: {
                double alpha = bestConstantAlpha(in);
                for (int i = 0; i < n; i++) {
                    w[i] = filled(in[i].length, alpha);
                    self[i] = 1.0 - in[i].length * alpha;
                }
                break;
            }
            default:
                throw new AssertionError(this);
        }
        return Topology.of(self, in, w);
    }

    /** alpha = 2/(lambda_1(L) + lambda_{n-1}(L)); the Laplacian spectrum comes from EJML's symmetric solver. */
    private static double bestConstantAlpha(int[][] in) {
        int n = in.length;
        if (n == 1) {
            return 0.0;
        }
        if (n > BEST_CONSTANT_MAX_SIZE) {
            throw new IllegalArgumentException("best-constant weights need a dense eigen decomposition of the "
                    + "Laplacian; n = " + n + " exceeds " + BEST_CONSTANT_MAX_SIZE);
        }
        DMatrixRMaj laplacian = new DMatrixRMaj(n, n);
        for (int i = 0; i < n; i++) {
            laplacian.set(i, i, in[i].length);
            for (int j : in[i]) {
                laplacian.set(i, j, -1.0);
            }
        }
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(n, false, true);
        if (!eig.decompose(laplacian)) {
            throw new IllegalStateException("EJML symmetric eigen decomposition of the " + n + "x" + n
                    + " Laplacian did not converge");
        }
        double[] lambda = new double[n];
        for (int k = 0; k < n; k++) {
            lambda[k] = eig.getEigenvalue(k).getReal();
        }
        Arrays.sort(lambda);
        double largest = lambda[n - 1];
        double algebraicConnectivity = lambda[1];
        // Eigenvalues of a Laplacian are integers-scaled sums; 1e-9 * largest separates a true zero.
        if (algebraicConnectivity <= 1e-9 * Math.max(1.0, largest)) {
            throw new IllegalArgumentException("best-constant weights need a connected graph, but the graph is "
                    + "disconnected (second smallest Laplacian eigenvalue " + algebraicConnectivity + ")");
        }
        return 2.0 / (largest + algebraicConnectivity);
    }

    private void requireUndirected(Topology t) {
        for (int i = 0; i < t.size(); i++) {
            for (int j : t.inNeighbors(i)) {
                if (Arrays.binarySearch(t.inNeighbors(j), i) < 0) {
                    throw new IllegalArgumentException("weight rule " + name().toLowerCase().replace('_', '-')
                            + " needs an undirected graph, but rank " + i + " receives from " + j
                            + " and " + j + " does not receive from " + i);
                }
            }
        }
    }

    private static double[] filled(int length, double value) {
        double[] a = new double[length];
        Arrays.fill(a, value);
        return a;
    }
}
