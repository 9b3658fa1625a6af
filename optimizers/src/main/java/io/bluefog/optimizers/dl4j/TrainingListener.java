package io.bluefog.optimizers.dl4j;

/**
 * Callbacks of {@link DecentralizedTrainer}. Called on every rank, on the training thread;
 * {@link #epochDone} receives values that are already reduced over all ranks (the same on every rank).
 */
public interface TrainingListener {
    /**
     * After every iteration on this rank.
     *
     * @param iteration 0-based iteration within the epoch
     * @param of        iterations in the epoch, or -1 when the iterator does not say
     * @param loss      this rank's mini-batch loss (DL4J score) at the parameters before the step
     */
    default void iterationDone(int epoch, int iteration, int of, double loss) {
    }

    /** After every epoch, with the job-wide metrics. */
    default void epochDone(EpochMetrics metrics) {
    }
}
