package io.bluefog.optimizers.compression;

import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A compression operator Q for communication-compressed gossip (CHOCO-SGD, Koloskova, Stich and
 * Jaggi, "Decentralized Stochastic Optimization and Gossip Algorithms with Compressed
 * Communication", ICML 2019), with its packed wire format: {@link #encode} writes at most
 * {@link #maxPackedBytes(int)} bytes (exactly that many for the fixed-size formats: indices and
 * values for the sparsifiers, bits and a scale for sign; QSGD's Elias-coded levels and norm have a
 * variable length; values as float32, little-endian), and {@link #decodeAdd} adds the dense Q(v)
 * the message stands for to a vector. Every message is self-delimiting: its decoder reads exactly
 * the bytes its encoder wrote.
 *
 * <p>Randomness: {@code sharedSeed} is known to the sender and every receiver (random-k draws its
 * indices from it, so they are not sent); {@code privateRandom} only to the sender (QSGD's
 * stochastic rounding).
 *
 * <p>Quality. Biased compressors are contractions,
 * {@code E||Q(v) - v||^2 <= (1 - delta) ||v||^2} with {@link #delta(int)}; the unbiased QSGD has
 * {@code E Q(v) = v} and {@code E||Q(v) - v||^2 <= omega ||v||^2} with {@link #omega(int)}, and
 * CHOCO uses it as {@code Q(v)/(1 + omega)} ({@link #chocoScale(int)}), a contraction with
 * {@code delta = 1/(1 + omega)} (ICML 2019, Section 3, example (ii)).
 *
 * <p>Immutable and thread-safe; {@link #parse(String)} reads the command-line forms
 * {@code identity}, {@code top-k:RHO}, {@code random-k:RHO}, {@code sign}, {@code qsgd:S}.
 */
public sealed interface Compressor permits Compressors.Identity, Compressors.TopK, Compressors.RandomK,
        Compressors.Sign, Compressors.Qsgd {

    /** @return the command-line form, e.g. {@code top-k:0.01} */
    String id();

    /**
     * @param d vector length, &ge; 1
     * @return the largest number of bytes of the packed message of a vector of length d: the exact
     *         size for identity, top-k, random-k and sign, a bound for QSGD (whose size depends on v)
     */
    int maxPackedBytes(int d);

    /**
     * Packs Q(v).
     *
     * @param v             the vector, length d &ge; 1; not modified
     * @param sharedSeed    randomness every receiver knows (random-k's indices)
     * @param privateRandom the sender's own randomness (QSGD's rounding)
     * @return a new array of at most {@link #maxPackedBytes(int) maxPackedBytes(v.length)} bytes
     */
    byte[] encode(double[] v, long sharedSeed, SplittableRandom privateRandom);

    /**
     * Adds {@code scale * Q(v)} decoded from a message to {@code out}.
     *
     * @param message    a message of {@link #encode}, read from its position on; the position advances
     *                   by exactly the message's length
     * @param sharedSeed the seed the sender encoded with
     * @param scale      the factor applied to Q(v)
     * @param out        length d, the length the sender encoded
     */
    void decodeAdd(ByteBuffer message, long sharedSeed, double scale, double[] out);

    /** @return the contraction parameter delta in (0, 1] at length d (a lower bound where it depends on v) */
    double delta(int d);

    /** @return omega of an unbiased compressor at length d (0 for the biased ones, which are contractions) */
    default double omega(int d) {
        return 0;
    }

    /** @return the factor CHOCO applies to Q: {@code 1/(1 + omega(d))} */
    default double chocoScale(int d) {
        return 1 / (1 + omega(d));
    }

    /**
     * Parses {@code identity}, {@code top-k:RHO} and {@code random-k:RHO} (0 &lt; RHO &le; 1, the
     * kept fraction; k = ceil(RHO d), at least 1), {@code sign}, {@code qsgd:S} (S &ge; 1 levels).
     *
     * @throws IllegalArgumentException naming the bad form and listing the valid ones
     */
    static Compressor parse(String text) {
        String s = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        String usage = "compressor must be identity, top-k:RHO, random-k:RHO (0 < RHO <= 1), sign or qsgd:S (S >= 1), got '"
                + text + "'";
        int colon = s.indexOf(':');
        String kind = colon < 0 ? s : s.substring(0, colon);
        String arg = colon < 0 ? null : s.substring(colon + 1);
        try {
            switch (kind) {
                case "identity":
                case "sign":
                    if (arg != null) {
                        throw new IllegalArgumentException(usage);
                    }
                    return kind.equals("sign") ? new Compressors.Sign() : new Compressors.Identity();
                case "top-k":
                case "random-k": {
                    if (arg == null) {
                        throw new IllegalArgumentException(usage);
                    }
                    double rho = Double.parseDouble(arg);
                    if (!(rho > 0 && rho <= 1)) {
                        throw new IllegalArgumentException(usage);
                    }
                    return kind.equals("top-k") ? new Compressors.TopK(rho) : new Compressors.RandomK(rho);
                }
                case "qsgd": {
                    if (arg == null) {
                        throw new IllegalArgumentException(usage);
                    }
                    int levels = Integer.parseInt(arg);
                    if (levels < 1) {
                        throw new IllegalArgumentException(usage);
                    }
                    return new Compressors.Qsgd(levels);
                }
                default:
                    throw new IllegalArgumentException(usage);
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(usage, e);
        }
    }
}
