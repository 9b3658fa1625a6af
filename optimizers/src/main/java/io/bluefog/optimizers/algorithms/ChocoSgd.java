package io.bluefog.optimizers.algorithms;

import io.bluefog.collectives.Collectives;
import io.bluefog.optimizers.DecentralizedOptimizer;
import io.bluefog.optimizers.OptimizerConfig;
import io.bluefog.optimizers.OptimizerFactory;
import io.bluefog.optimizers.compression.Compressor;
import io.bluefog.topology.Topology;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * CHOCO-SGD (Koloskova, Stich and Jaggi, "Decentralized Stochastic Optimization and Gossip
 * Algorithms with Compressed Communication", ICML 2019, Algorithm 2; Koloskova, Lin, Stich and
 * Jaggi, "Decentralized Deep Learning with Arbitrary Communication Compression", ICLR 2020, for
 * deep learning with momentum): every rank i keeps public copies x&#770;_j of itself and its
 * in-neighbors and, in each communication round with matrix W,
 * <pre>
 *   x_i^{t+1/2} = x_i^t - d_i                      (the local updater's step)
 *   q_i         = Q(x_i^{t+1/2} - x&#770;_i^t)          (packed, sent to the out-neighbors)
 *   x&#770;_j^{t+1}   = x&#770;_j^t + q_j                 for j = i and every in-neighbor j
 *   x_i^{t+1}   = x_i^{t+1/2} + gamma sum_j w_ij (x&#770;_j^{t+1} - x&#770;_i^{t+1})
 * </pre>
 * with x&#770;^0 = 0 and Q scaled by {@link Compressor#chocoScale(int)} (1, or 1/(1 + omega) for
 * QSGD). The copies of the neighbors are kept as their weighted sum
 * {@code s_i = sum_j w_ij x&#770;_j} (j = i included), updated by {@code s_i += sum_j w_ij q_j}: the
 * memory-efficient form of ICLR 2020, Algorithm 1, equal to keeping every x&#770;_j because W is
 * fixed. The messages are exchanged with
 * {@link DecentralizedOptimizer#neighborAllgather(INDArray, Topology)} as INT32 arrays: one word
 * holding the message's length in bytes, then the message in {@code ceil(bytes/4)} words (QSGD's
 * messages differ in length from rank to rank and round to round; the allgather carries arrays of
 * different lengths). {@link #bytesSent()} counts these arrays, the real payload on the wire: the
 * encoded size plus at most 7 bytes of length word and padding, per out-neighbor. Iterations that do not communicate
 * ({@link OptimizerConfig#communicationPeriod()}) take the local step only.
 *
 * <p>With the identity compressor and gamma = 1 this is ATC D-SGD (x^{t+1} = W x^{t+1/2}), up to
 * the float32 rounding of the sent differences. Parameters may be FLOAT or DOUBLE; the public copies
 * are kept in float64.
 *
 * <p>Requires a static topology (the copies of a neighbor stay equal to its own only while the
 * same ranks exchange at every round): a schedule with a period other than 1 is rejected.
 */
public final class ChocoSgd extends DecentralizedOptimizer {
    private final Compressor compressor;
    private final double gamma;
    private final long seed;
    private final int d;
    private final double scale;
    private final double[] xHat;
    private final double[] mixedHat;
    private final double[] x;
    private final double[] diff;
    private final SplittableRandom privateRandom;
    private Topology fixed;

    /**
     * Collective (the base class broadcasts rank 0's parameters when configured).
     *
     * @param compressor Q
     * @param gamma      consensus step size in (0, 1]
     * @param seed       seed of the compressors' randomness, the same on every rank
     * @throws IllegalArgumentException if gamma is outside (0, 1] or the configured schedule is not
     *                                  static (period other than 1), before any communication
     */
    public ChocoSgd(Collectives collectives, Topology defaultTopology, INDArray params, OptimizerConfig config,
                    Compressor compressor, double gamma, long seed) {
        super(collectives, defaultTopology, check(params, config, gamma), config);
        this.compressor = Objects.requireNonNull(compressor, "compressor");
        this.gamma = gamma;
        this.seed = seed;
        long length = params.length();
        if (length > Integer.MAX_VALUE / 8) {
            throw new IllegalArgumentException("CHOCO-SGD supports at most " + Integer.MAX_VALUE / 8 + " parameters, got " + length);
        }
        this.d = (int) length;
        this.scale = compressor.chocoScale(d);
        this.xHat = new double[d];
        this.mixedHat = new double[d];
        this.x = new double[d];
        this.diff = new double[d];
        this.privateRandom = privateRandom(seed, collectives.rank());
    }

    /** Checks the arguments before the base constructor communicates. */
    private static INDArray check(INDArray params, OptimizerConfig config, double gamma) {
        if (!(gamma > 0 && gamma <= 1)) {
            throw new IllegalArgumentException("consensus step gamma must be in (0, 1], got " + gamma);
        }
        if (config != null && config.topology() != null && config.topology().period() != 1) {
            throw new IllegalArgumentException("CHOCO-SGD needs a static topology; " + config.topology()
                    + " has period " + config.topology().period());
        }
        return params;
    }

    /**
     * @return a factory for {@link io.bluefog.optimizers.dl4j.DecentralizedTrainer} making this
     *         optimizer on every rank with these settings
     */
    public static OptimizerFactory factory(Compressor compressor, double gamma, long seed) {
        Objects.requireNonNull(compressor, "compressor");
        check(null, null, gamma);
        return (c, t, p, cfg) -> new ChocoSgd(c, t, p, cfg, compressor, gamma, seed);
    }

    /** @return Q */
    public Compressor compressor() {
        return compressor;
    }

    /** @return gamma */
    public double consensusStep() {
        return gamma;
    }

    @Override
    protected void update(INDArray gradient, Topology w, long round) {
        INDArray params = parameters();
        params.subi(localStep(gradient).reshape(params.shape()));
        if (w == null) {
            return;
        }
        if (fixed == null) {
            fixed = w;
        } else if (!fixed.equals(w)) {
            throw new IllegalStateException("CHOCO-SGD needs a static topology; the mixing matrix changed at round " + round);
        }
        int me = collectives().rank();
        INDArray flat = params.reshape(params.length());
        double[] half = flat.castTo(DataType.DOUBLE).toDoubleVector();
        System.arraycopy(half, 0, x, 0, d);
        for (int i = 0; i < d; i++) {
            diff[i] = x[i] - xHat[i];
        }
        byte[] message = compressor.encode(diff, mix(seed, round, me), privateRandom);
        int ints = (message.length + 3) / 4;
        int[] words = new int[1 + ints];
        words[0] = message.length;
        ByteBuffer.wrap(Arrays.copyOf(message, 4 * ints)).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(words, 1, ints);
        INDArray gathered = neighborAllgather(Nd4j.createFromArray(words), w);

        // own copy and its weight in the mixed copies
        double selfWeight = w.selfWeight(me);
        double[] q = new double[d];
        compressor.decodeAdd(ByteBuffer.wrap(message), mix(seed, round, me), scale, q);
        for (int i = 0; i < d; i++) {
            xHat[i] += q[i];
            mixedHat[i] += selfWeight * q[i];
        }
        // in-neighbors' messages, in ascending rank order as gathered
        int[] in = w.inNeighbors(me);
        double[] weights = w.recvWeights(me);
        Integer[] order = new Integer[in.length];
        for (int m = 0; m < in.length; m++) {
            order[m] = m;
        }
        Arrays.sort(order, (a, b) -> Integer.compare(in[a], in[b]));
        int[] all = gathered.toIntVector();
        ByteBuffer bytes = ByteBuffer.allocate(4 * all.length).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asIntBuffer().put(all);
        int at = 0; // word index of the next message's length word
        for (int m = 0; m < in.length; m++) {
            int j = in[order[m]];
            int length = at < all.length ? all[at] : -1;
            int max = compressor.maxPackedBytes(d);
            if (length < 0 || length > max || at + 1 + (length + 3) / 4 > all.length) {
                throw new IllegalStateException("CHOCO-SGD: the message from rank " + j + " at round " + round
                        + " has length " + length + " bytes (at most " + max + " expected, "
                        + 4 * (all.length - at - 1) + " received)");
            }
            ByteBuffer slice = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            slice.position(4 * (at + 1)).limit(4 * (at + 1) + length);
            compressor.decodeAdd(slice, mix(seed, round, j), scale * weights[order[m]], mixedHat);
            if (slice.remaining() != 0) {
                throw new IllegalStateException("CHOCO-SGD: the message from rank " + j + " at round " + round
                        + " was not read to its end (" + slice.remaining() + " of " + length + " bytes left)");
            }
            at += 1 + (length + 3) / 4;
        }
        for (int i = 0; i < d; i++) {
            x[i] += gamma * (mixedHat[i] - xHat[i]);
        }
        flat.assign(Nd4j.createFromArray(x).castTo(params.dataType()));
    }

    /** The sender's own generator of a rank (QSGD's stochastic rounding); package-private for the serial reference test. */
    static SplittableRandom privateRandom(long seed, int rank) {
        return new SplittableRandom(mix(seed, -1, rank));
    }

    /** A seed for (round, rank) from the job's seed (SplitMix64 finaliser over the three). */
    private static long mix(long seed, long round, int rank) {
        long z = seed * 0x9E3779B97F4A7C15L + round * 0xBF58476D1CE4E5B9L + (rank + 1L) * 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Not checkpointable yet: the public copies live in Java arrays and random-k's private generator
     * has no saved state, so a resume could not continue bit-identically.
     *
     * @throws UnsupportedOperationException always
     */
    @Override
    protected java.util.List<INDArray> algorithmState() {
        throw new UnsupportedOperationException("choco cannot be checkpointed yet (its public copies and"
                + " compressor random state are not saved); run it without --checkpoint-dir");
    }
}
