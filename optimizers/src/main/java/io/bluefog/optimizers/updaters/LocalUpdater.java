package io.bluefog.optimizers.updaters;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.Sgd;

import java.util.Objects;

/**
 * The local part of a decentralized step: turns a rank's gradient g into the step d that the
 * algorithm subtracts ({@code x - d}). Immutable configuration; {@link #newState(long, DataType)}
 * creates the per-rank state (momentum buffers).
 *
 * <ul>
 *   <li>{@link #sgd(double)}: d = &gamma; g.</li>
 *   <li>{@link #momentum(double, double)} (heavy ball, Polyak 1964, in PyTorch's form):
 *       v &larr; &mu; v + g; d = &gamma; v.</li>
 *   <li>{@link #nesterov(double, double)}: ND4J's {@code Nesterovs} (Sutskever et al., ICML 2013, in the form of
 *       cs231n): v' = &mu; v &minus; &gamma; g; d = &mu; v &minus; (1 + &mu;) v'.</li>
 *   <li>{@link #adam(double, double, double, double)}: ND4J's {@code Adam} (Kingma and Ba, ICLR 2015), bias-corrected.</li>
 * </ul>
 * SGD, Nesterov and Adam reuse ND4J's {@code org.nd4j.linalg.learning} updaters, so a decentralized run
 * with one rank steps exactly as DL4J's own {@code fit} with the same updater.
 */
public final class LocalUpdater {
    /** The kind of local update. */
    public enum Kind { SGD, MOMENTUM, NESTEROV, ADAM }

    private final Kind kind;
    private final double learningRate;
    private final double momentum;
    private final double beta1;
    private final double beta2;
    private final double epsilon;

    private LocalUpdater(Kind kind, double learningRate, double momentum, double beta1, double beta2, double epsilon) {
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learningRate must be finite and > 0, got " + learningRate);
        }
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
        }
        this.kind = kind;
        this.learningRate = learningRate;
        this.momentum = momentum;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
    }

    /** Plain SGD, d = learningRate * g. */
    public static LocalUpdater sgd(double learningRate) {
        return new LocalUpdater(Kind.SGD, learningRate, 0, 0, 0, 0);
    }

    /** Heavy-ball momentum: v = momentum * v + g, d = learningRate * v. */
    public static LocalUpdater momentum(double learningRate, double momentum) {
        return new LocalUpdater(Kind.MOMENTUM, learningRate, momentum, 0, 0, 0);
    }

    /** Nesterov momentum as ND4J's {@code Nesterovs(learningRate, momentum)}. */
    public static LocalUpdater nesterov(double learningRate, double momentum) {
        return new LocalUpdater(Kind.NESTEROV, learningRate, momentum, 0, 0, 0);
    }

    /** Adam as ND4J's {@code Adam(learningRate, beta1, beta2, epsilon)}; ND4J's defaults are 0.9, 0.999, 1e-8. */
    public static LocalUpdater adam(double learningRate, double beta1, double beta2, double epsilon) {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(epsilon > 0)) {
            throw new IllegalArgumentException("adam needs beta1, beta2 in [0, 1) and epsilon > 0, got "
                    + beta1 + ", " + beta2 + ", " + epsilon);
        }
        return new LocalUpdater(Kind.ADAM, learningRate, 0, beta1, beta2, epsilon);
    }

    /**
     * The local updater that steps as DL4J's {@code updater} does, for the updaters with a
     * counterpart here: {@code Sgd} &rarr; {@link #sgd}, {@code Nesterovs} &rarr; {@link #nesterov},
     * {@code Adam} &rarr; {@link #adam}, each with a constant learning rate (and momentum).
     *
     * @param dl4j a DL4J/ND4J updater configuration
     * @throws IllegalArgumentException naming the updater if it has no counterpart (e.g. {@code NoOp},
     *         {@code RmsProp}, {@code AdaGrad}, {@code Nadam}) or uses a learning-rate or momentum schedule
     */
    public static LocalUpdater of(IUpdater dl4j) {
        Objects.requireNonNull(dl4j, "dl4j");
        // exact classes: a subclass of Sgd etc. may step differently
        if (dl4j.getClass() == Sgd.class) {
            Sgd u = (Sgd) dl4j;
            if (u.getLearningRateSchedule() == null) {
                return sgd(u.getLearningRate());
            }
        } else if (dl4j.getClass() == Nesterovs.class) {
            Nesterovs u = (Nesterovs) dl4j;
            // (its deprecated momentumSchedule map is not read by ND4J's Nesterovs updater either)
            if (u.getLearningRateSchedule() == null && u.getMomentumISchedule() == null) {
                return nesterov(u.getLearningRate(), u.getMomentum());
            }
        } else if (dl4j.getClass() == Adam.class) {
            Adam u = (Adam) dl4j;
            if (u.getLearningRateSchedule() == null) {
                return adam(u.getLearningRate(), u.getBeta1(), u.getBeta2(), u.getEpsilon());
            }
        } else {
            throw new IllegalArgumentException("DL4J updater " + dl4j + " has no local updater counterpart (Sgd, Nesterovs, Adam have)");
        }
        throw new IllegalArgumentException("DL4J updater " + dl4j + " uses a schedule; local updaters have a constant learning rate and momentum");
    }

    public Kind kind() {
        return kind;
    }

    /** @return the learning rate &gamma; */
    public double learningRate() {
        return learningRate;
    }

    /** @return the momentum &mu; (0 for SGD and Adam) */
    public double momentum() {
        return momentum;
    }

    /**
     * Creates one rank's updater state.
     *
     * @param numParams length of the flat parameter vector
     * @param dtype     dtype of parameters and gradients (FLOAT or DOUBLE)
     */
    public State newState(long numParams, DataType dtype) {
        if (numParams < 1) {
            throw new IllegalArgumentException("numParams must be >= 1, got " + numParams);
        }
        Objects.requireNonNull(dtype, "dtype");
        return kind == Kind.MOMENTUM ? new HeavyBall(numParams, dtype) : new Nd4jState(nd4jConfig(), numParams, dtype);
    }

    private IUpdater nd4jConfig() {
        switch (kind) {
            case SGD:
                return new Sgd(learningRate);
            case NESTEROV:
                return new Nesterovs(learningRate, momentum);
            case ADAM:
                return new Adam(learningRate, beta1, beta2, epsilon);
            default:
                throw new IllegalStateException("no ND4J updater for " + kind);
        }
    }

    @Override
    public String toString() {
        switch (kind) {
            case SGD:
                return "sgd(lr=" + learningRate + ")";
            case MOMENTUM:
            case NESTEROV:
                return kind.name().toLowerCase(java.util.Locale.ROOT) + "(lr=" + learningRate + ", momentum=" + momentum + ")";
            default:
                return "adam(lr=" + learningRate + ", beta1=" + beta1 + ", beta2=" + beta2 + ", eps=" + epsilon + ")";
        }
    }

    /** One rank's updater state; not thread-safe. */
    public interface State {
        /**
         * Replaces {@code gradient} (a vector of the configured length and dtype) in place by the step d.
         *
         * @param iteration the 0-based iteration (Adam's bias correction uses it)
         */
        void apply(INDArray gradient, long iteration);

        /**
         * The arrays that hold this state (momentum, Adam's moments), for checkpoints: a checkpoint
         * saves copies, a resume writes saved values into them in place. Default: none (a state
         * that keeps values elsewhere is not restored by a resume).
         */
        default java.util.List<INDArray> stateArrays() {
            return java.util.List.of();
        }
    }

    private static final class Nd4jState implements State {
        private final GradientUpdater<?> updater;
        private final long numParams;
        /** ND4J's updater keeps all its state in this view (null: stateless, e.g. SGD). */
        private final INDArray view;

        Nd4jState(IUpdater config, long numParams, DataType dtype) {
            this.numParams = numParams;
            long stateSize = config.stateSize(numParams);
            this.view = stateSize == 0 ? null : Nd4j.zeros(dtype, 1, stateSize);
            this.updater = config.instantiate(view, true);
        }

        @Override
        public java.util.List<INDArray> stateArrays() {
            return view == null ? java.util.List.of() : java.util.List.of(view);
        }

        @Override
        public void apply(INDArray gradient, long iteration) {
            if (gradient.length() != numParams) {
                throw new IllegalArgumentException("gradient has " + gradient.length() + " elements, expected " + numParams);
            }
            // ND4J's updaters work on row vectors shaped like DL4J's flattened gradient.
            INDArray row = gradient.rank() == 2 && gradient.rows() == 1 ? gradient : gradient.reshape(1, numParams);
            updater.applyUpdater(row, (int) Math.min(iteration, Integer.MAX_VALUE), 0);
            if (row != gradient && !row.isView()) {
                gradient.assign(row.reshape(gradient.shape()));
            }
        }
    }

    private final class HeavyBall implements State {
        private final INDArray velocity;

        HeavyBall(long numParams, DataType dtype) {
            this.velocity = Nd4j.zeros(dtype, numParams);
        }

        @Override
        public java.util.List<INDArray> stateArrays() {
            return java.util.List.of(velocity);
        }

        @Override
        public void apply(INDArray gradient, long iteration) {
            if (gradient.length() != velocity.length()) {
                throw new IllegalArgumentException("gradient has " + gradient.length() + " elements, expected " + velocity.length());
            }
            INDArray g = gradient.reshape(velocity.length());
            velocity.muli(momentum).addi(g);
            gradient.assign(velocity.mul(learningRate).reshape(gradient.shape()));
        }
    }
}
