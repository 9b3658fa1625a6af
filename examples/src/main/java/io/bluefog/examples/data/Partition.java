package io.bluefog.examples.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.sampling.ListSampler;
import org.apache.commons.rng.sampling.PermutationSampler;
import org.apache.commons.rng.sampling.distribution.AhrensDieterMarsagliaTsangGammaSampler;
import org.apache.commons.rng.sampling.distribution.SharedStateContinuousSampler;
import org.apache.commons.rng.simple.RandomSource;

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
 *
 * <p>Randomness comes from Apache Commons RNG: one {@link #SOURCE} stream seeded with the given seed
 * per split, its permutation and list shuffles, and its Gamma sampler (Marsaglia and Tsang, "A Simple
 * Method for Generating Gamma Variables", ACM TOMS 26(3), 2000; Ahrens and Dieter's method for shape
 * &lt; 1), so the same seed gives the same split on every rank and every run with the pinned library version.
 */
public sealed interface Partition permits Partition.Iid, Partition.Dirichlet {
    /** Each rank gets at least this many samples under a Dirichlet split (when the data set is large enough). */
    int MIN_SAMPLES_PER_RANK = 10;
    /** The generator of every split, seeded with the split's seed. */
    RandomSource SOURCE = RandomSource.XO_RO_SHI_RO_128_PP;

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
            int[] perm = PermutationSampler.natural(labels.length);
            PermutationSampler.shuffle(SOURCE.create(seed), perm);
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
            UniformRandomProvider rnd = SOURCE.create(seed);
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
                    ListSampler.shuffle(rnd, members);
                    double[] p = sample(alpha, numRanks, rnd);
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

        /**
         * @return a draw of Dir(alpha, ..., alpha) of dimension k (non-negative, sums to 1): k independent
         *         Gamma(alpha, 1) draws normalised to sum 1
         */
        static double[] sample(double alpha, int k, UniformRandomProvider rnd) {
            SharedStateContinuousSampler gamma = AhrensDieterMarsagliaTsangGammaSampler.of(rnd, alpha, 1.0);
            double[] g = new double[k];
            double sum = 0;
            for (int i = 0; i < k; i++) {
                g[i] = gamma.sample();
                sum += g[i];
            }
            if (sum == 0) {
                // All draws underflowed (tiny alpha): the limit of Dir(alpha) as alpha -> 0 puts all mass on one coordinate.
                g[rnd.nextInt(k)] = 1;
                return g;
            }
            for (int i = 0; i < k; i++) {
                g[i] /= sum;
            }
            return g;
        }
    }

    private static void checkRanks(int numRanks) {
        if (numRanks < 1) {
            throw new IllegalArgumentException("numRanks must be >= 1, got " + numRanks);
        }
    }
}
