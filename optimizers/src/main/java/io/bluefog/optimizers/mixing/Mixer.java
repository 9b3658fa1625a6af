package io.bluefog.optimizers.mixing;

import io.bluefog.topology.Topology;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The communication an optimizer needs, on one rank. Every method is collective: all ranks call
 * it in the same order with arrays of the same length and dtype (FLOAT or DOUBLE); the vectors
 * are modified in place.
 */
public interface Mixer {
    /**
     * Partial averaging with a mixing matrix (BlueFog's {@code neighbor_allreduce}):
     * {@code x_i <- w_ii x_i + sum_{j in In(i)} w_ij x_j}, where i is this rank. Rank i sends its
     * current x_i to {@code topology.outNeighbors(i)}.
     *
     * @param x        this rank's vector, modified in place
     * @param topology the same topology on every rank, of the job's size
     */
    void neighborAverage(INDArray x, Topology topology);

    /** Global average: {@code x_i <- (1/n) sum_j x_j} on every rank. */
    void globalAverage(INDArray x);

    /** Sum of a scalar over all ranks, returned on every rank. */
    double sum(double value);

    /** Copies {@code root}'s x into every rank's x. */
    void broadcast(INDArray x, int root);

    /** @return this rank */
    int rank();

    /** @return the number of ranks n */
    int size();
}
