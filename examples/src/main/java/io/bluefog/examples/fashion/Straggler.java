package io.bluefog.examples.fashion;

import io.bluefog.optimizers.dl4j.TrainingListener;
import java.util.Locale;
import picocli.CommandLine;

/**
 * A simulated straggler ({@code --straggler RANK:MILLIS}): rank {@code rank} sleeps
 * {@code delayMillis} after each of its training steps, so that the cost of waiting for a slow rank
 * (synchronous algorithms) or its absence (the asynchronous ones on windows) can be measured.
 *
 * @param rank        the slow rank, &ge; 0
 * @param delayMillis the delay added to each of its steps, in milliseconds, &ge; 0
 */
public record Straggler(int rank, long delayMillis) {
    public Straggler {
        if (rank < 0 || delayMillis < 0) {
            throw new IllegalArgumentException("straggler rank and delay must be >= 0, got " + rank + ":" + delayMillis);
        }
    }

    /**
     * @param spec {@code RANK:MILLIS}, e.g. {@code 1:5}
     * @throws IllegalArgumentException naming the expected form if {@code spec} does not match
     */
    public static Straggler parse(String spec) {
        String[] p = spec == null ? new String[0] : spec.trim().split(":");
        try {
            if (p.length == 2) {
                return new Straggler(Integer.parseInt(p[0].trim()), Long.parseLong(p[1].trim()));
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("--straggler must be RANK:MILLIS (e.g. 1:5), got '" + spec + "'");
    }

    /** @return a listener that delays this rank's steps, or null on the other ranks */
    public TrainingListener listenerFor(int myRank) {
        if (myRank != rank || delayMillis == 0) {
            return null;
        }
        return new TrainingListener() {
            @Override
            public void iterationDone(int epoch, int iteration, int of, double loss) {
                try {
                    Thread.sleep(delayMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%d:%d", rank, delayMillis);
    }

    /** picocli converter of {@code RANK:MILLIS}. */
    public static final class Converter implements CommandLine.ITypeConverter<Straggler> {
        @Override
        public Straggler convert(String value) {
            try {
                return parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
