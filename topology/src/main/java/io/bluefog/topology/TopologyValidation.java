package io.bluefog.topology;

import io.bluefog.topology.dynamic.DynamicTopology;

/**
 * Checks that a {@link Topology} (or every matrix of a {@link DynamicTopology}) is a usable mixing
 * matrix. Every failure throws {@link IllegalArgumentException} with one line naming the offending
 * rank (row or column of W) and the offending sum or weight, so that a user who supplied explicit
 * weights can find the mistake. A job calls {@link #requireValid(DynamicTopology, int, Stochasticity)}
 * once before training with the sums its algorithm needs: {@link Stochasticity#COLUMN} for
 * push-sum, {@link Stochasticity#DOUBLY} for D-SGD, Exact Diffusion and gradient tracking.
 */
public final class TopologyValidation {
    /**
     * Absolute tolerance on row and column sums. Sums of at most n terms of magnitude &le; 1 carry
     * a rounding error of about {@code n * 2^-53}; 1e-9 is far above that for any n we support
     * and far below any weight a user would mean.
     */
    public static final double SUM_TOLERANCE = 1e-9;

    private TopologyValidation() {
    }

    /**
     * Most matrices of a schedule that {@link #requireValid(DynamicTopology, int, Stochasticity)}
     * checks: the whole period when it is at most this long, otherwise the first this many.
     */
    public static final int MAX_CHECKED_ITERATIONS = 1024;

    /**
     * Requires a mixing matrix in the usual sense: every weight non-negative, every self weight
     * positive (self loop present) and the sums of {@code kind} equal to 1.
     *
     * @throws IllegalArgumentException naming the first offending rank
     */
    public static void requireValid(Topology t, Stochasticity kind) {
        requireValid(t, kind, false);
    }

    /**
     * As {@link #requireValid(Topology, Stochasticity)}, but a zero self weight passes when
     * {@code allowZeroSelfWeight} (e.g. a rank that only forwards); a negative one never does.
     *
     * @throws IllegalArgumentException naming the first offending rank
     */
    public static void requireValid(Topology t, Stochasticity kind, boolean allowZeroSelfWeight) {
        if (t == null || kind == null) {
            throw new IllegalArgumentException("topology and stochasticity must not be null");
        }
        requireNonNegative(t);
        if (!allowZeroSelfWeight) {
            requireSelfLoops(t);
        }
        requireSums(t, kind);
    }

    /**
     * Requires that a topology spans exactly the job's ranks.
     *
     * @param ranks the number of ranks of the job
     * @throws IllegalArgumentException naming both sizes
     */
    public static void requireSize(Topology t, int ranks) {
        if (t.size() != ranks) {
            throw new IllegalArgumentException("the mixing matrix is " + t.size() + " x " + t.size()
                    + " but the job has " + ranks + " ranks");
        }
    }

    /**
     * What a job checks before training: the schedule spans {@code ranks} ranks, and each of its
     * matrices (the whole period, at most {@link #MAX_CHECKED_ITERATIONS}; the first that many
     * when it has no period) passes {@link #requireValid(Topology, Stochasticity)}. A static
     * topology is the schedule of period 1.
     *
     * @param schedule the topology of every iteration
     * @param ranks    the number of ranks of the job
     * @param kind     the sums the algorithm needs
     * @throws IllegalArgumentException with one line: the size mismatch, or the iteration (when
     *                                  the schedule is dynamic), rank and offending sum or weight
     */
    public static void requireValid(DynamicTopology schedule, int ranks, Stochasticity kind) {
        if (schedule == null || kind == null) {
            throw new IllegalArgumentException("schedule and stochasticity must not be null");
        }
        if (schedule.size() != ranks) {
            throw new IllegalArgumentException("the mixing matrix is " + schedule.size() + " x " + schedule.size()
                    + " but the job has " + ranks + " ranks");
        }
        int period = schedule.period();
        int checked = period == 0 || period > MAX_CHECKED_ITERATIONS ? MAX_CHECKED_ITERATIONS : period;
        for (int k = 0; k < checked; k++) {
            try {
                requireValid(schedule.at(k), kind);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(period == 1 ? e.getMessage() : "iteration " + k + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Requires only that the sums of {@code kind} equal 1 (within {@link #SUM_TOLERANCE}); weights
     * may be negative, as for the best-constant rule.
     *
     * @throws IllegalArgumentException naming the first offending rank and its sum
     */
    public static void requireSums(Topology t, Stochasticity kind) {
        for (int r = 0; r < t.size(); r++) {
            if (kind != Stochasticity.COLUMN) {
                requireOne(rowSum(t, r), r, "row sum (self weight + receive weights)", kind);
            }
        }
        for (int r = 0; r < t.size(); r++) {
            if (kind != Stochasticity.ROW) {
                requireOne(columnSum(t, r), r, "column sum (self weight + send weights)", kind);
            }
        }
    }

    private static void requireOne(double sum, int rank, String what, Stochasticity kind) {
        if (Math.abs(sum - 1.0) > SUM_TOLERANCE) {
            throw new IllegalArgumentException("rank " + rank + ": " + what + " is " + sum + ", expected 1 for a "
                    + kind.name().toLowerCase() + "-stochastic matrix");
        }
    }

    /** @throws IllegalArgumentException naming the first rank with a negative self or receive weight */
    public static void requireNonNegative(Topology t) {
        for (int i = 0; i < t.size(); i++) {
            if (t.selfWeight(i) < 0) {
                throw new IllegalArgumentException("rank " + i + ": self weight " + t.selfWeight(i) + " is negative");
            }
            int[] in = t.inNeighbors(i);
            double[] w = t.recvWeights(i);
            for (int k = 0; k < in.length; k++) {
                if (w[k] < 0) {
                    throw new IllegalArgumentException("rank " + i + ": weight " + w[k] + " of in-neighbor " + in[k]
                            + " is negative");
                }
            }
        }
    }

    /** @throws IllegalArgumentException naming the first rank whose self weight is not positive */
    public static void requireSelfLoops(Topology t) {
        for (int i = 0; i < t.size(); i++) {
            if (!(t.selfWeight(i) > 0)) {
                throw new IllegalArgumentException("rank " + i + ": self weight is " + t.selfWeight(i)
                        + "; a positive self weight (self loop) is required");
            }
        }
    }

    /** @return whether every row sums to 1 within {@link #SUM_TOLERANCE} */
    public static boolean isRowStochastic(Topology t) {
        for (int i = 0; i < t.size(); i++) {
            if (Math.abs(rowSum(t, i) - 1.0) > SUM_TOLERANCE) {
                return false;
            }
        }
        return true;
    }

    /** @return whether every column sums to 1 within {@link #SUM_TOLERANCE} */
    public static boolean isColumnStochastic(Topology t) {
        for (int j = 0; j < t.size(); j++) {
            if (Math.abs(columnSum(t, j) - 1.0) > SUM_TOLERANCE) {
                return false;
            }
        }
        return true;
    }

    /** @return whether {@code w_ij == w_ji} for all pairs, within {@link #SUM_TOLERANCE} */
    public static boolean isSymmetric(Topology t) {
        for (int i = 0; i < t.size(); i++) {
            int[] in = t.inNeighbors(i);
            double[] w = t.recvWeights(i);
            if (in.length != t.outDegree(i)) {
                return false;
            }
            for (int k = 0; k < in.length; k++) {
                if (Math.abs(t.weight(in[k], i) - w[k]) > SUM_TOLERANCE) {
                    return false;
                }
            }
        }
        return true;
    }

    /** @return whether the weights are all non-negative */
    public static boolean isNonNegative(Topology t) {
        try {
            requireNonNegative(t);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** @return {@code w_ii + sum_j w_ij} */
    public static double rowSum(Topology t, int rank) {
        double s = t.selfWeight(rank);
        for (double w : t.recvWeights(rank)) {
            s += w;
        }
        return s;
    }

    /** @return {@code w_jj + sum_i w_ij} */
    public static double columnSum(Topology t, int rank) {
        double s = t.selfWeight(rank);
        for (double w : t.sendWeights(rank)) {
            s += w;
        }
        return s;
    }
}
