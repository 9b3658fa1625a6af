package io.bluefog.examples.data;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Objects;

/**
 * The samples one rank holds: features as float32 rows and integer labels.
 *
 * @param features   {@code m x d} pixels in [0, 1]
 * @param labels     {@code m} labels in {@code 0..numClasses-1}
 * @param numClasses number of classes (width of the one-hot label matrix)
 */
public record Shard(float[][] features, int[] labels, int numClasses) {
    public Shard {
        Objects.requireNonNull(features, "features");
        Objects.requireNonNull(labels, "labels");
        if (features.length != labels.length) {
            throw new IllegalArgumentException("shard has " + features.length + " feature rows but "
                    + labels.length + " labels");
        }
    }

    /** @return number of samples m */
    public int size() {
        return labels.length;
    }

    /** @return the number of features per sample, 0 for an empty shard */
    public int featureCount() {
        return features.length == 0 ? 0 : features[0].length;
    }

    /** @return how many samples of each class the shard holds, length {@code numClasses} */
    public int[] classCounts() {
        int[] counts = new int[numClasses];
        for (int l : labels) {
            counts[l]++;
        }
        return counts;
    }

    /** @return the whole shard as one DL4J data set: features {@code m x d}, one-hot labels {@code m x numClasses}, float32 */
    public DataSet toDataSet() {
        return rows(java.util.stream.IntStream.range(0, size()).toArray());
    }

    /** @return the given rows as a DL4J data set (float32 features, one-hot labels), in fresh arrays */
    public DataSet rows(int[] rows) {
        if (rows.length == 0) {
            return new DataSet(Nd4j.create(DataType.FLOAT, 0, featureCount()), Nd4j.create(DataType.FLOAT, 0, numClasses));
        }
        INDArray fx = Nd4j.createUninitialized(DataType.FLOAT, rows.length, featureCount());
        INDArray fy = Nd4j.createUninitialized(DataType.FLOAT, rows.length, numClasses);
        copyRows(rows, rows.length, floats(fx), floats(fy));
        return new DataSet(fx, fy);
    }

    /**
     * Writes samples {@code rows[0..count-1]} into the given buffers without allocating: their pixels
     * as rows of {@code features} ({@code count x d}, row-major, from index 0) and their one-hot
     * labels as rows of {@code labels} ({@code count x numClasses}, every element written).
     *
     * @throws IndexOutOfBoundsException if a row index is outside the shard or a buffer is too small
     */
    public void copyRows(int[] rows, int count, FloatBuffer features, FloatBuffer labels) {
        int d = featureCount();
        for (int k = 0; k < count; k++) {
            features.put(k * d, this.features[rows[k]], 0, d);
            int base = k * numClasses;
            for (int c = 0; c < numClasses; c++) {
                labels.put(base + c, 0f);
            }
            labels.put(base + this.labels[rows[k]], 1f);
        }
    }

    /**
     * @return a float view of {@code a}'s native memory (a FLOAT array that is not a view), for
     *         {@link #copyRows}
     * @throws IllegalArgumentException if {@code a} is not a FLOAT array owning its buffer from offset 0
     */
    static FloatBuffer floats(INDArray a) {
        if (a.dataType() != DataType.FLOAT || a.isView() || a.data().offset() != 0 || a.ordering() != 'c') {
            throw new IllegalArgumentException("need a c-ordered FLOAT array that is not a view, got " + a.shapeInfoToString());
        }
        return a.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
    }
}
