package io.bluefog.examples.data;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PartitionTest {
    private static final int N = 6000;
    private static final int CLASSES = 10;
    private static final long SEED = 42;

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
        // With alpha = 0.1 a rank's largest class dominates; with iid every class is ~10%.
        double skewed = meanTopClassShare(a, labels);
        double iid = meanTopClassShare(Partition.parse("iid").split(labels, CLASSES, 4, SEED), labels);
        assertTrue(skewed > 0.4, "alpha=0.1 top-class share " + skewed);
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

    @Test
    void gammaSamplerHasTheRightMean() {
        Random r = new Random(3);
        for (double shape : new double[] {0.1, 0.5, 1, 4}) {
            double s = 0;
            int m = 200_000;
            for (int i = 0; i < m; i++) {
                s += Gamma.sample(shape, r);
            }
            // mean = shape, sd of the mean = sqrt(shape / m); 6 sigma
            assertEquals(shape, s / m, 6 * Math.sqrt(shape / m), "shape " + shape);
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
