package io.bluefog.examples.data;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;

/**
 * Mini-batches from one rank's shard, a fixed number per epoch.
 *
 * <p>Decentralized training calls a collective in every step, so all ranks must take the same
 * number of steps per epoch even when their shards differ in size (Dirichlet splits). This
 * iterator therefore yields exactly {@code batchesPerEpoch} full batches per epoch, walking
 * through an endless sequence of seeded random permutations of the shard; a rank with a small
 * shard simply sees its samples more often. {@link #reset()} starts the next epoch without
 * restarting the sample stream, so a run is reproducible from the seed.
 *
 * <h2>Reused batches</h2>
 * By default every {@link #next()} returns a data set in fresh arrays, as {@link DataSetIterator}
 * users expect. With {@code reuseBatches} (the training loop's choice) the iterator owns one
 * features and one labels array per batch size and refills them in place: <b>a returned data set
 * is valid only until the next {@code next()} call</b>, which overwrites its arrays (keep a batch
 * longer with {@code DataSet.copy()}). The sample stream is the same either way. Why: a fresh batch
 * costs a 200 KB float[] on the heap plus two native arrays per step (for the MLP at batch 64),
 * which fills the young generation every few hundred steps and gives the garbage collector two
 * more native deallocators to process per step; in a decentralized job every such pause on one
 * rank stalls its neighbors at the next exchange.
 */
public final class ShardIterator implements DataSetIterator {
    private static final long serialVersionUID = 1L;

    private final transient Shard shard;
    private final int batchSize;
    private final int batchesPerEpoch;
    private transient Random rnd;
    private int[] perm;
    private int cursor;
    private int served;
    private transient DataSetPreProcessor preProcessor;
    private final boolean reuseBatches;
    /** The reused batch (reuseBatches only): arrays of {@code reusedRows.length} rows and views of their memory. */
    private transient int[] reusedRows;
    private transient INDArray reusedFeatures;
    private transient INDArray reusedLabels;
    private transient FloatBuffer featureBuffer;
    private transient FloatBuffer labelBuffer;

    /**
     * @param shard           the rank's samples (at least one)
     * @param batchSize       samples per batch, &ge; 1
     * @param batchesPerEpoch batches per epoch, &ge; 1, the same on every rank
     * @param seed            shuffling seed (make it depend on the rank)
     */
    public ShardIterator(Shard shard, int batchSize, int batchesPerEpoch, long seed) {
        this(shard, batchSize, batchesPerEpoch, seed, false);
    }

    /**
     * @param shard           the rank's samples (at least one)
     * @param batchSize       samples per batch, &ge; 1
     * @param batchesPerEpoch batches per epoch, &ge; 1, the same on every rank
     * @param seed            shuffling seed (make it depend on the rank)
     * @param reuseBatches    refill one pair of arrays per batch size instead of returning fresh ones:
     *                        a returned data set is then valid only until the next {@code next()}
     *                        (see the class comment)
     */
    public ShardIterator(Shard shard, int batchSize, int batchesPerEpoch, long seed, boolean reuseBatches) {
        if (shard.size() < 1) {
            throw new IllegalArgumentException("shard is empty");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
        if (batchesPerEpoch < 1) {
            throw new IllegalArgumentException("batchesPerEpoch must be >= 1, got " + batchesPerEpoch);
        }
        this.shard = shard;
        this.batchSize = batchSize;
        this.batchesPerEpoch = batchesPerEpoch;
        this.rnd = new Random(seed);
        this.perm = shuffled();
        this.reuseBatches = reuseBatches;
    }

    /**
     * The position of the sample stream (the shuffling RNG's state, the current permutation, the
     * cursor in it and the batches served this epoch), for a checkpoint: an iterator over the same
     * shard given these bytes by {@link #restorePosition} yields the batches this one would yield next.
     */
    public byte[] position() {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
            out.writeObject(rnd);
            out.writeInt(perm.length);
            for (int i : perm) {
                out.writeInt(i);
            }
            out.writeInt(cursor);
            out.writeInt(served);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * Continues from a {@link #position()} of an iterator over the same shard.
     *
     * @throws IllegalArgumentException if the bytes are not such a position or belong to a shard of
     *         another size
     */
    public void restorePosition(byte[] position) {
        try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(position))) {
            in.setObjectInputFilter(java.io.ObjectInputFilter.Config.createFilter("java.util.Random;!*"));
            Random r = (Random) in.readObject();
            int n = in.readInt();
            if (n != shard.size()) {
                throw new IllegalArgumentException("the saved position is for a shard of " + n + " samples, this one has "
                        + shard.size());
            }
            int[] p = new int[n];
            for (int i = 0; i < n; i++) {
                p[i] = in.readInt();
            }
            int c = in.readInt();
            int s = in.readInt();
            if (c < 0 || c > n || s < 0 || s > batchesPerEpoch) {
                throw new IllegalArgumentException("the saved position (cursor " + c + ", batch " + s + ") is out of range");
            }
            rnd = r;
            perm = p;
            cursor = c;
            served = s;
        } catch (java.io.IOException | ClassNotFoundException | ClassCastException e) {
            throw new IllegalArgumentException("not a saved data position: " + e, e);
        }
    }

    /**
     * The common number of steps per epoch: one pass over the whole training set split over all
     * ranks, {@code ceil(totalSamples / (size * batchSize))}.
     */
    public static int batchesPerEpoch(int totalSamples, int size, int batchSize) {
        long per = (long) size * batchSize;
        return (int) Math.max(1, (totalSamples + per - 1) / per);
    }

    private int[] shuffled() {
        int n = shard.size();
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    @Override
    public DataSet next(int num) {
        if (!hasNext()) {
            throw new NoSuchElementException("epoch finished after " + batchesPerEpoch + " batches; call reset()");
        }
        if (num < 1) {
            throw new IllegalArgumentException("num must be >= 1, got " + num);
        }
        int[] rows = reuseBatches ? reusedRows(num) : new int[num];
        for (int k = 0; k < num; k++) {
            if (cursor == perm.length) {
                perm = shuffled();
                cursor = 0;
            }
            rows[k] = perm[cursor++];
        }
        served++;
        DataSet ds;
        if (reuseBatches) {
            shard.copyRows(rows, num, featureBuffer, labelBuffer);
            ds = new DataSet(reusedFeatures, reusedLabels);
        } else {
            ds = shard.rows(rows);
        }
        if (preProcessor != null) {
            preProcessor.preProcess(ds);
        }
        return ds;
    }

    /** The reused row index array and batch arrays for {@code num} rows, (re)created when num changes. */
    private int[] reusedRows(int num) {
        if (reusedRows == null || reusedRows.length != num) {
            reusedRows = new int[num];
            reusedFeatures = Nd4j.createUninitialized(DataType.FLOAT, num, shard.featureCount());
            reusedLabels = Nd4j.createUninitialized(DataType.FLOAT, num, shard.numClasses());
            featureBuffer = Shard.floats(reusedFeatures);
            labelBuffer = Shard.floats(reusedLabels);
        }
        return reusedRows;
    }

    /** @return whether returned batches share reused arrays (valid until the next {@code next()}) */
    public boolean reusesBatches() {
        return reuseBatches;
    }

    @Override
    public DataSet next() {
        return next(batchSize);
    }

    @Override
    public boolean hasNext() {
        return served < batchesPerEpoch;
    }

    @Override
    public int inputColumns() {
        return shard.featureCount();
    }

    @Override
    public int totalOutcomes() {
        return shard.numClasses();
    }

    @Override
    public boolean resetSupported() {
        return true;
    }

    @Override
    public boolean asyncSupported() {
        return false;
    }

    /** Starts the next epoch (the sample stream continues; see the class comment). */
    @Override
    public void reset() {
        served = 0;
    }

    @Override
    public int batch() {
        return batchSize;
    }

    /** @return batches per epoch */
    public int batchesPerEpoch() {
        return batchesPerEpoch;
    }

    @Override
    public void setPreProcessor(DataSetPreProcessor preProcessor) {
        this.preProcessor = preProcessor;
    }

    @Override
    public DataSetPreProcessor getPreProcessor() {
        return preProcessor;
    }

    @Override
    public List<String> getLabels() {
        return null;
    }
}
