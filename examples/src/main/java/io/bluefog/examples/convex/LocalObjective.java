package io.bluefog.examples.convex;

import org.nd4j.linalg.api.ndarray.INDArray;

/** One rank's smooth convex objective f_i over R^d, evaluated on float64 ND4J vectors of length d. */
public interface LocalObjective {
    /** @return d */
    int dimension();

    /** @return f_i(x) */
    double value(INDArray x);

    /** @return a fresh array &nabla;f_i(x), same shape as {@code x} */
    INDArray gradient(INDArray x);
}
