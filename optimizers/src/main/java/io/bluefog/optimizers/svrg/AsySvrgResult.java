package io.bluefog.optimizers.svrg;

/**
 * Outcome of {@link AsySvrg#run}, the same on every rank. Immutable (arrays are copies).
 *
 * @param w              the server's final parameters w^S, length d
 * @param losses         F(w̃^s) = (1/n) &Sigma;_i f_i(w̃^s) at each epoch's snapshot s = 0..epochs
 *                       (index epochs: the final w); length epochs + 1
 * @param seconds        wall-clock seconds since the start, measured on the server when each loss
 *                       was known; length epochs + 1
 * @param appliedUpdates updates the server applied (epochs &times; m)
 * @param droppedUpdates updates the server dropped because their delay exceeded the staleness bound
 * @param maxDelay       largest delay &tau; of an applied update, in server steps
 */
public record AsySvrgResult(double[] w, double[] losses, double[] seconds, long appliedUpdates,
        long droppedUpdates, long maxDelay) {
    public AsySvrgResult {
        w = w.clone();
        losses = losses.clone();
        seconds = seconds.clone();
    }

    /**
     * @return the first time (seconds) at which the recorded loss was &le; {@code target}, or NaN
     *         if it never was (the thesis's time-to-loss, eq. (2.52))
     */
    public double secondsToLoss(double target) {
        for (int s = 0; s < losses.length; s++) {
            if (losses[s] <= target) {
                return seconds[s];
            }
        }
        return Double.NaN;
    }
}
