package io.bluefog.optimizers;

import io.bluefog.optimizers.updaters.LocalUpdater;
import io.bluefog.optimizers.updaters.ParameterBlocks;
import io.bluefog.topology.Topology;
import io.bluefog.topology.dynamic.DynamicTopology;
import io.bluefog.topology.dynamic.Schedules;

import java.util.Objects;

/**
 * Immutable configuration of a {@link DecentralizedOptimizer}: {@link #builder(Algorithm)} for a
 * built-in algorithm, {@link #builder()} for a user's own subclass of {@link DecentralizedOptimizer}
 * (created through an {@link OptimizerFactory}), which names no {@link Algorithm}.
 *
 * <p>Defaults: no algorithm with {@link #builder()}; no local updater: a
 * {@link io.bluefog.optimizers.dl4j.DecentralizedTrainer} then uses the model's own DL4J updater
 * (see {@link LocalUpdater#of(org.nd4j.linalg.learning.config.IUpdater)}), while a
 * {@link DecentralizedOptimizer} created directly on a parameter vector needs one and throws
 * {@link IllegalArgumentException} without it; topology: the job's static topology
 * ({@code BlueFog.mixingTopology()}: the exponential graph unless set, weighted as {@code setTopology} said); communication every step (J = 1);
 * period H = 1 (used by local SGD and Gossip-PGA; a custom optimizer may read it too); parameters broadcast from rank 0 at start.
 *
 * <p>Communication every J steps: at iterations k with (k + 1) mod J = 0 the algorithm mixes; at the
 * others it runs the same update with W = I (a purely local step). Communication rounds are counted
 * separately, and a dynamic topology is evaluated at the round number, so a one-peer schedule visits
 * every peer whatever J is. Local SGD averages globally in every H-th round; Gossip-PGA replaces every
 * H-th round's neighbor average by a global average.
 */
public final class OptimizerConfig {
    private final Algorithm algorithm;
    private final LocalUpdater updater;
    private final ParameterBlocks blocks;
    private final DynamicTopology topology;
    private final int communicationPeriod;
    private final int period;
    private final boolean broadcastAtStart;

    private OptimizerConfig(Builder b) {
        this.algorithm = b.algorithm;
        this.updater = b.updater;
        this.blocks = b.blocks;
        this.topology = b.topology;
        this.communicationPeriod = b.communicationPeriod;
        this.period = b.period;
        this.broadcastAtStart = b.broadcastAtStart;
    }

    /** @return a builder for the built-in {@code algorithm} ({@link DecentralizedOptimizer#create} selects it) */
    public static Builder builder(Algorithm algorithm) {
        return new Builder(Objects.requireNonNull(algorithm, "algorithm"));
    }

    /**
     * @return a builder that names no {@link Algorithm}: for a user's subclass of
     *         {@link DecentralizedOptimizer}, which reads the rest (updater, topology, J, H) from it
     */
    public static Builder builder() {
        return new Builder(null);
    }

    /** @return the built-in algorithm, or null when the configuration names none (a custom optimizer) */
    public Algorithm algorithm() {
        return algorithm;
    }

    /**
     * @return the local updater, or null when the configuration names none (the trainer then uses
     *         the model's own DL4J updater)
     */
    public LocalUpdater updater() {
        return updater;
    }

    /**
     * @return how the parameter vector splits into blocks for the local updater (layer-wise updaters
     *         compute one rate per block), or null: one block (a
     *         {@link io.bluefog.optimizers.dl4j.DecentralizedTrainer} fills in the model's layers)
     */
    public ParameterBlocks blocks() {
        return blocks;
    }

    /** @return the topology schedule, or null for the job's static topology */
    public DynamicTopology topology() {
        return topology;
    }

    /** @return J: the algorithm communicates every J-th iteration */
    public int communicationPeriod() {
        return communicationPeriod;
    }

    /** @return H: local SGD averages globally, and Gossip-PGA replaces gossip by a global average, every H-th round */
    public int period() {
        return period;
    }

    public boolean broadcastAtStart() {
        return broadcastAtStart;
    }

    /** @return a builder holding this configuration */
    public Builder toBuilder() {
        Builder b = new Builder(algorithm);
        b.updater = updater;
        b.blocks = blocks;
        b.topology = topology;
        b.communicationPeriod = communicationPeriod;
        b.period = period;
        b.broadcastAtStart = broadcastAtStart;
        return b;
    }

    @Override
    public String toString() {
        return (algorithm == null ? "custom" : algorithm.toString()) + " " + (updater == null ? "model's updater" : updater.toString())
                + (topology == null ? "" : " topology period " + topology.period())
                + " J=" + communicationPeriod + " H=" + period;
    }

    /** Mutable builder; {@link #build()} validates. */
    public static final class Builder {
        private Algorithm algorithm;
        private LocalUpdater updater;
        private ParameterBlocks blocks;
        private DynamicTopology topology;
        private int communicationPeriod = 1;
        private int period = 1;
        private boolean broadcastAtStart = true;

        private Builder(Algorithm algorithm) {
            this.algorithm = algorithm;
        }

        /** The local updater (default: none, see the class comment). */
        public Builder updater(LocalUpdater updater) {
            this.updater = Objects.requireNonNull(updater, "updater");
            return this;
        }

        /** The parameter blocks the local updater sees (default: none, see {@link OptimizerConfig#blocks()}). */
        public Builder blocks(ParameterBlocks blocks) {
            this.blocks = Objects.requireNonNull(blocks, "blocks");
            return this;
        }

        /** A static topology. */
        public Builder topology(Topology topology) {
            this.topology = Schedules.staticTopology(Objects.requireNonNull(topology, "topology"));
            return this;
        }

        /** A dynamic topology: iteration k's communication round uses {@code schedule.at(round)}. */
        public Builder topology(DynamicTopology schedule) {
            this.topology = Objects.requireNonNull(schedule, "schedule");
            return this;
        }

        /** @param steps J &ge; 1 */
        public Builder communicationPeriod(int steps) {
            if (steps < 1) {
                throw new IllegalArgumentException("communicationPeriod must be >= 1, got " + steps);
            }
            this.communicationPeriod = steps;
            return this;
        }

        /** @param rounds H &ge; 1 */
        public Builder period(int rounds) {
            if (rounds < 1) {
                throw new IllegalArgumentException("period must be >= 1, got " + rounds);
            }
            this.period = rounds;
            return this;
        }

        public Builder broadcastAtStart(boolean broadcast) {
            this.broadcastAtStart = broadcast;
            return this;
        }

        public OptimizerConfig build() {
            return new OptimizerConfig(this);
        }
    }
}
