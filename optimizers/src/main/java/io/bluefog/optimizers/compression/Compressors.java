package io.bluefog.optimizers.compression;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;

/** The {@link Compressor} implementations. */
public final class Compressors {
    private Compressors() {
    }

    private static ByteBuffer buffer(int bytes) {
        return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Writes {@code (float) v[i]} for each i of {@code idx}, in that order (top-k, random-k). */
    private static void putValuesAt(ByteBuffer b, double[] v, int[] idx) {
        for (int i : idx) {
            b.putFloat((float) v[i]);
        }
    }

    /** Reads one float32 for each i of {@code idx}, in that order, and adds {@code scale} times it to out[i]. */
    private static void addValuesAt(ByteBuffer b, int[] idx, double scale, double[] out) {
        for (int i : idx) {
            out[i] += scale * b.getFloat();
        }
    }

    /** @return k = ceil(rho d), at least 1 and at most d */
    static int keep(double rho, int d) {
        return (int) Math.max(1, Math.min(d, Math.ceil(rho * d - 1e-9)));
    }

    /** Q(v) = v, sent as d float32 values. delta = 1. */
    public record Identity() implements Compressor {
        @Override
        public String id() {
            return "identity";
        }

        @Override
        public int maxPackedBytes(int d) {
            return 4 * d;
        }

        @Override
        public byte[] encode(double[] v, long sharedSeed, SplittableRandom privateRandom) {
            ByteBuffer b = buffer(maxPackedBytes(v.length));
            for (double x : v) {
                b.putFloat((float) x);
            }
            return b.array();
        }

        @Override
        public void decodeAdd(ByteBuffer m, long sharedSeed, double scale, double[] out) {
            ByteBuffer b = m.order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < out.length; i++) {
                out[i] += scale * b.getFloat();
            }
        }

        @Override
        public double delta(int d) {
            return 1;
        }
    }

    /**
     * top-k: keeps the k = ceil(rho d) entries of largest magnitude (ties: lower index first), zero
     * elsewhere; sent as k int32 indices and k float32 values (8k bytes). delta = k/d (Stich, Cordonnier
     * and Jaggi, "Sparsified SGD with Memory", NeurIPS 2018).
     *
     * @param rho kept fraction in (0, 1]
     */
    public record TopK(double rho) implements Compressor {
        @Override
        public String id() {
            return "top-k:" + rho;
        }

        @Override
        public int maxPackedBytes(int d) {
            return 8 * keep(rho, d);
        }

        @Override
        public byte[] encode(double[] v, long sharedSeed, SplittableRandom privateRandom) {
            int d = v.length;
            int k = keep(rho, d);
            int[] idx = largest(v, k);
            ByteBuffer b = buffer(maxPackedBytes(d));
            for (int i : idx) {
                b.putInt(i);
            }
            putValuesAt(b, v, idx);
            return b.array();
        }

        @Override
        public void decodeAdd(ByteBuffer m, long sharedSeed, double scale, double[] out) {
            ByteBuffer b = m.order(ByteOrder.LITTLE_ENDIAN);
            int k = keep(rho, out.length);
            int[] idx = new int[k];
            for (int j = 0; j < k; j++) {
                idx[j] = b.getInt();
            }
            addValuesAt(b, idx, scale, out);
        }

        @Override
        public double delta(int d) {
            return (double) keep(rho, d) / d;
        }

        /** The indices of the k largest |v_i|, ascending; ties broken by the lower index. */
        static int[] largest(double[] v, int k) {
            int d = v.length;
            if (k >= d) {
                int[] all = new int[d];
                for (int i = 0; i < d; i++) {
                    all[i] = i;
                }
                return all;
            }
            double[] mag = new double[d];
            for (int i = 0; i < d; i++) {
                mag[i] = Math.abs(v[i]);
            }
            double threshold = kthLargest(mag.clone(), k);
            int[] idx = new int[k];
            int above = 0;
            for (int i = 0; i < d; i++) {
                if (mag[i] > threshold) {
                    above++;
                }
            }
            int ties = k - above;
            int j = 0;
            for (int i = 0; i < d && j < k; i++) {
                if (mag[i] > threshold || (mag[i] == threshold && ties-- > 0)) {
                    idx[j++] = i;
                }
            }
            return idx;
        }

        /** Quickselect (Hoare's FIND) for the k-th largest value; reorders {@code a}. */
        private static double kthLargest(double[] a, int k) {
            int target = a.length - k; // k-th largest = (d-k)-th smallest, 0-based
            int lo = 0;
            int hi = a.length - 1;
            SplittableRandom pivots = new SplittableRandom(a.length);
            while (lo < hi) {
                double pivot = a[lo + pivots.nextInt(hi - lo + 1)];
                int i = lo;
                int j = hi;
                while (i <= j) {
                    while (a[i] < pivot) {
                        i++;
                    }
                    while (a[j] > pivot) {
                        j--;
                    }
                    if (i <= j) {
                        double t = a[i];
                        a[i] = a[j];
                        a[j] = t;
                        i++;
                        j--;
                    }
                }
                if (target <= j) {
                    hi = j;
                } else if (target >= i) {
                    lo = i;
                } else {
                    return a[target];
                }
            }
            return a[target];
        }
    }

    /**
     * random-k: keeps k = ceil(rho d) entries at indices drawn uniformly without replacement from the
     * shared seed (so only the k float32 values are sent, 4k bytes), zero elsewhere; unscaled, hence a
     * contraction with delta = k/d (Koloskova et al., ICML 2019, rand_k).
     *
     * @param rho kept fraction in (0, 1]
     */
    public record RandomK(double rho) implements Compressor {
        @Override
        public String id() {
            return "random-k:" + rho;
        }

        @Override
        public int maxPackedBytes(int d) {
            return 4 * keep(rho, d);
        }

        @Override
        public byte[] encode(double[] v, long sharedSeed, SplittableRandom privateRandom) {
            int[] idx = indices(v.length, keep(rho, v.length), sharedSeed);
            ByteBuffer b = buffer(maxPackedBytes(v.length));
            putValuesAt(b, v, idx);
            return b.array();
        }

        @Override
        public void decodeAdd(ByteBuffer m, long sharedSeed, double scale, double[] out) {
            addValuesAt(m.order(ByteOrder.LITTLE_ENDIAN), indices(out.length, keep(rho, out.length), sharedSeed), scale, out);
        }

        @Override
        public double delta(int d) {
            return (double) keep(rho, d) / d;
        }

        /** k distinct indices of 0..d-1, uniformly (Floyd's algorithm), in the order drawn. */
        static int[] indices(int d, int k, long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            java.util.HashSet<Integer> chosen = new java.util.HashSet<>(2 * k);
            int[] out = new int[k];
            int n = 0;
            for (int j = d - k; j < d; j++) {
                int t = r.nextInt(j + 1);
                int pick = chosen.add(t) ? t : j;
                if (pick == j) {
                    chosen.add(j);
                }
                out[n++] = pick;
            }
            return out;
        }
    }

    /**
     * Scaled sign: Q(v) = (||v||_1 / d) sign(v) (sign(0) = +1), sent as one float32 scale and d bits
     * (4 + ceil(d/8) bytes). delta = ||v||_1^2 / (d ||v||_2^2) &ge; 1/d (Karimireddy et al., "Error
     * Feedback Fixes SignSGD", ICML 2019; Koloskova et al., ICLR 2020).
     */
    public record Sign() implements Compressor {
        @Override
        public String id() {
            return "sign";
        }

        @Override
        public int maxPackedBytes(int d) {
            return 4 + (d + 7) / 8;
        }

        @Override
        public byte[] encode(double[] v, long sharedSeed, SplittableRandom privateRandom) {
            int d = v.length;
            double l1 = 0;
            for (double x : v) {
                l1 += Math.abs(x);
            }
            ByteBuffer b = buffer(maxPackedBytes(d));
            b.putFloat((float) (l1 / d));
            byte[] bits = new byte[(d + 7) / 8];
            for (int i = 0; i < d; i++) {
                if (v[i] < 0) {
                    bits[i >> 3] |= (byte) (1 << (i & 7));
                }
            }
            b.put(bits);
            return b.array();
        }

        @Override
        public void decodeAdd(ByteBuffer m, long sharedSeed, double scale, double[] out) {
            ByteBuffer b = m.order(ByteOrder.LITTLE_ENDIAN);
            double s = scale * b.getFloat();
            int d = out.length;
            byte[] bits = new byte[(d + 7) / 8];
            b.get(bits);
            for (int i = 0; i < d; i++) {
                out[i] += ((bits[i >> 3] >> (i & 7)) & 1) != 0 ? -s : s;
            }
        }

        @Override
        public double delta(int d) {
            return 1.0 / d;
        }
    }

    /**
     * QSGD with s levels (Alistarh, Grubic, Li, Tomioka and Vojnovic, "QSGD: Communication-Efficient
     * SGD via Gradient Quantization and Encoding", NeurIPS 2017): Q(v)_i = ||v||_2 sign(v_i) l_i / s,
     * where l_i = floor(s |v_i| / ||v||_2) + 1 with probability s |v_i| / ||v||_2 - floor(...), else
     * the floor; unbiased, omega = min(d/s^2, sqrt(d)/s). The levels are computed against the float32
     * norm that is sent, so the decoded Q is unbiased for that norm.
     *
     * <p>Wire format: the paper's Elias coding (Section 3.1, "Efficient coding"), variable length.
     * One float32 norm (4 bytes, little-endian), then a bit stream (least significant bit of each byte
     * first, zero-padded to a whole byte) holding Elias gamma(nnz + 1), where nnz is the number of
     * nonzero levels, and for each nonzero entry i in ascending order: gamma(i - previous) (previous =
     * the index of the nonzero before it, -1 for the first), one sign bit (1 = negative) and
     * gamma(l_i). gamma(x) for x &ge; 1 is floor(log2 x) zero bits followed by the binary digits of x,
     * most significant first: 2 floor(log2 x) + 1 bits. The expected number of nonzeros is at most
     * s (s + sqrt(d)) (the paper's Lemma 3.1), so for s much smaller than sqrt(d) the message is far
     * smaller than the d (1 + log2(s + 1)) bits of fixed-width levels. {@link #maxPackedBytes} is the
     * size when every level is s.
     *
     * @param levels s &ge; 1
     */
    public record Qsgd(int levels) implements Compressor {
        @Override
        public String id() {
            return "qsgd:" + levels;
        }

        @Override
        public int maxPackedBytes(int d) {
            long bits = EliasGamma.length(d + 1L) + (long) d * (EliasGamma.length(1) + 1 + EliasGamma.length(levels));
            return (int) Math.min(Integer.MAX_VALUE, 4 + (bits + 7) / 8);
        }

        @Override
        public byte[] encode(double[] v, long sharedSeed, SplittableRandom privateRandom) {
            int d = v.length;
            double sq = 0;
            for (double x : v) {
                sq += x * x;
            }
            float norm = (float) Math.sqrt(sq);
            int[] level = new int[d];
            int nonzero = 0;
            for (int i = 0; i < d; i++) {
                if (norm > 0) {
                    double r = levels * Math.abs(v[i]) / norm;
                    int floor = (int) Math.floor(r);
                    int l = floor + (privateRandom.nextDouble() < r - floor ? 1 : 0);
                    level[i] = Math.min(l, levels); // |v_i| <= norm up to the float32 rounding of norm
                    if (level[i] != 0) {
                        nonzero++;
                    }
                }
            }
            BitWriter w = new BitWriter(maxPackedBytes(d) - 4);
            EliasGamma.write(w, nonzero + 1L);
            int previous = -1;
            for (int i = 0; i < d; i++) {
                if (level[i] != 0) {
                    EliasGamma.write(w, i - previous);
                    w.writeBit(v[i] < 0 ? 1 : 0);
                    EliasGamma.write(w, level[i]);
                    previous = i;
                }
            }
            byte[] bits = w.toByteArray();
            ByteBuffer b = buffer(4 + bits.length);
            b.putFloat(norm);
            b.put(bits);
            return b.array();
        }

        @Override
        public void decodeAdd(ByteBuffer m, long sharedSeed, double scale, double[] out) {
            ByteBuffer b = m.order(ByteOrder.LITTLE_ENDIAN);
            double unit = scale * b.getFloat() / levels;
            BitReader r = new BitReader(b);
            long nonzero = EliasGamma.read(r) - 1;
            if (nonzero < 0 || nonzero > out.length) {
                throw new IllegalArgumentException("qsgd message says " + nonzero + " nonzero levels for length " + out.length);
            }
            long i = -1;
            for (long k = 0; k < nonzero; k++) {
                i += EliasGamma.read(r);
                boolean negative = r.readBit() != 0;
                long level = EliasGamma.read(r);
                if (i >= out.length || level > levels) {
                    throw new IllegalArgumentException("qsgd message has level " + level + " at index " + i
                            + " (length " + out.length + ", " + levels + " levels)");
                }
                out[(int) i] += negative ? -unit * level : unit * level;
            }
        }

        @Override
        public double omega(int d) {
            return Math.min((double) d / ((double) levels * levels), Math.sqrt(d) / levels);
        }

        @Override
        public double delta(int d) {
            return chocoScale(d);
        }
    }

    /**
     * Elias gamma code of positive integers (Elias, "Universal codeword sets and representations of
     * the integers", IEEE Trans. Inf. Theory 21(2), 1975), as QSGD's coding uses it.
     */
    static final class EliasGamma {
        private EliasGamma() {
        }

        /** @return bits of gamma(x): 2 floor(log2 x) + 1 */
        static int length(long x) {
            return 2 * (63 - Long.numberOfLeadingZeros(x)) + 1;
        }

        /** Writes floor(log2 x) zeros, then x's binary digits, most significant first. */
        static void write(BitWriter w, long x) {
            if (x < 1) {
                throw new IllegalArgumentException("Elias gamma codes integers >= 1, got " + x);
            }
            int n = 63 - Long.numberOfLeadingZeros(x);
            for (int k = 0; k < n; k++) {
                w.writeBit(0);
            }
            for (int k = n; k >= 0; k--) {
                w.writeBit((int) (x >>> k) & 1);
            }
        }

        /** @throws IllegalArgumentException on a code longer than 63 bits (not one of {@link #write}'s) */
        static long read(BitReader r) {
            int n = 0;
            while (r.readBit() == 0) {
                if (++n > 62) {
                    throw new IllegalArgumentException("Elias gamma code longer than 63 bits");
                }
            }
            long x = 1;
            for (int k = 0; k < n; k++) {
                x = (x << 1) | r.readBit();
            }
            return x;
        }
    }

    /** Writes bits, least significant bit of each byte first, into a growing array. */
    static final class BitWriter {
        private byte[] out;
        private int bytes;
        private int acc;
        private int bits;

        BitWriter(int capacityBytes) {
            out = new byte[Math.max(16, Math.min(capacityBytes, 1 << 16))];
        }

        void writeBit(int bit) {
            acc |= (bit & 1) << bits;
            if (++bits == 8) {
                if (bytes == out.length) {
                    out = Arrays.copyOf(out, 2 * out.length);
                }
                out[bytes++] = (byte) acc;
                acc = 0;
                bits = 0;
            }
        }

        /** @return the bits written, the last byte zero-padded */
        byte[] toByteArray() {
            byte[] result = Arrays.copyOf(out, bytes + (bits > 0 ? 1 : 0));
            if (bits > 0) {
                result[bytes] = (byte) acc;
            }
            return result;
        }
    }

    /** Reads what {@link BitWriter} wrote, fetching a byte only when its first bit is needed. */
    static final class BitReader {
        private final ByteBuffer b;
        private int acc;
        private int bits;

        BitReader(ByteBuffer b) {
            this.b = b;
        }

        int readBit() {
            if (bits == 0) {
                acc = b.get() & 0xff;
                bits = 8;
            }
            int bit = acc & 1;
            acc >>>= 1;
            bits--;
            return bit;
        }
    }
}
