package io.bluefog.optimizers.compression;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Each compressor against its definition, and its packed message against its decoding. */
class CompressorTest {
    /** float32 rounding of the sent values (relative). */
    private static final double FLOAT32 = 1e-7;

    private static double[] gaussian(int d, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] v = new double[d];
        for (int i = 0; i < d; i++) {
            v[i] = r.nextDouble(-1, 1) * (1 + (i % 7));
        }
        return v;
    }

    private static double[] decode(Compressor q, byte[] message, int d, long seed) {
        double[] out = new double[d];
        ByteBuffer b = ByteBuffer.wrap(message);
        q.decodeAdd(b, seed, 1.0, out);
        assertEquals(message.length, b.position(), q.id() + " reads its whole message");
        return out;
    }

    @Test
    void topKKeepsExactlyTheKLargestMagnitudes() {
        int d = 1000;
        double[] v = gaussian(d, 3);
        Compressor q = Compressor.parse("top-k:0.05");
        byte[] m = q.encode(v, 0, new SplittableRandom(1));
        assertEquals(8 * 50, m.length);
        assertEquals(q.maxPackedBytes(d), m.length);
        double[] got = decode(q, m, d, 0);
        Integer[] bySize = IntStream.range(0, d).boxed().toArray(Integer[]::new);
        Arrays.sort(bySize, Comparator.comparingDouble((Integer i) -> -Math.abs(v[i])));
        boolean[] kept = new boolean[d];
        for (int j = 0; j < 50; j++) {
            kept[bySize[j]] = true;
        }
        for (int i = 0; i < d; i++) {
            assertEquals(kept[i] ? (float) v[i] : 0.0, got[i], 0.0, "entry " + i);
        }
    }

    @Test
    void topKBreaksTiesByLowerIndex() {
        double[] v = {1, -3, 3, 2, -3, 3};
        double[] got = decode(new Compressors.TopK(0.5), new Compressors.TopK(0.5).encode(v, 0, null), 6, 0);
        assertArrayEquals(new double[] {0, -3, 3, 0, -3, 0}, got, 0.0);
    }

    @Test
    void randomKKeepsKDistinctSeededIndicesAndSendsOnlyValues() {
        int d = 200;
        double[] v = gaussian(d, 5);
        Compressor q = Compressor.parse("random-k:0.1");
        byte[] m = q.encode(v, 77, null);
        assertEquals(4 * 20, m.length);
        double[] got = decode(q, m, d, 77);
        int kept = 0;
        for (int i = 0; i < d; i++) {
            if (got[i] != 0) {
                kept++;
                assertEquals((float) v[i], got[i], 0.0);
            }
        }
        assertEquals(20, kept);
        assertArrayEquals(Compressors.RandomK.indices(d, 20, 77), Compressors.RandomK.indices(d, 20, 77));
        assertNotEquals(Arrays.toString(Compressors.RandomK.indices(d, 20, 77)),
                Arrays.toString(Compressors.RandomK.indices(d, 20, 78)));
        // every index equally likely: over many seeds each of 10 indices is drawn about k/d of the time
        int[] count = new int[10];
        int seeds = 20000;
        for (int s = 0; s < seeds; s++) {
            int[] idx = Compressors.RandomK.indices(10, 3, s);
            assertEquals(3, Arrays.stream(idx).distinct().count());
            for (int i : idx) {
                count[i]++;
            }
        }
        double sd = Math.sqrt(seeds * 0.3 * 0.7);
        for (int c : count) {
            assertEquals(seeds * 0.3, c, 5 * sd, "uniform inclusion (5 standard deviations)");
        }
    }

    @Test
    void signIsScaledByTheMeanMagnitude() {
        double[] v = {0.5, -1.5, 0, 2, -1};
        Compressor q = Compressor.parse("sign");
        byte[] m = q.encode(v, 0, null);
        assertEquals(4 + 1, m.length);
        double s = 5.0 / 5; // ||v||_1 / d
        assertArrayEquals(new double[] {s, -s, s, s, -s}, decode(q, m, 5, 0), FLOAT32);
        int d = 1001;
        assertEquals(4 + 126, q.maxPackedBytes(d));
        double[] w = gaussian(d, 9);
        double l1 = Arrays.stream(w).map(Math::abs).sum();
        double[] got = decode(q, q.encode(w, 0, null), d, 0);
        for (int i = 0; i < d; i++) {
            assertEquals(Math.signum(w[i]) * l1 / d, got[i], FLOAT32 * l1 / d);
        }
    }

    @Test
    void qsgdIsUnbiasedOnTheLevelGrid() {
        int d = 16;
        int s = 4;
        double[] v = gaussian(d, 11);
        Compressors.Qsgd q = new Compressors.Qsgd(s);
        double norm = Math.sqrt(Arrays.stream(v).map(x -> x * x).sum());
        float norm32 = (float) norm;
        int samples = 40000;
        double[] mean = new double[d];
        double sqErr = 0;
        SplittableRandom rng = new SplittableRandom(2024);
        for (int t = 0; t < samples; t++) {
            double[] got = decode(q, q.encode(v, 0, rng), d, 0);
            for (int i = 0; i < d; i++) {
                double level = got[i] / (norm32 / (double) s);
                assertEquals(Math.rint(level), level, 1e-9, "on the grid of ||v||/s");
                assertTrue(Math.abs(Math.abs(got[i]) - Math.abs(v[i])) <= norm / s * (1 + 1e-6), "within one level");
                mean[i] += got[i] / samples;
                sqErr += (got[i] - v[i]) * (got[i] - v[i]) / samples;
            }
        }
        // each entry's rounding has standard deviation <= ||v||/(2s); the mean of `samples` draws is
        // within 5 of its standard deviations of v_i
        double meanTolerance = 5 * norm / (2.0 * s) / Math.sqrt(samples);
        for (int i = 0; i < d; i++) {
            assertEquals(v[i], mean[i], meanTolerance, "E Q(v)_" + i);
        }
        assertTrue(sqErr <= q.omega(d) * norm * norm, "E||Q(v) - v||^2 = " + sqErr + " <= omega ||v||^2");
        assertEquals(Math.min(16.0 / 16, 4.0 / 4), q.omega(d), 0.0);
        assertEquals(1 / (1 + q.omega(d)), q.chocoScale(d), 0.0);
    }

    /** Elias gamma: the code of 1..5 bit by bit, lengths 2 floor(log2 x) + 1, and a round trip up to 2^62. */
    @Test
    void eliasGammaCodesAndLengths() {
        Compressors.BitWriter w = new Compressors.BitWriter(4);
        for (long x = 1; x <= 5; x++) {
            Compressors.EliasGamma.write(w, x);
        }
        // 1 -> 1; 2 -> 010; 3 -> 011; 4 -> 00100; 5 -> 00101; written least significant bit first
        String stream = "1" + "010" + "011" + "00100" + "00101";
        byte[] bytes = w.toByteArray();
        assertEquals((stream.length() + 7) / 8, bytes.length);
        for (int k = 0; k < stream.length(); k++) {
            assertEquals(stream.charAt(k) - '0', (bytes[k / 8] >> (k % 8)) & 1, "bit " + k);
        }
        assertEquals(1, Compressors.EliasGamma.length(1));
        assertEquals(3, Compressors.EliasGamma.length(3));
        assertEquals(5, Compressors.EliasGamma.length(4));
        assertEquals(125, Compressors.EliasGamma.length(1L << 62));
        long[] xs = {1, 2, 7, 8, 1000, 235147, (1L << 62) + 12345};
        Compressors.BitWriter many = new Compressors.BitWriter(1);
        long bits = 0;
        for (long x : xs) {
            Compressors.EliasGamma.write(many, x);
            bits += Compressors.EliasGamma.length(x);
        }
        byte[] m = many.toByteArray();
        assertEquals((bits + 7) / 8, m.length);
        Compressors.BitReader r = new Compressors.BitReader(ByteBuffer.wrap(m));
        for (long x : xs) {
            assertEquals(x, Compressors.EliasGamma.read(r));
        }
        assertThrows(IllegalArgumentException.class, () -> Compressors.EliasGamma.write(many, 0));
    }

    /**
     * QSGD's Elias-coded message: the decoded Q(v) is exact (the levels times the float32 norm over
     * s), the message's size is exactly the code length of its nonzero levels (gamma(nnz + 1) and
     * per nonzero gamma(gap) + sign + gamma(level)), never above maxPackedBytes, and the mean number
     * of nonzeros is within Lemma 3.1's s (s + sqrt(d)).
     */
    @Test
    void qsgdEliasMessageIsExactAndSizedByItsCode() {
        int d = 20000;
        double[] v = gaussian(d, 13);
        double norm = Math.sqrt(Arrays.stream(v).map(x -> x * x).sum());
        for (int s : new int[] {1, 4, 16, 64, 1024}) {
            Compressors.Qsgd q = new Compressors.Qsgd(s);
            SplittableRandom rng = new SplittableRandom(s);
            double meanNonzero = 0;
            int draws = 20;
            for (int t = 0; t < draws; t++) {
                byte[] m = q.encode(v, 0, rng);
                double[] got = decode(q, m, d, 0);
                double unit = (float) norm / (double) s;
                long bits = 0;
                int nonzero = 0;
                int previous = -1;
                for (int i = 0; i < d; i++) {
                    long level = Math.round(Math.abs(got[i]) / unit);
                    assertEquals(level * unit, Math.abs(got[i]), 0.0, "entry " + i + " is a level times ||v||/s");
                    assertTrue(level <= s);
                    if (level != 0) {
                        assertEquals(Math.signum(v[i]), Math.signum(got[i]), "sign of entry " + i);
                        bits += Compressors.EliasGamma.length(i - previous) + 1 + Compressors.EliasGamma.length(level);
                        previous = i;
                        nonzero++;
                    }
                }
                bits += Compressors.EliasGamma.length(nonzero + 1L);
                assertEquals(4 + (bits + 7) / 8, m.length, "qsgd:" + s + " size = norm + code bits");
                assertTrue(m.length <= q.maxPackedBytes(d));
                meanNonzero += (double) nonzero / draws;
            }
            assertTrue(meanNonzero <= s * (s + Math.sqrt(d)), "E nnz = " + meanNonzero + " <= s (s + sqrt d)");
        }
        // for s well below sqrt(d) the code is far below fixed-width levels (1 + ceil(log2(s+1)) bits per entry)
        byte[] m16 = new Compressors.Qsgd(16).encode(v, 0, new SplittableRandom(3));
        assertTrue(8L * m16.length < d * 6 / 3, "qsgd:16 " + 8L * m16.length + " bits < a third of " + d * 6 + " fixed-width bits");
        // a zero vector is the norm and gamma(1)
        assertEquals(5, new Compressors.Qsgd(4).encode(new double[d], 0, new SplittableRandom(1)).length);
        assertArrayEquals(new double[d], decode(new Compressors.Qsgd(4), new Compressors.Qsgd(4).encode(new double[d], 0, null), d, 0), 0.0);
    }

    @Test
    void qsgdRejectsAMessageClaimingMoreNonzerosThanEntries() {
        Compressors.BitWriter w = new Compressors.BitWriter(4);
        Compressors.EliasGamma.write(w, 12); // nnz = 11 for d = 10
        byte[] bits = w.toByteArray();
        ByteBuffer m = ByteBuffer.allocate(4 + bits.length).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(1f).put(bits);
        m.flip();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Compressors.Qsgd(4).decodeAdd(m, 0, 1, new double[10]));
        assertTrue(e.getMessage().contains("11 nonzero"), e.getMessage());
    }

    @Test
    void identityRoundTripsInFloat32() {
        double[] v = gaussian(33, 1);
        Compressor q = Compressor.parse("identity");
        double[] got = decode(q, q.encode(v, 0, null), 33, 0);
        for (int i = 0; i < v.length; i++) {
            assertEquals((float) v[i], got[i], 0.0);
        }
        assertEquals(1.0, q.delta(33));
        assertEquals(1.0, q.chocoScale(33));
    }

    @Test
    void messagesFollowEachOtherInOneBuffer() {
        // decodeAdd reads exactly one message: two messages back to back decode independently
        for (String form : new String[] {"identity", "top-k:0.3", "random-k:0.3", "sign", "qsgd:16", "qsgd:2"}) {
            Compressor q = Compressor.parse(form);
            double[] a = gaussian(21, 1);
            double[] b = gaussian(21, 2);
            byte[] ma = q.encode(a, 5, new SplittableRandom(1));
            byte[] mb = q.encode(b, 6, new SplittableRandom(2));
            ByteBuffer both = ByteBuffer.allocate(ma.length + mb.length).put(ma).put(mb);
            both.flip();
            double[] da = new double[21];
            double[] db = new double[21];
            q.decodeAdd(both, 5, 2.0, da);
            q.decodeAdd(both, 6, 1.0, db);
            double[] ra = decode(q, ma, 21, 5);
            for (int i = 0; i < 21; i++) {
                ra[i] *= 2;
            }
            assertArrayEquals(ra, da, 0.0, form);
            assertArrayEquals(decode(q, mb, 21, 6), db, 0.0, form);
        }
    }

    @Test
    void parseAcceptsTheCommandLineFormsAndNamesBadOnes() {
        assertEquals(new Compressors.TopK(0.01), Compressor.parse("top-k:0.01"));
        assertEquals(new Compressors.RandomK(0.5), Compressor.parse("Random-K:0.5"));
        assertEquals(new Compressors.Qsgd(16), Compressor.parse("qsgd:16"));
        assertEquals(new Compressors.Sign(), Compressor.parse("sign"));
        assertEquals("top-k:0.01", Compressor.parse("top-k:0.01").id());
        for (String bad : new String[] {"top-k", "top-k:0", "top-k:1.5", "random-k:x", "qsgd:0", "qsgd", "sign:2", "zip"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Compressor.parse(bad));
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
    }
}
