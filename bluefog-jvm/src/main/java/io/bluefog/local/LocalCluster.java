package io.bluefog.local;

import io.bluefog.BlueFog;
import io.bluefog.BlueFogException;
import io.bluefog.comm.Communicator;
import io.bluefog.config.BlueFogConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The in-JVM transport: runs an n-rank job as n threads of this JVM, each with its own
 * {@link BlueFog} context whose {@link Communicator} (transport name {@code "local"}) has the same
 * semantics as the MPI transport. Used by unit and contract tests and to simulate large worlds
 * (n = 1..64 and more) on one machine.
 *
 * <pre>{@code
 * List<Integer> sizes = LocalCluster.call(4, bf -> bf.size());           // [4, 4, 4, 4]
 * LocalCluster.builder(8).ranksPerMachine(4).timeoutMillis(5_000).build()
 *         .run(bf -> bf.communicator().barrier());
 * }</pre>
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>{@link #run} / {@link #call} start one thread per rank (named {@code bluefog-rank-<r>}),
 *       run the task with that rank's context, close the context, and return when every rank has
 *       returned. Each call of {@code run}/{@code call} is a fresh job (no state is shared between
 *       calls).</li>
 *   <li>If any rank throws, that rank's exception is the job's failure: every rank blocked in (or
 *       later entering) a communication call is released with
 *       {@link io.bluefog.CommunicationException} naming the failed rank, and {@code run}/{@code call}
 *       rethrow the original exception (unchecked ones as they are, with independent failures of
 *       other ranks added as suppressed; checked ones wrapped in a {@link BlueFogException}).</li>
 *   <li>A rank blocked longer than {@link Builder#timeoutMillis(long)} (a peer never made the
 *       matching call) gets {@link io.bluefog.BlueFogTimeoutException}, which then fails the job as
 *       above.</li>
 *   <li>Simulated machines: with {@code ranksPerMachine = k}, ranks {@code 0..k-1} are machine 0,
 *       {@code k..2k-1} machine 1, and so on (mpirun's default by-slot placement); the last machine may
 *       hold fewer ranks. Default: all ranks on one machine.</li>
 *   <li>Collectives combine contributions in rank order, so results are bit-identical from run to
 *       run. Collective calls that disagree across ranks raise
 *       {@link io.bluefog.CollectiveMismatchException} on every rank (the job can continue).</li>
 *   <li>Messages of at most {@link Builder#eagerLimitBytes(int)} bytes are buffered, so their
 *       {@code isend} completes without a matching receive; larger ones complete when received, as
 *       with MPI's rendezvous protocol. Portable programs post receives before waiting on sends.</li>
 * </ul>
 */
public final class LocalCluster {
    /**
     * Default bound on any single blocking wait when neither the builder nor
     * {@code BLUEFOG_TIMEOUT_MILLIS} sets one: generous, so slow CI machines do not trip it.
     */
    public static final long DEFAULT_TIMEOUT_MILLIS = BlueFogConfig.DEFAULT_TIMEOUT_MILLIS;
    /** Default largest message (in bytes) sent eagerly; Open MPI's TCP transport uses 64 KiB too. */
    public static final int DEFAULT_EAGER_LIMIT_BYTES = 64 * 1024;

    private final int size;
    private final int ranksPerMachine;
    private final long timeoutMillis;
    private final int eagerLimitBytes;
    private final BlueFogConfig config;

    private LocalCluster(Builder b) {
        this.size = b.size;
        this.ranksPerMachine = b.ranksPerMachine == 0 ? b.size : b.ranksPerMachine;
        this.config = b.config != null ? b.config : BlueFogConfig.fromEnvironment();
        this.timeoutMillis = b.timeoutMillis > 0 ? b.timeoutMillis : config.timeoutMillis();
        this.eagerLimitBytes = b.eagerLimitBytes;
    }

    /**
     * @param size number of ranks, at least 1
     * @return a builder with the defaults (one machine, settings from
     *         {@link BlueFogConfig#fromEnvironment()}, whose timeout defaults to {@link #DEFAULT_TIMEOUT_MILLIS})
     * @throws IllegalArgumentException if {@code size < 1}
     */
    public static Builder builder(int size) {
        return new Builder(size);
    }

    /**
     * Runs {@code task} on {@code size} ranks with default settings; see {@link #run(RankTask)}.
     *
     * @param size number of ranks (threads), at least 1
     * @param task the body of every rank
     * @throws IllegalArgumentException if {@code size < 1} or {@code task} is null
     */
    public static void run(int size, RankTask task) {
        builder(size).build().run(task);
    }

    /**
     * Runs {@code fn} on {@code size} ranks with default settings; see {@link #call(RankFunction)}.
     *
     * @param <T>  the per-rank result type
     * @param size number of ranks (threads), at least 1
     * @param fn   the body of every rank
     * @return the results in rank order
     * @throws IllegalArgumentException if {@code size < 1} or {@code fn} is null
     */
    public static <T> List<T> call(int size, RankFunction<T> fn) {
        return builder(size).build().call(fn);
    }

    /**
     * The communicator of a one-rank world (what {@code BlueFog.init} uses outside mpirun):
     * collectives are copies/identities, messages to self work; waits are bounded by
     * {@code config.timeoutMillis()}.
     */
    public static Communicator singleRank(BlueFogConfig config) {
        return new LocalCommunicator(new World(1, 1, config.timeoutMillis(), DEFAULT_EAGER_LIMIT_BYTES), 0);
    }

    /** @return the settings every rank's context gets ({@link BlueFog#config()}) */
    public BlueFogConfig config() {
        return config;
    }

    /** @return the number of ranks */
    public int size() {
        return size;
    }

    /** @return ranks per simulated machine */
    public int ranksPerMachine() {
        return ranksPerMachine;
    }

    /** @return the bound on any single blocking wait, in milliseconds */
    public long timeoutMillis() {
        return timeoutMillis;
    }

    /**
     * Runs {@code task} on every rank (one thread each) and waits for all of them.
     *
     * @throws RuntimeException the first failing rank's exception (see the class contract)
     * @throws Error            likewise, e.g. a test assertion failing on some rank
     */
    public void run(RankTask task) {
        if (task == null) {
            throw new IllegalArgumentException("task must not be null");
        }
        call(bf -> {
            task.run(bf);
            return null;
        });
    }

    /**
     * Runs {@code fn} on every rank (one thread each) and returns the results in rank order.
     *
     * @return an unmodifiable list of {@code size()} results (nulls allowed), element r from rank r
     * @throws RuntimeException the first failing rank's exception (see the class contract)
     * @throws Error            likewise, e.g. a test assertion failing on some rank
     */
    public <T> List<T> call(RankFunction<T> fn) {
        if (fn == null) {
            throw new IllegalArgumentException("fn must not be null");
        }
        World world = new World(size, ranksPerMachine, timeoutMillis, eagerLimitBytes);
        Object[] results = new Object[size];
        Throwable[] thrown = new Throwable[size];
        List<Thread> threads = new ArrayList<>(size);
        for (int r = 0; r < size; r++) {
            int rank = r;
            Thread t = new Thread(() -> {
                try (BlueFog bf = BlueFog.of(new LocalCommunicator(world, rank), config)) {
                    results[rank] = fn.apply(bf);
                    world.exited(rank);
                } catch (Throwable e) {
                    thrown[rank] = e;
                    world.fail(rank, e);
                }
            }, "bluefog-rank-" + rank);
            // Daemon: a rank stuck in user code must not keep the JVM (e.g. a test runner) alive.
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
        boolean interrupted = false;
        for (Thread t : threads) {
            while (true) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    // Release the ranks and keep joining: they end promptly once the world failed.
                    interrupted = true;
                    world.fail(-1, e);
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        World.Failure failure = world.failure();
        if (failure != null) {
            throw rethrowable(failure, thrown);
        }
        @SuppressWarnings("unchecked")
        List<T> list = (List<T>) Collections.unmodifiableList(Arrays.asList(results));
        return list;
    }

    /** The original failure, with other ranks' independent failures (not caused by it) suppressed. */
    private static RuntimeException rethrowable(World.Failure failure, Throwable[] thrown) {
        Throwable original = failure.cause();
        for (int r = 0; r < thrown.length; r++) {
            Throwable t = thrown[r];
            if (t != null && r != failure.rank() && !causedBy(t, original)) {
                original.addSuppressed(t);
            }
        }
        if (original instanceof RuntimeException re) {
            return re;
        }
        if (original instanceof Error err) {
            throw err;
        }
        return new BlueFogException("rank " + failure.rank() + " failed: " + original, original);
    }

    private static boolean causedBy(Throwable t, Throwable original) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c == original) {
                return true;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return false;
    }

    /** Settings of a {@link LocalCluster}; all optional except the size. */
    public static final class Builder {
        private final int size;
        private int ranksPerMachine;
        private long timeoutMillis;
        private int eagerLimitBytes = DEFAULT_EAGER_LIMIT_BYTES;
        private BlueFogConfig config;

        private Builder(int size) {
            if (size < 1) {
                throw new IllegalArgumentException("size = " + size + " must be at least 1");
            }
            this.size = size;
        }

        /**
         * @param ranksPerMachine ranks per simulated machine, 1..size (the last machine may hold fewer)
         * @throws IllegalArgumentException if outside 1..size
         */
        public Builder ranksPerMachine(int ranksPerMachine) {
            if (ranksPerMachine < 1 || ranksPerMachine > size) {
                throw new IllegalArgumentException("ranksPerMachine = " + ranksPerMachine + " must be in 1.." + size);
            }
            this.ranksPerMachine = ranksPerMachine;
            return this;
        }

        /**
         * @param timeoutMillis bound on any single blocking wait, in milliseconds, &gt; 0; overrides
         *                      the config's {@code BLUEFOG_TIMEOUT_MILLIS}
         * @throws IllegalArgumentException if not positive
         */
        public Builder timeoutMillis(long timeoutMillis) {
            if (timeoutMillis <= 0) {
                throw new IllegalArgumentException("timeoutMillis = " + timeoutMillis + " must be positive");
            }
            this.timeoutMillis = timeoutMillis;
            return this;
        }

        /**
         * @param eagerLimitBytes largest message sent without waiting for its receive, &ge; 0 (0: every
         *                        {@code isend} waits for its matching receive)
         * @throws IllegalArgumentException if negative
         */
        public Builder eagerLimitBytes(int eagerLimitBytes) {
            if (eagerLimitBytes < 0) {
                throw new IllegalArgumentException("eagerLimitBytes = " + eagerLimitBytes + " must be >= 0");
            }
            this.eagerLimitBytes = eagerLimitBytes;
            return this;
        }

        /**
         * @param config settings given to every rank's context (timeline prefix, fusion threshold,
         *               timeout unless {@link #timeoutMillis(long)} is set); default
         *               {@link BlueFogConfig#fromEnvironment()} read at {@link #build()}
         */
        public Builder config(BlueFogConfig config) {
            if (config == null) {
                throw new IllegalArgumentException("config must not be null");
            }
            this.config = config;
            return this;
        }

        /**
         * @return the cluster; it can run any number of jobs, one after another or concurrently
         * @throws io.bluefog.ConfigurationException if no config was given and a {@code BLUEFOG_*}
         *                                           setting of the environment is invalid
         */
        public LocalCluster build() {
            return new LocalCluster(this);
        }
    }
}
