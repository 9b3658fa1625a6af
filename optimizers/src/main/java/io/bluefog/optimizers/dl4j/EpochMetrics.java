package io.bluefog.optimizers.dl4j;

/**
 * Job-wide metrics of one epoch (the same on every rank).
 *
 * @param epoch                1-based epoch
 * @param trainLoss            mean mini-batch loss over all ranks and iterations of the epoch
 * @param averagedAccuracy     test accuracy of the averaged model x&#772; = (1/n) &Sigma;_i x_i (NaN without a test set)
 * @param localAccuracy        test accuracy of rank 0's own model (NaN without a test set)
 * @param meanLocalAccuracy    mean over ranks of each rank's own-model test accuracy (NaN without a test set)
 * @param consensusDistance    (1/n) &Sigma;_i ‖x_i &minus; x&#772;‖&sup2; at the end of the epoch
 * @param samplesPerSecond     training samples of all ranks per second of the slowest rank's training time
 * @param communicationShare   the optimizer's communication time / training time, mean over ranks (0..1):
 *                             all the time the training thread spends in collectives, the two parts below
 *                             and the call overhead
 * @param exchangeShare        of that, moving and combining data (the collectives' executed batches)
 * @param waitShare            of that, header agreement rounds: mostly waiting for the slowest rank to
 *                             reach the same step (load imbalance, e.g. another rank's GC pause)
 * @param overlapped           whether the optimizer started communication before the gradient
 *                             computation in this epoch ({@code DecentralizedOptimizer#beginStep}, AWC):
 *                             then the two shares above are the collectives' own busy time, partly
 *                             hidden behind that computation, and may add up to more than
 *                             {@code communicationShare}, which counts only the time the training
 *                             thread was blocked
 * @param trainSeconds         wall-clock training time of the epoch (max over ranks), evaluation excluded
 * @param iterations           iterations of the epoch (per rank)
 * @param bytesSentPerStep     bytes each rank's optimizer sent per iteration in this epoch, mean over ranks
 *                             ({@code DecentralizedOptimizer#bytesSent}: packed messages once per
 *                             out-neighbor, a ring allreduce's share for global averages)
 */
public record EpochMetrics(int epoch, double trainLoss, double averagedAccuracy, double localAccuracy,
                           double meanLocalAccuracy, double consensusDistance, double samplesPerSecond,
                           double communicationShare, double exchangeShare, double waitShare, boolean overlapped,
                           double trainSeconds, int iterations, double bytesSentPerStep) {
}
