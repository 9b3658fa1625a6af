package io.bluefog.examples.cli;

import io.bluefog.BlueFog;
import io.bluefog.local.LocalCluster;
import io.bluefog.local.RankFunction;
import java.util.Collections;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Where an example's ranks run, the options every example shares (a picocli mixin):
 * {@code --transport auto} takes the ranks {@code bfrun}/{@code mpirun} started, or runs one rank
 * alone without them ({@link BlueFog#init}); {@code --transport local} runs {@code --ranks N}
 * ranks as threads of this JVM ({@link LocalCluster}), the embedded default without MPI.
 *
 * <pre>
 * &#64;Mixin TransportOptions where = new TransportOptions(4); // default --ranks
 * ...
 * List&lt;Result&gt; results = where.call(bf -&gt; runRank(bf));
 * </pre>
 *
 * A rank that throws under MPI prints the reason and aborts the whole job (MPI_Abort through
 * {@code Communicator.abort}), so its peers do not wait for it until their collectives time out.
 */
public final class TransportOptions {
    /** Values of {@code --transport} (lower-case on the command line). */
    public enum Transport {
        /** The MPI ranks of bfrun/mpirun, else one rank of this process. */
        AUTO,
        /** {@code --ranks} threads of this JVM. */
        LOCAL;

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    @Option(names = "--transport", description = "${COMPLETION-CANDIDATES}: auto = the MPI ranks of bfrun/mpirun, else"
            + " one rank; local = --ranks threads of this JVM (default: ${DEFAULT-VALUE})")
    Transport transport = Transport.AUTO;

    @Option(names = "--ranks", description = "number of ranks with --transport local (default: ${DEFAULT-VALUE})")
    int ranks;

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    /** @param defaultRanks the example's default for {@code --ranks} */
    public TransportOptions(int defaultRanks) {
        this.ranks = defaultRanks;
    }

    /**
     * A usage error found alike on every rank of an MPI job (from the same options and world size),
     * on a rank other than 0: it ends this rank with the usage exit status like rank 0's error, but
     * is not printed, so that the job prints the line once.
     */
    public static final class SilentUsageError extends CommandLine.ParameterException {
        private static final long serialVersionUID = 1L;

        SilentUsageError(CommandLine.ParameterException e) {
            super(e.getCommandLine(), e.getMessage(), e);
        }
    }

    /**
     * The usage-error handler of an example: prints {@code <name>: <message>} once (nothing for a
     * {@link SilentUsageError}) and returns 2, BSD's {@code EX_USAGE}-style status picocli uses.
     */
    public static CommandLine.IParameterExceptionHandler oneLineUsageErrors() {
        return (e, args) -> {
            if (!(e instanceof SilentUsageError)) {
                e.getCommandLine().getErr().println(e.getCommandLine().getCommandName() + ": " + e.getMessage());
            }
            return 2;
        };
    }

    /** @return the {@code --ranks} option (the number of ranks with {@code --transport local}) */
    public int ranks() {
        return ranks;
    }

    /** @return whether the ranks are threads of this JVM ({@code --transport local}) */
    public boolean local() {
        return transport == Transport.LOCAL;
    }

    /**
     * Checks the options without running anything.
     *
     * @throws CommandLine.ParameterException naming the option: fewer than one rank (an unknown
     *                                        transport is refused by picocli while parsing)
     */
    public void validate() {
        if (ranks < 1) {
            throw new CommandLine.ParameterException(command.commandLine(), "--ranks must be >= 1, got " + ranks);
        }
    }

    /**
     * Runs {@code rankMain} on every rank ({@link #validate()} first).
     *
     * @param localTimeoutMillis with {@code local}: how long a rank may block in one communication
     *                           call before the job fails (0: LocalCluster's default)
     * @return with {@code local}, every rank's result in rank order; under MPI, this process's rank's alone
     */
    public <T> List<T> call(long localTimeoutMillis, RankFunction<T> rankMain) throws Exception {
        validate();
        if (local()) {
            LocalCluster.Builder b = LocalCluster.builder(ranks);
            if (localTimeoutMillis > 0) {
                b.timeoutMillis(localTimeoutMillis);
            }
            return b.build().call(rankMain);
        }
        try (BlueFog bf = BlueFog.init(new String[0])) {
            try {
                return Collections.singletonList(rankMain.apply(bf));
            } catch (CommandLine.ParameterException e) {
                // A usage error every rank reached alike before communicating: no abort (no rank
                // waits for another), every rank exits with the usage status, only rank 0 prints.
                throw bf.rank() == 0 ? e : new SilentUsageError(e);
            } catch (Exception e) {
                if (bf.size() > 1) {
                    // End every rank now, with the reason, instead of leaving the peers to time out.
                    System.err.println(command.name() + ": rank " + bf.rank() + ": " + e.getMessage());
                    bf.communicator().abort(1, e);
                }
                throw e;
            }
        }
    }

    /** {@link #call(long, RankFunction)} with LocalCluster's default timeout. */
    public <T> List<T> call(RankFunction<T> rankMain) throws Exception {
        return call(0, rankMain);
    }
}
