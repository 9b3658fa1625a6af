package io.bluefog.optimizers;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One rank's optimizer state between two steps, from {@link DecentralizedOptimizer#saveState()}:
 * the iteration and communication-round counters and the state arrays (parameters, local updater,
 * algorithm), in the optimizer's order. The arrays are copies owned by this value; do not modify them.
 *
 * @param iteration steps taken
 * @param round     communication rounds taken
 * @param arrays    parameters, then the updater's arrays, then the algorithm's
 */
public record OptimizerState(long iteration, long round, List<INDArray> arrays) {
    public OptimizerState {
        if (iteration < 0 || round < 0) {
            throw new IllegalArgumentException("iteration = " + iteration + " and round = " + round + " must be >= 0");
        }
        arrays = List.copyOf(arrays);
    }
}
