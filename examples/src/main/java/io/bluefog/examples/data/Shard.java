package io.bluefog.examples.data;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

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

    /** @return the given rows as a DL4J data set (float32 features, one-hot labels) */
    public DataSet rows(int[] rows) {
        int d = featureCount();
        float[] x = new float[rows.length * d];
        float[] y = new float[rows.length * numClasses];
        for (int k = 0; k < rows.length; k++) {
            System.arraycopy(features[rows[k]], 0, x, k * d, d);
            y[k * numClasses + labels[rows[k]]] = 1f;
        }
        INDArray fx = Nd4j.create(x, new long[] {rows.length, d}, 'c').castTo(DataType.FLOAT);
        INDArray fy = Nd4j.create(y, new long[] {rows.length, numClasses}, 'c').castTo(DataType.FLOAT);
        return new DataSet(fx, fy);
    }
}
