package io.bluefog.examples.fashion;

import io.bluefog.optimizers.updaters.LearningRateSchedule;
import picocli.CommandLine;

import java.util.Locale;

/**
 * {@code --lr-schedule}: the shape of the learning-rate schedule of fashion-mnist, in epochs;
 * {@link #schedule} turns it into a {@link LearningRateSchedule} in steps once the steps per epoch
 * are known. The decay runs over the epochs after the warmup ({@code --warmup-epochs}).
 * <ul>
 *   <li>{@code constant}: the rate throughout;</li>
 *   <li>{@code step:<epochs>:<factor>}: multiplied by factor every {@code epochs} epochs;</li>
 *   <li>{@code poly:<power>}: polynomial decay to 0 at the end of training;</li>
 *   <li>{@code cosine}: cosine decay to 0 at the end of training.</li>
 * </ul>
 *
 * @param kind   the decay
 * @param epochs step: the period in epochs (&gt; 0)
 * @param value  step: the factor in (0, 1]; poly: the power (&gt; 0)
 */
record LearningRateOption(Kind kind, double epochs, double value) {
    /** The decays of {@code --lr-schedule}. */
    enum Kind { CONSTANT, STEP, POLY, COSINE }

    /**
     * @throws IllegalArgumentException naming the accepted forms when {@code spec} is not one of them
     */
    static LearningRateOption parse(String spec) {
        String s = spec == null ? "" : spec.trim().toLowerCase(Locale.ROOT);
        String[] parts = s.split(":", -1);
        try {
            switch (parts[0]) {
                case "constant":
                    if (parts.length == 1) {
                        return new LearningRateOption(Kind.CONSTANT, 0, 0);
                    }
                    break;
                case "cosine":
                    if (parts.length == 1) {
                        return new LearningRateOption(Kind.COSINE, 0, 0);
                    }
                    break;
                case "poly":
                    if (parts.length == 2) {
                        double power = Double.parseDouble(parts[1]);
                        if (power > 0 && !Double.isInfinite(power)) {
                            return new LearningRateOption(Kind.POLY, 0, power);
                        }
                    }
                    break;
                case "step":
                    if (parts.length == 3) {
                        double epochs = Double.parseDouble(parts[1]);
                        double factor = Double.parseDouble(parts[2]);
                        if (epochs > 0 && !Double.isInfinite(epochs) && factor > 0 && factor <= 1) {
                            return new LearningRateOption(Kind.STEP, epochs, factor);
                        }
                    }
                    break;
                default:
                    break;
            }
        } catch (NumberFormatException e) {
            // reported below with the accepted forms
        }
        throw new IllegalArgumentException("learning-rate schedule must be constant, cosine, poly:<power > 0> or "
                + "step:<epochs > 0>:<factor in (0, 1]>, got '" + spec + "'");
    }

    /**
     * @param rate          the base (peak) rate
     * @param stepsPerEpoch optimizer steps per epoch (&ge; 1)
     * @param totalEpochs   epochs of the run
     * @param warmupEpochs  linear warmup length in epochs (&ge; 0), rounded to whole steps
     * @return the schedule in steps: warmup, then this decay over the remaining steps
     */
    LearningRateSchedule schedule(double rate, long stepsPerEpoch, int totalEpochs, double warmupEpochs) {
        long warmup = Math.round(warmupEpochs * stepsPerEpoch);
        long decaySteps = Math.max(1, totalEpochs * stepsPerEpoch - warmup);
        LearningRateSchedule decay = switch (kind) {
            case CONSTANT -> LearningRateSchedule.constant(rate);
            case STEP -> LearningRateSchedule.step(rate, Math.max(1, Math.round(epochs * stepsPerEpoch)), value);
            case POLY -> LearningRateSchedule.polynomial(rate, 0, decaySteps, value);
            case COSINE -> LearningRateSchedule.cosine(rate, 0, decaySteps);
        };
        return decay.withLinearWarmup(warmup);
    }

    @Override
    public String toString() {
        return switch (kind) {
            case CONSTANT -> "constant";
            case COSINE -> "cosine";
            case POLY -> "poly:" + value;
            case STEP -> "step:" + epochs + ":" + value;
        };
    }

    /** picocli converter: {@link #parse}, whose error becomes picocli's usage error. */
    static final class Converter implements CommandLine.ITypeConverter<LearningRateOption> {
        @Override
        public LearningRateOption convert(String value) {
            try {
                return parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
