package io.bluefog.optimizers.updaters;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.schedule.ISchedule;

import java.util.Objects;

/**
 * The local part of a decentralized step: turns a rank's gradient g into the step d that the
 * algorithm subtracts ({@code x - d}). Immutable configuration with a {@link LearningRateSchedule};
 * {@link #newState(ParameterBlocks, DataType)} creates the per-rank state (momentum buffers).
 *
 * <h2>Built-in updaters</h2>
 * <ul>
 *   <li>{@link #sgd(double)}: d = &gamma; g.</li>
 *   <li>{@link #momentum(double, double)} (heavy ball, Polyak 1964, in PyTorch's form):
 *       v &larr; &mu; v + g; d = &gamma; v.</li>
 *   <li>{@link #nesterov(double, double)}: ND4J's {@code Nesterovs} (Sutskever et al., ICML 2013, in the form of
 *       cs231n): v' = &mu; v &minus; &gamma; g; d = &mu; v &minus; (1 + &mu;) v'.</li>
 *   <li>{@link #adam(double, double, double, double)}: ND4J's {@code Adam} (Kingma and Ba, ICLR 2015), bias-corrected.</li>
 * </ul>
 * SGD, Nesterov and Adam reuse ND4J's {@code org.nd4j.linalg.learning} updaters, so a decentralized run
 * with one rank steps exactly as DL4J's own {@code fit} with the same updater. Each has a form that
 * takes a {@link LearningRateSchedule}: &gamma; is then &gamma;_k at iteration k (ND4J reads it through its
 * learning-rate schedule hook).
 *
 * <h2>A user's updater</h2>
 * Subclass this class: pass the schedule to the constructor, implement {@link #newState} (one
 * {@link State} per rank, holding whatever per-block buffers the rule needs; {@link ParameterBlocks}
 * says where each block, e.g. each layer, lies in the flat vector) and read the rate of iteration k with
 * {@link #learningRate(long)} in {@link State#apply}. The trainer and every algorithm call
 * {@code apply} once per iteration with the iteration number, so a state may also count steps itself.
 */
public abstract class LocalUpdater {
    private final LearningRateSchedule schedule;

    /** The kinds of built-in updater. */
    private enum Kind { SGD, MOMENTUM, NESTEROV, ADAM }

    /**
     * @param schedule the learning rate &gamma;_k
     */
    protected LocalUpdater(LearningRateSchedule schedule) {
        this.schedule = Objects.requireNonNull(schedule, "schedule");
    }

    /**
     * Creates one rank's updater state.
     *
     * @param blocks how the flat parameter vector splits into blocks (layers); its total length is the
     *               length of the gradients {@link State#apply} gets
     * @param dtype  dtype of parameters and gradients (FLOAT or DOUBLE)
     */
    public abstract State newState(ParameterBlocks blocks, DataType dtype);

    /**
     * Creates one rank's updater state for a parameter vector of one block.
     *
     * @param numParams length of the flat parameter vector
     * @param dtype     dtype of parameters and gradients (FLOAT or DOUBLE)
     * @throws IllegalArgumentException if numParams &lt; 1
     */
    public final State newState(long numParams, DataType dtype) {
        return newState(ParameterBlocks.single(numParams), Objects.requireNonNull(dtype, "dtype"));
    }

    /** @return the learning-rate schedule */
    public final LearningRateSchedule schedule() {
        return schedule;
    }

    /** @return the base learning rate &gamma; of the schedule ({@link LearningRateSchedule#baseRate()}) */
    public final double learningRate() {
        return schedule.baseRate();
    }

    /** @return &gamma;_k, the learning rate at the 0-based iteration k */
    public final double learningRate(long iteration) {
        return schedule.rate(iteration);
    }

    /**
     * @return the momentum coefficient &mu; of a heavy-ball or Nesterov updater, 0 for one without momentum
     *         (SGD, Adam); an algorithm with its own momentum buffer (QG-DSGDm) reads it. Default 0.
     */
    public double momentum() {
        return 0;
    }

    /**
     * @return how many per-sample gradients (the subset J of each mini-batch) the updater needs per step
     *         to estimate the mean per-sample gradient norm of every parameter block; a
     *         {@link io.bluefog.optimizers.dl4j.DecentralizedTrainer} computes them and passes the means in the
     *         {@link Context}. Default 0 (none).
     */
    public int sampleGradientsPerStep() {
        return 0;
    }

    /** One rank's updater state; not thread-safe. */
    public interface State {
        /**
         * Replaces {@code gradient} (a vector of the configured length and dtype) in place by the step d.
         *
         * @param iteration the 0-based iteration k (the learning rate &gamma;_k and Adam's bias correction use it)
         */
        void apply(INDArray gradient, long iteration);

        /**
         * As {@link #apply(INDArray, long)}, with what a rule that looks beyond the gradient needs (the
         * parameters for LARS, per-sample gradient norms for CLARS). The optimizers call this form;
         * the default ignores the context.
         */
        default void apply(INDArray gradient, Context context) {
            apply(gradient, context.iteration());
        }

        /**
         * The arrays that hold this state (momentum, Adam's moments), for checkpoints: a checkpoint
         * saves copies, a resume writes saved values into them in place. Default: none (a state
         * that keeps values elsewhere is not restored by a resume).
         */
        default java.util.List<INDArray> stateArrays() {
            return java.util.List.of();
        }
    }

    /**
     * What an optimizer knows at a local step besides the gradient. Immutable view; the arrays must
     * not be modified.
     *
     * @param parameters          this rank's current parameters x_i (the flat vector the step applies to)
     * @param iteration           the 0-based iteration k
     * @param sampleGradientNorms per parameter block, the mean over the step's sample subset J of the
     *                            per-sample gradient norms (1/|J|) &Sigma;_{j&isin;J} ‖&nabla;_b f_j(x_i)‖&#8322;, when the
     *                            updater asked for them ({@link #sampleGradientsPerStep()}) and the caller
     *                            computed them; otherwise null
     */
    public record Context(INDArray parameters, long iteration, double[] sampleGradientNorms) {
    }

    /** Plain SGD, d = learningRate * g. */
    public static LocalUpdater sgd(double learningRate) {
        return sgd(LearningRateSchedule.constant(learningRate));
    }

    /** Plain SGD with a schedule, d = &gamma;_k g. */
    public static LocalUpdater sgd(LearningRateSchedule schedule) {
        return new BuiltIn(Kind.SGD, schedule, 0, 0, 0, 0);
    }

    /** Heavy-ball momentum: v = momentum * v + g, d = learningRate * v. */
    public static LocalUpdater momentum(double learningRate, double momentum) {
        return momentum(LearningRateSchedule.constant(learningRate), momentum);
    }

    /** Heavy-ball momentum with a schedule: v = momentum * v + g, d = &gamma;_k v. */
    public static LocalUpdater momentum(LearningRateSchedule schedule, double momentum) {
        return new BuiltIn(Kind.MOMENTUM, schedule, momentum, 0, 0, 0);
    }

    /** Nesterov momentum as ND4J's {@code Nesterovs(learningRate, momentum)}. */
    public static LocalUpdater nesterov(double learningRate, double momentum) {
        return nesterov(LearningRateSchedule.constant(learningRate), momentum);
    }

    /** Nesterov momentum as ND4J's {@code Nesterovs} with the learning-rate schedule. */
    public static LocalUpdater nesterov(LearningRateSchedule schedule, double momentum) {
        return new BuiltIn(Kind.NESTEROV, schedule, momentum, 0, 0, 0);
    }

    /** Adam as ND4J's {@code Adam(learningRate, beta1, beta2, epsilon)}; ND4J's defaults are 0.9, 0.999, 1e-8. */
    public static LocalUpdater adam(double learningRate, double beta1, double beta2, double epsilon) {
        return adam(LearningRateSchedule.constant(learningRate), beta1, beta2, epsilon);
    }

    /** Adam as ND4J's {@code Adam} with the learning-rate schedule. */
    public static LocalUpdater adam(LearningRateSchedule schedule, double beta1, double beta2, double epsilon) {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(epsilon > 0)) {
            throw new IllegalArgumentException("adam needs beta1, beta2 in [0, 1) and epsilon > 0, got "
                    + beta1 + ", " + beta2 + ", " + epsilon);
        }
        return new BuiltIn(Kind.ADAM, schedule, 0, beta1, beta2, epsilon);
    }

    /**
     * The local updater that steps as DL4J's {@code updater} does, for the updaters with a
     * counterpart here: {@code Sgd} &rarr; {@link #sgd}, {@code Nesterovs} &rarr; {@link #nesterov},
     * {@code Adam} &rarr; {@link #adam}, each with a constant learning rate (and momentum).
     *
     * @param dl4j a DL4J/ND4J updater configuration
     * @throws IllegalArgumentException naming the updater if it has no counterpart (e.g. {@code NoOp},
     *         {@code RmsProp}, {@code AdaGrad}, {@code Nadam}) or uses a learning-rate or momentum schedule (ND4J's
     *         {@code ISchedule}s count in DL4J's iterations and epochs; name a {@link LearningRateSchedule} instead)
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
        throw new IllegalArgumentException("DL4J updater " + dl4j + " uses a schedule, which is not mapped: "
                + "give the local updater a LearningRateSchedule instead (momentum schedules are not supported)");
    }

    /** The built-in updaters; their arithmetic is that of the closed set of earlier versions, bit for bit. */
    private static final class BuiltIn extends LocalUpdater {
        private final Kind kind;
        private final double momentum;
        private final double beta1;
        private final double beta2;
        private final double epsilon;

        BuiltIn(Kind kind, LearningRateSchedule schedule, double momentum, double beta1, double beta2, double epsilon) {
            super(schedule);
            if (!(momentum >= 0 && momentum < 1)) {
                throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
            }
            this.kind = kind;
            this.momentum = momentum;
            this.beta1 = beta1;
            this.beta2 = beta2;
            this.epsilon = epsilon;
        }

        @Override
        public double momentum() {
            return momentum;
        }

        @Override
        public State newState(ParameterBlocks blocks, DataType dtype) {
            Objects.requireNonNull(blocks, "blocks");
            Objects.requireNonNull(dtype, "dtype");
            long numParams = blocks.totalLength();
            return kind == Kind.MOMENTUM ? new HeavyBall(numParams, dtype) : new Nd4jState(nd4jConfig(), numParams, dtype);
        }

        private IUpdater nd4jConfig() {
            LearningRateSchedule s = schedule();
            double lr = learningRate();
            switch (kind) {
                case SGD:
                    return s.isConstant() ? new Sgd(lr) : new Sgd(new Nd4jSchedule(s));
                case NESTEROV:
                    return s.isConstant() ? new Nesterovs(lr, momentum) : new Nesterovs(new Nd4jSchedule(s), momentum);
                case ADAM:
                    return s.isConstant() ? new Adam(lr, beta1, beta2, epsilon)
                            : Adam.builder().learningRateSchedule(new Nd4jSchedule(s)).beta1(beta1).beta2(beta2).epsilon(epsilon).build();
                default:
                    throw new IllegalStateException("no ND4J updater for " + kind);
            }
        }

        private String rate() {
            return schedule().isConstant() ? Double.toString(learningRate()) : "[" + schedule() + "]";
        }

        @Override
        public String toString() {
            switch (kind) {
                case SGD:
                    return "sgd(lr=" + rate() + ")";
                case MOMENTUM:
                case NESTEROV:
                    return kind.name().toLowerCase(java.util.Locale.ROOT) + "(lr=" + rate() + ", momentum=" + momentum + ")";
                default:
                    return "adam(lr=" + rate() + ", beta1=" + beta1 + ", beta2=" + beta2 + ", eps=" + epsilon + ")";
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
                gradient.assign(velocity.mul(learningRate(iteration)).reshape(gradient.shape()));
            }
        }
    }

    /** A {@link LearningRateSchedule} as ND4J's schedule hook (iteration k = ND4J's iteration; epochs unused). */
    private static final class Nd4jSchedule implements ISchedule {
        private static final long serialVersionUID = 1L;
        private final transient LearningRateSchedule schedule;

        Nd4jSchedule(LearningRateSchedule schedule) {
            this.schedule = schedule;
        }

        @Override
        public double valueAt(int iteration, int epoch) {
            return schedule.rate(iteration);
        }

        @Override
        public ISchedule clone() {
            return this;
        }
    }

    private static final class Nd4jState implements State {
        private final GradientUpdater<?> updater;
        private final long numParams;
        private final INDArray view; // the updater's state (null: stateless)

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
            int k = (int) Math.min(iteration, Integer.MAX_VALUE);
            // Nesterov: the same arithmetic as ND4J's op in one native pass (NesterovKernel), where it runs
            if (updater.getConfig() instanceof Nesterovs n
                    && io.bluefog.collectives.engine.NesterovKernel.apply(gradient, view, n.getLearningRate(k, 0),
                            n.currentMomentum(k, 0))) {
                return;
            }
            // ND4J's updaters work on row vectors shaped like DL4J's flattened gradient.
            INDArray row = gradient.rank() == 2 && gradient.rows() == 1 ? gradient : gradient.reshape(1, numParams);
            updater.applyUpdater(row, k, 0);
            if (row != gradient && !row.isView()) {
                gradient.assign(row.reshape(gradient.shape()));
            }
        }
    }
}
