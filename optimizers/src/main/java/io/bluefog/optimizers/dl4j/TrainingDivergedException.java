package io.bluefog.optimizers.dl4j;

import io.bluefog.BlueFogException;

/**
 * A rank's mini-batch loss is not finite (NaN or infinite): training diverged, typically because
 * the learning rate is too large. {@link DecentralizedTrainer#step} raises it at the first such
 * step, before the step's update, so no non-finite value reaches a neighbor through this rank.
 */
public class TrainingDivergedException extends BlueFogException {
    private static final long serialVersionUID = 1L;
    private final int rank;
    private final long step;

    public TrainingDivergedException(int rank, long step, String message) {
        super(message);
        this.rank = rank;
        this.step = step;
    }

    /** @return the rank whose loss was not finite */
    public int rank() {
        return rank;
    }

    /** @return the trainer's step number (1 for its first step) at which the loss was not finite */
    public long step() {
        return step;
    }
}
