package io.bluefog.optimizers.svrg;

/**
 * Settings of {@link AsySvrg}. Immutable.
 *
 * @param method         SGD, SVRG, or SGD for {@code sgdEpochs} epochs then SVRG
 * @param epochs         outer iterations s = 0..epochs-1 (thesis's S in Algorithm 2), &ge; 1
 * @param sgdEpochs      with {@link Method#SGD_SVRG}: how many of the epochs run SGD (0..epochs)
 * @param innerSteps     m &ge; 1: applied updates per epoch (Algorithm 2's inner loop length)
 * @param batchSize      |I_t| &ge; 1 samples per worker step
 * @param svrgStepSize   &eta; &gt; 0, constant (eq. (2.32))
 * @param sgdStepSize    &alpha; &gt; 0 of SGD's polynomial schedule &eta;_s = &alpha;/(1+s)^&beta; (thesis &sect;2.5.1)
 * @param sgdDecay       &beta; &ge; 0 of that schedule
 * @param maxStaleness   &Delta; &ge; 0 (Assumption 2.2.4): the server applies an update computed at
 *                       w_{t-&tau;} only if &tau; &le; &Delta;, and drops it otherwise (the worker reads anew)
 * @param seed           mini-batch sampling seed; worker rank r samples with seed + r
 */
public record AsySvrgConfig(Method method, int epochs, int sgdEpochs, int innerSteps, int batchSize,
        double svrgStepSize, double sgdStepSize, double sgdDecay, int maxStaleness, long seed) {

    /** The update direction of the inner loop. */
    public enum Method {
        /** plain asynchronous SGD: v = (1/|I|) &Sigma; &nabla;f_i(w_{t-&tau;}) */
        SGD,
        /** Distributed-AsySVRG, eq. (2.33) */
        SVRG,
        /** SGD for the first {@code sgdEpochs} epochs, then SVRG from SGD's model (thesis's SGD_SVRG) */
        SGD_SVRG
    }

    /** @throws IllegalArgumentException naming the first setting out of range */
    public AsySvrgConfig {
        if (method == null) {
            throw new IllegalArgumentException("method must not be null");
        }
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        }
        if (sgdEpochs < 0 || sgdEpochs > epochs) {
            throw new IllegalArgumentException("sgdEpochs must be in 0.." + epochs + ", got " + sgdEpochs);
        }
        if (innerSteps < 1) {
            throw new IllegalArgumentException("innerSteps must be >= 1, got " + innerSteps);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
        if (!(svrgStepSize > 0) || Double.isInfinite(svrgStepSize)) {
            throw new IllegalArgumentException("svrgStepSize must be finite and > 0, got " + svrgStepSize);
        }
        if (!(sgdStepSize > 0) || Double.isInfinite(sgdStepSize)) {
            throw new IllegalArgumentException("sgdStepSize must be finite and > 0, got " + sgdStepSize);
        }
        if (!(sgdDecay >= 0) || Double.isInfinite(sgdDecay)) {
            throw new IllegalArgumentException("sgdDecay must be finite and >= 0, got " + sgdDecay);
        }
        if (maxStaleness < 0) {
            throw new IllegalArgumentException("maxStaleness must be >= 0, got " + maxStaleness);
        }
    }

    /** @return whether epoch s runs SVRG (else SGD) */
    public boolean svrgAt(int epoch) {
        return method == Method.SVRG || (method == Method.SGD_SVRG && epoch >= sgdEpochs);
    }

    /** @return the step size of epoch s: &eta; for SVRG epochs, &alpha;/(1+s)^&beta; for SGD epochs */
    public double stepSizeAt(int epoch) {
        return svrgAt(epoch) ? svrgStepSize : sgdStepSize / Math.pow(1 + epoch, sgdDecay);
    }
}
