package io.bluefog.examples.data;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Fashion-MNIST (Xiao, Rasul and Vollgraf, "Fashion-MNIST: a Novel Image Dataset for Benchmarking
 * Machine Learning Algorithms", arXiv:1708.07747, 2017) from the gzipped IDX files of Debian's
 * {@code dataset-fashion-mnist} package: 60,000 training and 10,000 test images of 28 x 28 pixels,
 * 10 classes.
 *
 * <p>Each rank computes the same partition from the training labels (60 kB) and then reads only
 * the images of its own shard.
 */
public final class FashionMnistData {
    /** Where Debian installs the files. */
    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    public static final String TRAIN_IMAGES = "train-images-idx3-ubyte.gz";
    public static final String TRAIN_LABELS = "train-labels-idx1-ubyte.gz";
    public static final String TEST_IMAGES = "t10k-images-idx3-ubyte.gz";
    public static final String TEST_LABELS = "t10k-labels-idx1-ubyte.gz";
    public static final int TRAIN_COUNT = 60_000;
    public static final int TEST_COUNT = 10_000;
    public static final int ROWS = 28;
    public static final int COLS = 28;
    public static final int FEATURES = ROWS * COLS;
    public static final int CLASSES = 10;

    private FashionMnistData() {
    }

    /**
     * Reads rank {@code rank}'s part of the training set.
     *
     * @param dir          directory holding the four IDX files
     * @param partition    how samples are split over ranks
     * @param rank         this rank, {@code 0..size-1}
     * @param size         number of ranks
     * @param seed         partition seed (the same on every rank)
     * @param limitSamples use only the first {@code limitSamples} training images (smoke runs); 0 = all
     * @throws DatasetFileException naming the file if one is missing or corrupt
     * @throws IllegalArgumentException for a bad rank, size or limit
     */
    public static Shard trainShard(Path dir, Partition partition, int rank, int size, long seed, int limitSamples) {
        if (size < 1 || rank < 0 || rank >= size) {
            throw new IllegalArgumentException("rank " + rank + " is outside 0.." + (size - 1));
        }
        int limit = checkLimit(limitSamples, TRAIN_COUNT);
        int[] labels = IdxFiles.readLabels(dir.resolve(TRAIN_LABELS), TRAIN_COUNT, CLASSES);
        int[] used = Arrays.copyOf(labels, limit);
        int[] mine = partition.split(used, CLASSES, size, seed)[rank];
        float[][] images = IdxFiles.readImages(dir.resolve(TRAIN_IMAGES), TRAIN_COUNT, ROWS, COLS, mine);
        int[] myLabels = new int[mine.length];
        for (int k = 0; k < mine.length; k++) {
            myLabels[k] = labels[mine[k]];
        }
        return new Shard(images, myLabels, CLASSES);
    }

    /**
     * Reads the test set (every rank evaluates on the full test set).
     *
     * @param limitSamples use only the first {@code limitSamples} test images; 0 = all 10,000
     */
    public static Shard testSet(Path dir, int limitSamples) {
        int limit = Math.min(checkLimit(limitSamples, TRAIN_COUNT), TEST_COUNT);
        int[] labels = IdxFiles.readLabels(dir.resolve(TEST_LABELS), TEST_COUNT, CLASSES);
        int[] idx = new int[limit];
        for (int i = 0; i < limit; i++) {
            idx[i] = i;
        }
        float[][] images = IdxFiles.readImages(dir.resolve(TEST_IMAGES), TEST_COUNT, ROWS, COLS, idx);
        return new Shard(images, Arrays.copyOf(labels, limit), CLASSES);
    }

    private static int checkLimit(int limitSamples, int max) {
        if (limitSamples < 0) {
            throw new IllegalArgumentException("limitSamples must be >= 0 (0 = all), got " + limitSamples);
        }
        return limitSamples == 0 ? max : Math.min(limitSamples, max);
    }
}
