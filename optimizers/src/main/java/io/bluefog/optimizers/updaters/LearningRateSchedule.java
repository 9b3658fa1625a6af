package io.bluefog.optimizers.updaters;

import java.util.function.LongToDoubleFunction;

/**
 * A learning rate &gamma;_k as a function of the 0-based iteration k (the optimizer's step counter,
 * the same on every rank). Immutable. Every {@link LocalUpdater} takes one, so every algorithm that
 * steps through its local updater follows it; the closed forms:
 * <ul>
 *   <li>{@link #constant}: &gamma;_k = &gamma;.</li>
 *   <li>{@link #step}: &gamma;_k = &gamma; &middot; factor^&lfloor;k / s&rfloor; (PyTorch's {@code StepLR}).</li>
 *   <li>{@link #polynomial}: &gamma;_k = (&gamma; &minus; &gamma;_end)(1 &minus; min(k, T)/T)^p + &gamma;_end (TensorFlow's
 *       {@code PolynomialDecay}; p = 2 is the decay of You, Gitman and Ginsburg, "Large Batch Training of
 *       Convolutional Networks", arXiv:1708.03888, 2017).</li>
 *   <li>{@link #cosine}: &gamma;_k = &gamma;_min + (&gamma; &minus; &gamma;_min)(1 + cos(&pi; min(k, T)/T))/2 (Loshchilov and
 *       Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", ICLR 2017, one cycle without restart).</li>
 *   <li>{@link #withLinearWarmup}: composes a linear warmup of w steps in front of any schedule s:
 *       &gamma;_k = s(0)&middot;(k + 1)/w for k &lt; w, then &gamma;_k = s(k &minus; w) (the decay starts after the warmup;
 *       Goyal et al., "Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour", arXiv:1706.02677, 2017, &sect;2.2).</li>
 * </ul>
 * {@link #linearScaling} is Goyal et al.'s linear scaling rule for the base rate.
 */
public final class LearningRateSchedule {
    private final double baseRate;
    private final LongToDoubleFunction rate;
    private final String description;
    private final boolean constant;

    private LearningRateSchedule(double baseRate, LongToDoubleFunction rate, String description) {
        this.constant = false;
        this.baseRate = baseRate;
        this.rate = rate;
        this.description = description;
    }

    private static double requireRate(String what, double rate) {
        if (!(rate > 0) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException(what + " must be finite and > 0, got " + rate);
        }
        return rate;
    }

    private static double requireFloor(String what, double floor, double rate) {
        if (!(floor >= 0 && floor <= rate)) {
            throw new IllegalArgumentException(what + " must be in [0, " + rate + "], got " + floor);
        }
        return floor;
    }

    private static long requireSteps(String what, long steps) {
        if (steps < 1) {
            throw new IllegalArgumentException(what + " must be >= 1 step, got " + steps);
        }
        return steps;
    }

    /** &gamma;_k = rate. @throws IllegalArgumentException unless rate is finite and &gt; 0 */
    public static LearningRateSchedule constant(double rate) {
        requireRate("learning rate", rate);
        return new LearningRateSchedule(rate);
    }

    private LearningRateSchedule(double rate) {
        this.constant = true;
        this.baseRate = rate;
        this.rate = k -> rate;
        this.description = "constant " + rate;
    }

    /**
     * &gamma;_k = rate &middot; factor^&lfloor;k / everySteps&rfloor;.
     *
     * @param factor in (0, 1]
     */
    public static LearningRateSchedule step(double rate, long everySteps, double factor) {
        requireRate("learning rate", rate);
        requireSteps("step schedule period", everySteps);
        if (!(factor > 0 && factor <= 1)) {
            throw new IllegalArgumentException("step schedule factor must be in (0, 1], got " + factor);
        }
        return new LearningRateSchedule(rate, k -> rate * Math.pow(factor, (double) (k / everySteps)),
                "step " + rate + " x" + factor + " every " + everySteps + " steps");
    }

    /**
     * &gamma;_k = (rate &minus; endRate)(1 &minus; min(k, totalSteps)/totalSteps)^power + endRate.
     *
     * @param endRate in [0, rate]
     * @param power   &gt; 0
     */
    public static LearningRateSchedule polynomial(double rate, double endRate, long totalSteps, double power) {
        requireRate("learning rate", rate);
        requireFloor("polynomial end rate", endRate, rate);
        requireSteps("polynomial decay length", totalSteps);
        if (!(power > 0) || Double.isInfinite(power)) {
            throw new IllegalArgumentException("polynomial power must be finite and > 0, got " + power);
        }
        return new LearningRateSchedule(rate,
                k -> (rate - endRate) * Math.pow(1 - (double) Math.min(k, totalSteps) / totalSteps, power) + endRate,
                "polynomial " + rate + " -> " + endRate + " power " + power + " over " + totalSteps + " steps");
    }

    /**
     * &gamma;_k = minRate + (rate &minus; minRate)(1 + cos(&pi; min(k, totalSteps)/totalSteps))/2.
     *
     * @param minRate in [0, rate]
     */
    public static LearningRateSchedule cosine(double rate, double minRate, long totalSteps) {
        requireRate("learning rate", rate);
        requireFloor("cosine minimum rate", minRate, rate);
        requireSteps("cosine decay length", totalSteps);
        return new LearningRateSchedule(rate,
                k -> minRate + (rate - minRate) * (1 + Math.cos(Math.PI * Math.min(k, totalSteps) / totalSteps)) / 2,
                "cosine " + rate + " -> " + minRate + " over " + totalSteps + " steps");
    }

    /**
     * Linear scaling rule (Goyal et al. 2017, &sect;2.1): the base rate for a global batch of
     * {@code globalBatch} samples when {@code rate} suits {@code referenceBatch}: rate &middot; globalBatch / referenceBatch.
     */
    public static double linearScaling(double rate, long referenceBatch, long globalBatch) {
        requireRate("learning rate", rate);
        if (referenceBatch < 1 || globalBatch < 1) {
            throw new IllegalArgumentException("batch sizes must be >= 1, got reference " + referenceBatch + " and global " + globalBatch);
        }
        return rate * globalBatch / referenceBatch;
    }

    /**
     * This schedule after a linear warmup: &gamma;_k = s(0)&middot;(k + 1)/warmupSteps for k &lt; warmupSteps,
     * then s(k &minus; warmupSteps). {@code warmupSteps} = 0 returns this schedule.
     */
    public LearningRateSchedule withLinearWarmup(long warmupSteps) {
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("warmup must be >= 0 steps, got " + warmupSteps);
        }
        if (warmupSteps == 0) {
            return this;
        }
        LearningRateSchedule after = this;
        double peak = after.rate(0);
        return new LearningRateSchedule(baseRate,
                k -> k < warmupSteps ? peak * (k + 1) / warmupSteps : after.rate(k - warmupSteps),
                "linear warmup over " + warmupSteps + " steps, then " + description);
    }

    /**
     * @param iteration the 0-based iteration k &ge; 0
     * @return &gamma;_k
     */
    public double rate(long iteration) {
        if (iteration < 0) {
            throw new IllegalArgumentException("iteration must be >= 0, got " + iteration);
        }
        return rate.applyAsDouble(iteration);
    }

    /** @return the rate the schedule was built on (its peak: warmup rises to it, decays start from it) */
    public double baseRate() {
        return baseRate;
    }

    /** @return whether &gamma;_k is the base rate at every k (a {@link #constant} schedule) */
    public boolean isConstant() {
        return constant;
    }

    @Override
    public String toString() {
        return description;
    }

}
