package io.bluefog.examples.data;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;
import org.apache.commons.rng.UniformRandomProvider;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PartitionTest {
    private static final int N = 6000;
    private static final int CLASSES = 10;
    private static final long SEED = 42;
    /** Seeds over which the label skew of dirichlet:0.1 is averaged. */
    private static final int SKEW_SEEDS = 10;
    /** Mean top-class share a dirichlet:0.1 split must exceed: iid gives about 0.1, the skewed split about 0.4. */
    private static final double MIN_SKEWED_TOP_SHARE = 0.3;

    private static int[] balancedLabels() {
        int[] l = new int[N];
        Random r = new Random(1);
        for (int i = 0; i < N; i++) {
            l[i] = i % CLASSES;
        }
        // shuffle so that classes are not in index order
        for (int i = N - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = l[i];
            l[i] = l[j];
            l[j] = t;
        }
        return l;
    }

    private static void assertPartitionOfAll(int[][] parts) {
        boolean[] seen = new boolean[N];
        for (int[] p : parts) {
            for (int k = 0; k < p.length; k++) {
                assertTrue(k == 0 || p[k] > p[k - 1], "ascending");
                assertTrue(!seen[p[k]], "sample " + p[k] + " assigned twice");
                seen[p[k]] = true;
            }
        }
        for (int i = 0; i < N; i++) {
            assertTrue(seen[i], "sample " + i + " unassigned");
        }
    }

    @Test
    void iidSplitsIntoNearlyEqualDisjointParts() {
        int[][] parts = Partition.parse("iid").split(balancedLabels(), CLASSES, 7, SEED);
        assertPartitionOfAll(parts);
        for (int[] p : parts) {
            assertTrue(p.length == N / 7 || p.length == N / 7 + 1, "size " + p.length);
        }
    }

    @Test
    void dirichletIsAReproduciblePartitionWithLabelSkew() {
        int[] labels = balancedLabels();
        Partition p = Partition.parse("dirichlet:0.1");
        int[][] a = p.split(labels, CLASSES, 4, SEED);
        int[][] b = p.split(labels, CLASSES, 4, SEED);
        assertPartitionOfAll(a);
        for (int r = 0; r < 4; r++) {
            assertArrayEquals(a[r], b[r], "same seed, same split");
            assertTrue(a[r].length >= Partition.MIN_SAMPLES_PER_RANK);
        }
        // With alpha = 0.1 a rank's largest class dominates (about 0.4 of its samples, averaged over
        // seeds); with iid every class is ~10%. The threshold lies between, far from both; averaging
        // over SKEW_SEEDS seeds keeps it independent of one draw of the random stream.
        double skewed = 0;
        for (long seed = 0; seed < SKEW_SEEDS; seed++) {
            skewed += meanTopClassShare(p.split(labels, CLASSES, 4, seed), labels) / SKEW_SEEDS;
        }
        double iid = meanTopClassShare(Partition.parse("iid").split(labels, CLASSES, 4, SEED), labels);
        assertTrue(skewed > MIN_SKEWED_TOP_SHARE, "alpha=0.1 top-class share " + skewed);
        assertTrue(iid < 0.13, "iid top-class share " + iid);
        // large alpha approaches iid
        double smooth = meanTopClassShare(Partition.parse("dirichlet:1000").split(labels, CLASSES, 4, SEED), labels);
        assertTrue(smooth < 0.13, "alpha=1000 top-class share " + smooth);
    }

    private static double meanTopClassShare(int[][] parts, int[] labels) {
        double sum = 0;
        for (int[] p : parts) {
            int[] c = new int[CLASSES];
            for (int i : p) {
                c[labels[i]]++;
            }
            sum += (double) Arrays.stream(c).max().orElseThrow() / p.length;
        }
        return sum / parts.length;
    }

    /**
     * The Dirichlet draw's marginals are Beta(alpha, (k - 1) alpha): mean 1/k and variance
     * (k - 1) / (k^2 (k alpha + 1)) (a Gamma with the wrong shape or scale changes the variance). The
     * sample mean and variance must lie within 6 standard errors, estimated from the same draws.
     */
    @Test
    void dirichletDrawHasTheMomentsOfDirichlet() {
        int k = 4;
        int m = 40_000;
        UniformRandomProvider rng = Partition.SOURCE.create(7L);
        for (double alpha : new double[] {0.1, 0.5, 1, 4}) {
            double[] x = new double[m];
            for (int i = 0; i < m; i++) {
                double[] p = Partition.Dirichlet.sample(alpha, k, rng);
                assertEquals(1.0, Arrays.stream(p).sum(), 1e-12);
                assertTrue(Arrays.stream(p).allMatch(v -> v >= 0));
                x[i] = p[0];
            }
            double mean = Arrays.stream(x).average().orElseThrow();
            double var = Arrays.stream(x).map(v -> (v - mean) * (v - mean)).sum() / (m - 1);
            double m4 = Arrays.stream(x).map(v -> Math.pow(v - mean, 4)).sum() / m;
            double expectedVar = (k - 1.0) / (k * k * (k * alpha + 1));
            assertEquals(1.0 / k, mean, 6 * Math.sqrt(var / m), "mean, alpha " + alpha);
            assertEquals(expectedVar, var, 6 * Math.sqrt((m4 - var * var) / m), "variance, alpha " + alpha);
        }
        double[] tiny = Partition.Dirichlet.sample(1e-3, k, rng);
        assertEquals(1.0, Arrays.stream(tiny).sum(), 1e-12, "tiny alpha still gives a distribution");
    }

    @Test
    void sameSeedSameSplitOtherSeedOtherSplit() {
        int[] labels = balancedLabels();
        for (Partition p : new Partition[] {Partition.parse("iid"), Partition.parse("dirichlet:0.5")}) {
            assertTrue(Arrays.deepEquals(p.split(labels, CLASSES, 3, SEED), p.split(labels, CLASSES, 3, SEED)), p.toString());
            assertTrue(!Arrays.deepEquals(p.split(labels, CLASSES, 3, SEED), p.split(labels, CLASSES, 3, SEED + 1)),
                    p + ": the seed must matter");
        }
    }

    @Test
    void badSpecsNameTheParameter() {
        for (String bad : new String[] {"dirichlet:0", "dirichlet:-1", "dirichlet:x", "noniid", "dirichlet:Infinity"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Partition.parse(bad));
            assertTrue(e.getMessage().contains("partition"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Partition.parse("iid").split(new int[3], CLASSES, 0, 1));
    }
}
