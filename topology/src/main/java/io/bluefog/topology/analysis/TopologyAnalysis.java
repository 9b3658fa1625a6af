package io.bluefog.topology.analysis;

import io.bluefog.topology.Topology;
import io.bluefog.topology.TopologyValidation;
import io.bluefog.topology.dynamic.DynamicTopology;
import io.bluefog.topology.dynamic.Schedules;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Computes an {@link AnalysisReport}: spectral quantities, graph metrics, stochasticity, a
 * simulated consensus, D-SGD transient-iteration estimates and the communication cost per
 * iteration. Static topologies are analysed as a schedule of period 1.
 */
public final class TopologyAnalysis {
    /** Bytes per model entry: models are exchanged as 32-bit floats. */
    public static final int BYTES_PER_FLOAT = Float.BYTES;
    /**
     * Entries of a product within this distance of 1/n count as exact averaging. Products of
     * one-peer matrices have dyadic entries; rounding stays near 1e-16 per step.
     */
    public static final double EXACT_AVERAGE_TOLERANCE = 1e-12;
    /** Window used for schedules without a period, or with a period longer than this. */
    public static final int MAX_WINDOW = 64;
    /** Step counts of the consensus simulation in every report. */
    public static final int[] GOSSIP_STEPS = {1, 10, 100};
    /** Seed of the consensus simulation's initial values. */
    public static final long GOSSIP_SEED = 20211206L;

    private TopologyAnalysis() {
    }

    /** Analyses a static topology; see {@link #analyze(String, String, DynamicTopology, long)}. */
    public static AnalysisReport analyze(String graph, String weights, Topology topology, long modelFloats) {
        return analyze(graph, weights, Schedules.staticTopology(topology), modelFloats);
    }

    /**
     * Analyses the matrices {@code W(0) .. W(window-1)} of a schedule, where the window is its
     * period (or {@link #MAX_WINDOW} if it has none or a longer one).
     *
     * @param graph       label of the graph, copied into the report
     * @param weights     label of the weight rule, copied into the report
     * @param schedule    the topology of every iteration
     * @param modelFloats model size d in floats for the byte counts, &ge; 0
     * @throws IllegalArgumentException if {@code modelFloats < 0}
     */
    public static AnalysisReport analyze(String graph, String weights, DynamicTopology schedule, long modelFloats) {
        if (modelFloats < 0) {
            throw new IllegalArgumentException("modelFloats must be >= 0, got " + modelFloats);
        }
        int n = schedule.size();
        int period = schedule.period();
        int window = windowOf(schedule);
        List<Topology> mats = new ArrayList<>(window);
        for (int k = 0; k < window; k++) {
            mats.add(schedule.at(k));
        }

        int edges = 0;
        int maxIn = 0;
        int maxOut = 0;
        long totalMessages = 0;
        boolean symmetric = true;
        boolean rowStochastic = true;
        boolean columnStochastic = true;
        boolean nonNegative = true;
        double rhoStepMax = 0;
        List<TreeSet<Integer>> union = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            union.add(new TreeSet<>());
        }
        for (Topology w : mats) {
            int e = GraphMetrics.edgeCount(w);
            edges = Math.max(edges, e);
            totalMessages += e;
            maxIn = Math.max(maxIn, GraphMetrics.maxInDegree(w));
            maxOut = Math.max(maxOut, GraphMetrics.maxOutDegree(w));
            symmetric &= TopologyValidation.isSymmetric(w);
            rowStochastic &= TopologyValidation.isRowStochastic(w);
            columnStochastic &= TopologyValidation.isColumnStochastic(w);
            nonNegative &= TopologyValidation.isNonNegative(w);
            for (int i = 0; i < n; i++) {
                for (int j : w.inNeighbors(i)) {
                    union.get(i).add(j);
                }
            }
        }
        // The single-step rho of a schedule: distinct matrices only (a period often repeats one shape).
        List<Topology> distinct = new ArrayList<>();
        for (Topology w : mats) {
            if (!distinct.contains(w)) {
                distinct.add(w);
            }
        }
        double lambda2 = Double.NaN;
        if (window == 1 && symmetric && rowStochastic && n >= 2) {
            double[] rl = Spectral.rhoAndSecondEigenvalue(mats.get(0));
            rhoStepMax = rl[0];
            lambda2 = rl[1];
        } else if (window == 1) {
            rhoStepMax = Spectral.rho(mats.get(0));
        } else {
            // One dense SVD per matrix would dominate at n = 1024 (about a second each): this single-step
            // diagnostic uses sparse power iteration instead (see Spectral.rhoByPowerIteration).
            for (Topology w : distinct) {
                rhoStepMax = Math.max(rhoStepMax, Spectral.rhoByPowerIteration(w, GOSSIP_SEED));
            }
        }

        double[][] product = identity(n);
        int stepsToExact = -1;
        double[][] atWindow = null;
        for (int k = 0; k < 4 * window; k++) {
            product = leftMultiply(schedule.at(k), product);
            if (stepsToExact < 0 && isAverage(product)) {
                stepsToExact = k + 1;
            }
            if (k == window - 1) {
                atWindow = product;
            }
            if (atWindow != null && stepsToExact >= 0) {
                break;
            }
        }
        double rhoProduct = productRho(window, rhoStepMax, atWindow);
        double rho = perIteration(rhoProduct, window);
        if (window == 1 && symmetric && !rowStochastic && n >= 2) {
            lambda2 = Spectral.secondLargestEigenvalue(mats.get(0));
        }

        int[][] unionIn = new int[n][];
        double[][] ones = new double[n][];
        double[] self = new double[n];
        for (int i = 0; i < n; i++) {
            unionIn[i] = union.get(i).stream().mapToInt(Integer::intValue).toArray();
            ones[i] = new double[unionIn[i].length];
            java.util.Arrays.fill(ones[i], 1.0);
            self[i] = 1.0;
        }
        int diameter = GraphMetrics.diameter(Topology.of(self, unionIn, ones));

        double[] consensus = GossipSimulation.relativeError(schedule, GOSSIP_STEPS, GOSSIP_SEED);
        double meanMessages = (double) totalMessages / ((double) n * window);
        double bytesPerMessage = (double) BYTES_PER_FLOAT * modelFloats;
        double ringAllreduce = 2.0 * (n - 1) / n * bytesPerMessage;
        return new AnalysisReport(graph, weights, n, period, window, edges, maxIn, maxOut, diameter,
                symmetric, rowStochastic, columnStochastic, nonNegative,
                rho, rhoProduct, rhoStepMax, lambda2, stepsToExact,
                GOSSIP_STEPS.clone(), consensus,
                TransientIterations.iid(rho, n), TransientIterations.nonIid(rho, n),
                maxOut, meanMessages, modelFloats, maxOut * bytesPerMessage, ringAllreduce);
    }

    /**
     * The per-iteration rho of a schedule alone (what {@code compare} needs): {@code ||W - J||_2}
     * for a static topology, {@link #perIteration(double, int)} of
     * {@code ||W(window-1)...W(0) - J||_2} for a schedule, with the window as in
     * {@link #analyze(String, String, DynamicTopology, long)}.
     */
    public static double perIterationRho(DynamicTopology schedule) {
        int window = windowOf(schedule);
        if (window == 1) {
            return Spectral.rho(schedule.at(0));
        }
        double rhoProduct = productRho(window, Double.NaN, product(schedule, window));
        return perIteration(rhoProduct, window);
    }

    /**
     * Per-iteration rho of a window of {@code tau} matrices whose product has {@code rhoProduct}:
     * the gap is spread linearly, {@code 1 - rho = (1 - rhoProduct) / tau}. This follows the
     * {@code tau / p} dependence of D-SGD on a changing topology that contracts by p every tau
     * iterations (Koloskova et al., "A Unified Theory of Decentralized SGD with Changing Topology
     * and Local Updates", ICML 2020, Assumption 4 and Theorem 2), and is the identity for one
     * matrix. A geometric mean {@code rhoProduct^(1/tau)} would instead give rho = 0 to the
     * one-peer exponential graph, predicting the speed of exact averaging, which Ying et al.
     * (NeurIPS 2021) do not find: they prove the same order as the static exponential graph.
     */
    public static double perIteration(double rhoProduct, int tau) {
        if (tau < 1) {
            throw new IllegalArgumentException("tau must be >= 1, got " + tau);
        }
        return 1 - (1 - rhoProduct) / tau;
    }

    /** @return the number of consecutive matrices analysed together */
    public static int windowOf(DynamicTopology schedule) {
        int period = schedule.period();
        return period >= 1 && period <= MAX_WINDOW ? period : MAX_WINDOW;
    }

    /**
     * rho of the window's product; exactly 0 when the product is the average (the SVD of a zero
     * matrix returns rounding noise near 1e-16, whose window-th root would look like real mixing).
     */
    private static double productRho(int window, double singleStepRho, double[][] product) {
        if (isAverage(product)) {
            return 0.0;
        }
        return window == 1 ? singleStepRho : Spectral.rho(product);
    }

    /**
     * Product {@code W(k-1) ... W(0)} of the first k matrices of a schedule.
     *
     * @return a fresh {@code n x n} matrix
     */
    public static double[][] product(DynamicTopology schedule, int k) {
        double[][] p = identity(schedule.size());
        for (int t = 0; t < k; t++) {
            p = leftMultiply(schedule.at(t), p);
        }
        return p;
    }

    private static boolean isAverage(double[][] p) {
        double avg = 1.0 / p.length;
        for (double[] row : p) {
            for (double v : row) {
                if (Math.abs(v - avg) > EXACT_AVERAGE_TOLERANCE) {
                    return false;
                }
            }
        }
        return true;
    }

    /** W * P using the compressed rows of W: O(n^2 (deg + 1)) instead of O(n^3). */
    static double[][] leftMultiply(Topology w, double[][] p) {
        int n = p.length;
        double[][] r = new double[n][];
        for (int i = 0; i < n; i++) {
            double[] row = new double[n];
            double s = w.selfWeight(i);
            double[] pi = p[i];
            for (int c = 0; c < n; c++) {
                row[c] = s * pi[c];
            }
            int[] in = w.inNeighbors(i);
            double[] wi = w.recvWeights(i);
            for (int m = 0; m < in.length; m++) {
                double a = wi[m];
                double[] pj = p[in[m]];
                for (int c = 0; c < n; c++) {
                    row[c] += a * pj[c];
                }
            }
            r[i] = row;
        }
        return r;
    }

    private static double[][] identity(int n) {
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) {
            m[i][i] = 1;
        }
        return m;
    }
}
