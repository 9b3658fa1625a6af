package io.bluefog.examples.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * How the training set is split over ranks. Every rank computes the same split from the labels
 * and the seed (no communication), then reads only its own part.
 *
 * <ul>
 *   <li>{@code iid}: a seeded random permutation cut into {@code n} parts whose sizes differ by at most one.</li>
 *   <li>{@code dirichlet:<alpha>}: label skew as in Hsu, Qi and Brown, "Measuring the Effects of Non-Identical
 *       Data Distribution for Federated Visual Classification", arXiv:1909.06335, 2019: for every class c a
 *       vector {@code p_c ~ Dir(alpha * 1_n)} is drawn and class c's (shuffled) samples are cut among the n
 *       ranks in proportions {@code p_c}. Small alpha (0.1) gives each rank few classes; alpha &rarr; &infin;
 *       approaches iid. As common implementations do, the draw is repeated (same seeded stream) until every
 *       rank has at least {@link #MIN_SAMPLES_PER_RANK} samples, so that no rank is left without data.</li>
 * </ul>
 */
public sealed interface Partition permits Partition.Iid, Partition.Dirichlet {
    /** Each rank gets at least this many samples under a Dirichlet split (when the data set is large enough). */
    int MIN_SAMPLES_PER_RANK = 10;

    /**
     * Parses {@code iid} or {@code dirichlet:<alpha>} with alpha &gt; 0.
     *
     * @throws IllegalArgumentException naming the {@code partition} parameter otherwise
     */
    static Partition parse(String spec) {
        if (spec == null) {
            throw new IllegalArgumentException("partition must be 'iid' or 'dirichlet:<alpha>', got null");
        }
        String s = spec.trim().toLowerCase(java.util.Locale.ROOT);
        if (s.equals("iid")) {
            return new Iid();
        }
        if (s.startsWith("dirichlet:")) {
            double alpha;
            try {
                alpha = Double.parseDouble(s.substring("dirichlet:".length()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("partition: alpha in '" + spec + "' is not a number", e);
            }
            return new Dirichlet(alpha);
        }
        throw new IllegalArgumentException("partition must be 'iid' or 'dirichlet:<alpha>', got '" + spec + "'");
    }

    /**
     * Splits samples {@code 0..labels.length-1} over {@code numRanks} ranks.
     *
     * @param labels     the label of every sample, in {@code 0..numClasses-1}
     * @param numClasses number of classes
     * @param numRanks   number of ranks n &ge; 1
     * @param seed       the same on every rank
     * @return {@code numRanks} arrays of strictly ascending sample indices; together a partition of all samples
     */
    int[][] split(int[] labels, int numClasses, int numRanks, long seed);

    /** Independent, identically distributed split. */
    record Iid() implements Partition {
        @Override
        public int[][] split(int[] labels, int numClasses, int numRanks, long seed) {
            checkRanks(numRanks);
            int[] perm = permutation(labels.length, new Random(seed));
            int[][] parts = new int[numRanks][];
            int n = labels.length;
            for (int r = 0; r < numRanks; r++) {
                int from = (int) ((long) n * r / numRanks);
                int to = (int) ((long) n * (r + 1) / numRanks);
                parts[r] = Arrays.copyOfRange(perm, from, to);
                Arrays.sort(parts[r]);
            }
            return parts;
        }

        @Override
        public String toString() {
            return "iid";
        }
    }

    /** Dirichlet label skew with concentration {@code alpha}. */
    record Dirichlet(double alpha) implements Partition {
        /** Draws before giving up on the minimum-size rule. */
        static final int MAX_DRAWS = 1000;

        public Dirichlet {
            if (!(alpha > 0) || Double.isInfinite(alpha)) {
                throw new IllegalArgumentException("partition: Dirichlet alpha must be finite and > 0, got " + alpha);
            }
        }

        @Override
        public int[][] split(int[] labels, int numClasses, int numRanks, long seed) {
            checkRanks(numRanks);
            Random rnd = new Random(seed);
            List<List<Integer>> byClass = new ArrayList<>();
            for (int c = 0; c < numClasses; c++) {
                byClass.add(new ArrayList<>());
            }
            for (int i = 0; i < labels.length; i++) {
                if (labels[i] < 0 || labels[i] >= numClasses) {
                    throw new IllegalArgumentException("label " + labels[i] + " of sample " + i
                            + " is outside 0.." + (numClasses - 1));
                }
                byClass.get(labels[i]).add(i);
            }
            int minSize = Math.min(MIN_SAMPLES_PER_RANK, labels.length / numRanks);
            for (int draw = 0; draw < MAX_DRAWS; draw++) {
                List<List<Integer>> parts = new ArrayList<>();
                for (int r = 0; r < numRanks; r++) {
                    parts.add(new ArrayList<>());
                }
                for (int c = 0; c < numClasses; c++) {
                    List<Integer> members = new ArrayList<>(byClass.get(c));
                    java.util.Collections.shuffle(members, rnd);
                    double[] p = Gamma.dirichlet(alpha, numRanks, rnd);
                    // Cumulative proportions -> cut points, as numpy's np.split(idx, cumsum(p)[:-1] * len).
                    double cum = 0;
                    int from = 0;
                    for (int r = 0; r < numRanks; r++) {
                        cum += p[r];
                        int to = r == numRanks - 1 ? members.size() : (int) Math.min(members.size(), Math.round(cum * members.size()));
                        parts.get(r).addAll(members.subList(from, Math.max(from, to)));
                        from = Math.max(from, to);
                    }
                }
                int smallest = parts.stream().mapToInt(List::size).min().orElse(0);
                if (smallest >= minSize) {
                    int[][] out = new int[numRanks][];
                    for (int r = 0; r < numRanks; r++) {
                        out[r] = parts.get(r).stream().mapToInt(Integer::intValue).sorted().toArray();
                    }
                    return out;
                }
            }
            throw new IllegalArgumentException("partition dirichlet:" + alpha + " leaves some of the " + numRanks
                    + " ranks with fewer than " + minSize + " samples in " + MAX_DRAWS + " draws; use a larger alpha");
        }

        @Override
        public String toString() {
            return "dirichlet:" + alpha;
        }
    }

    private static void checkRanks(int numRanks) {
        if (numRanks < 1) {
            throw new IllegalArgumentException("numRanks must be >= 1, got " + numRanks);
        }
    }

    private static int[] permutation(int n, Random rnd) {
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        return perm;
    }
}
