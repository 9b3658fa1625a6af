package io.bluefog.topology.analysis;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Everything {@link TopologyAnalysis} reports about one static topology or dynamic schedule.
 * For a static topology the window is one matrix; for a schedule it is one period (see
 * {@link TopologyAnalysis#analyze}).
 *
 * @param graph                   label of the graph (e.g. {@code exponential})
 * @param weights                 label of the weight rule (e.g. {@code uniform})
 * @param size                    number of ranks n
 * @param period                  period of the schedule (1 for static, 0 for none)
 * @param window                  number of consecutive matrices analysed together
 * @param edgesPerIteration       largest number of directed edges in one matrix of the window
 * @param maxInDegree             largest in-degree in one matrix of the window
 * @param maxOutDegree            largest out-degree in one matrix of the window
 * @param diameter                diameter of the union graph of the window in hops, -1 if not
 *                                strongly connected
 * @param symmetric               every matrix of the window is symmetric
 * @param rowStochastic           every matrix of the window has rows summing to 1
 * @param columnStochastic        every matrix of the window has columns summing to 1
 * @param nonNegative             no negative weight in the window
 * @param rho                     per-iteration rho: {@code ||W - J||_2} for one matrix,
 *                                {@code 1 - (1 - rhoProduct)/window} for a window (see
 *                                {@link TopologyAnalysis#perIteration(double, int)})
 * @param rhoProduct              {@code ||W(window-1)...W(0) - J||_2}
 * @param rhoStepMax              largest {@code ||W(k) - J||_2} over the window (for a window of
 *                                several matrices by power iteration: a lower bound, see
 *                                {@link Spectral#rhoByPowerIteration})
 * @param secondEigenvalue        {@code lambda_2(W)} of a static symmetric W, NaN otherwise
 * @param stepsToExactAverage     least k with {@code W(k-1)...W(0) = 11^T/n} (entries within
 *                                {@link TopologyAnalysis#EXACT_AVERAGE_TOLERANCE}), -1 if none up
 *                                to {@code 4 * window}
 * @param gossipSteps             step counts of the consensus simulation
 * @param consensusError          relative consensus error after each of {@code gossipSteps}
 * @param transientIid            D-SGD transient iterations, i.i.d. data, from {@code rho}
 * @param transientNonIid         D-SGD transient iterations, heterogeneous data, from {@code rho}
 * @param maxMessagesPerRank      largest number of messages one rank sends in one iteration
 * @param meanMessagesPerRank     messages per rank per iteration, averaged over ranks and window
 * @param modelFloats             model size d in 32-bit floats used for the byte counts
 * @param maxBytesPerRank         {@code maxMessagesPerRank * 4 d}
 * @param ringAllreduceBytesPerRank bytes each rank sends in a ring allreduce of d floats,
 *                                {@code 2 (n-1)/n * 4 d}
 */
public record AnalysisReport(
        String graph, String weights, int size, int period, int window,
        int edgesPerIteration, int maxInDegree, int maxOutDegree, int diameter,
        boolean symmetric, boolean rowStochastic, boolean columnStochastic, boolean nonNegative,
        double rho, double rhoProduct, double rhoStepMax, double secondEigenvalue, int stepsToExactAverage,
        int[] gossipSteps, double[] consensusError,
        double transientIid, double transientNonIid,
        int maxMessagesPerRank, double meanMessagesPerRank, long modelFloats,
        double maxBytesPerRank, double ringAllreduceBytesPerRank) {

    /** @return {@code 1 - rho} */
    public double spectralGap() {
        return 1 - rho;
    }

    /** @return rows and columns sum to 1 in every matrix of the window */
    public boolean doublyStochastic() {
        return rowStochastic && columnStochastic;
    }

    /** @return (name, value) pairs in display order; values are strings, numbers or booleans */
    public List<Object[]> entries() {
        List<Object[]> e = new ArrayList<>();
        e.add(new Object[] {"graph", graph});
        e.add(new Object[] {"weights", weights});
        e.add(new Object[] {"size", size});
        e.add(new Object[] {"period", period});
        e.add(new Object[] {"window", window});
        e.add(new Object[] {"edges_per_iteration", edgesPerIteration});
        e.add(new Object[] {"max_in_degree", maxInDegree});
        e.add(new Object[] {"max_out_degree", maxOutDegree});
        e.add(new Object[] {"diameter", diameter});
        e.add(new Object[] {"symmetric", symmetric});
        e.add(new Object[] {"row_stochastic", rowStochastic});
        e.add(new Object[] {"column_stochastic", columnStochastic});
        e.add(new Object[] {"doubly_stochastic", doublyStochastic()});
        e.add(new Object[] {"non_negative", nonNegative});
        e.add(new Object[] {"rho", rho});
        e.add(new Object[] {"spectral_gap", spectralGap()});
        e.add(new Object[] {"rho_product", rhoProduct});
        e.add(new Object[] {"rho_step_max", rhoStepMax});
        e.add(new Object[] {"second_eigenvalue", secondEigenvalue});
        e.add(new Object[] {"steps_to_exact_average", stepsToExactAverage});
        for (int k = 0; k < gossipSteps.length; k++) {
            e.add(new Object[] {"consensus_error_after_" + gossipSteps[k], consensusError[k]});
        }
        e.add(new Object[] {"transient_iterations_iid", transientIid});
        e.add(new Object[] {"transient_iterations_non_iid", transientNonIid});
        e.add(new Object[] {"max_messages_per_rank", maxMessagesPerRank});
        e.add(new Object[] {"mean_messages_per_rank", meanMessagesPerRank});
        e.add(new Object[] {"model_floats", modelFloats});
        e.add(new Object[] {"max_bytes_per_rank", maxBytesPerRank});
        e.add(new Object[] {"ring_allreduce_bytes_per_rank", ringAllreduceBytesPerRank});
        return e;
    }

    /** @return a two-column table, one quantity per line */
    public String toTable() {
        StringBuilder sb = new StringBuilder();
        for (Object[] e : entries()) {
            sb.append(String.format(Locale.ROOT, "%-32s %s%n", e[0], format(e[1])));
        }
        return sb.toString();
    }

    /** @return one JSON object; non-finite numbers are written as strings ("Infinity", "NaN") */
    public String toJson() {
        StringBuilder sb = new StringBuilder("{");
        boolean first = true;
        for (Object[] e : entries()) {
            if (!first) {
                sb.append(", ");
            }
            first = false;
            sb.append('"').append(e[0]).append("\": ").append(json(e[1]));
        }
        return sb.append('}').toString();
    }

    static String format(Object v) {
        if (v instanceof Double) {
            double d = (Double) v;
            if (!Double.isFinite(d)) {
                return Double.toString(d);
            }
            if (d != 0 && (Math.abs(d) >= 1e7 || Math.abs(d) < 1e-4)) {
                return String.format(Locale.ROOT, "%.6e", d);
            }
            return String.format(Locale.ROOT, "%.6f", d);
        }
        return String.valueOf(v);
    }

    static String json(Object v) {
        if (v instanceof Double && !Double.isFinite((Double) v)) {
            return "\"" + v + "\"";
        }
        if (v instanceof String) {
            return "\"" + ((String) v).replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        }
        return String.valueOf(v);
    }
}
