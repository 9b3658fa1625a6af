package io.bluefog.collectives.pipeline;

import io.bluefog.BlueFogTimeoutException;
import io.bluefog.comm.Communicator;
import io.bluefog.comm.Request;
import java.nio.DoubleBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Point-to-point traffic between consecutive pipeline stages: activations flow from stage s to
 * stage s + 1, error gradients (∂f/∂h) from stage s + 1 back to stage s, over the
 * {@link Communicator}'s nonblocking {@code isend}/{@code irecv} (so on every transport: the in-JVM
 * {@code LocalCluster} and Open MPI). One channel per rank; stage s runs on rank
 * {@code stageRanks[s]}.
 *
 * <h2>Messages</h2>
 * Each tensor travels as two messages: a header of {@link #HEADER_LONGS} int64 (direction,
 * micro-batch, the sender's logical stage-step, the number of dimensions, the dimensions) with tag
 * {@link #TAG_ACTIVATION_HEADER} or {@link #TAG_GRADIENT_HEADER}, then the float64 elements in
 * row-major order with tag {@link #TAG_ACTIVATION} or {@link #TAG_GRADIENT}. The receiver reads the
 * header first, checks it against what its schedule expects and only then posts the data receive
 * with the announced element count. Messages between two ranks with one tag keep their order
 * (the Communicator's non-overtaking rule), so micro-batches arrive in the order they were sent.
 * Send and receive buffers are direct native-order buffers taken from a pool and returned once the
 * transfer completed.
 *
 * <h2>Contract</h2>
 * Only the two stages of a transfer take part. Every {@link #sendActivation} on stage s must be
 * matched by a {@link #receiveActivation} on stage s + 1 for the same micro-batch, in the same
 * order; likewise {@link #sendGradient} on s + 1 and {@link #receiveGradient} on s. A received
 * header whose shape differs from the receiver's expected shape, or whose micro-batch or direction
 * differs, raises {@link StageMismatchException} on the receiving stage naming both stages (the
 * sender then fails when the job ends: the in-JVM transport releases it with
 * {@link io.bluefog.CommunicationException}, mpirun aborts the job). Every wait has the deadline
 * {@code timeoutMillis}; a receive or send that does not complete in time raises
 * {@link BlueFogTimeoutException} naming the stage and rank waited for.
 *
 * <p>Not thread-safe: one thread per rank drives the channel.
 */
public final class StageChannel {
    /** Tags of the pipeline's messages, apart from the collectives engine's (1..7). */
    public static final int TAG_ACTIVATION_HEADER = 100;
    public static final int TAG_ACTIVATION = 101;
    public static final int TAG_GRADIENT_HEADER = 102;
    public static final int TAG_GRADIENT = 103;
    /** Largest number of dimensions of a stage tensor (a batch of 3-D images with channels needs 4). */
    public static final int MAX_RANK = 6;
    /** int64 words in a header: direction, micro-batch, step, number of dimensions, dimensions. */
    public static final int HEADER_LONGS = 4 + MAX_RANK;

    /** Which way a tensor flows. */
    public enum Direction {
        /** forward, stage s to s + 1 */
        ACTIVATION,
        /** backward, stage s + 1 to s */
        GRADIENT
    }

    /** A received tensor and the logical stage-step at which the sender finished it. */
    public record Received(StageTensor tensor, long step) {
    }

    private final Communicator comm;
    private final int[] stageRanks;
    private final int stage;
    private final long timeoutMillis;
    private final DirectBufferPool pool = new DirectBufferPool();
    private final List<OutgoingSend> sends = new ArrayList<>();

    /**
     * @param comm          this rank's communicator
     * @param stageRanks    the rank of each stage, in stage order; distinct, each in [0, size);
     *                      must contain {@code comm.rank()}; identical on every rank of the pipeline
     * @param timeoutMillis deadline of every wait (use {@code BlueFogConfig.timeoutMillis()}), &gt; 0
     * @throws IllegalArgumentException if a rank is out of range or repeated, this rank holds no
     *                                  stage, or the timeout is not positive
     */
    public StageChannel(Communicator comm, int[] stageRanks, long timeoutMillis) {
        if (comm == null || stageRanks == null) {
            throw new IllegalArgumentException("comm and stageRanks must not be null");
        }
        if (timeoutMillis <= 0) {
            throw new IllegalArgumentException("timeoutMillis = " + timeoutMillis + " must be positive");
        }
        if (stageRanks.length == 0) {
            throw new IllegalArgumentException("stageRanks must name at least one stage");
        }
        int found = -1;
        for (int s = 0; s < stageRanks.length; s++) {
            int r = stageRanks[s];
            if (r < 0 || r >= comm.size()) {
                throw new IllegalArgumentException("stage " + s + " has rank " + r + ", outside [0, " + comm.size() + ")");
            }
            for (int t = 0; t < s; t++) {
                if (stageRanks[t] == r) {
                    throw new IllegalArgumentException("stages " + t + " and " + s + " both have rank " + r);
                }
            }
            if (r == comm.rank()) {
                found = s;
            }
        }
        if (found < 0) {
            throw new IllegalArgumentException("rank " + comm.rank() + " holds no stage of " + Arrays.toString(stageRanks));
        }
        this.comm = comm;
        this.stageRanks = stageRanks.clone();
        this.stage = found;
        this.timeoutMillis = timeoutMillis;
    }

    /** Stage s on rank s, for s = 0..size-1. */
    public static StageChannel oneStagePerRank(Communicator comm, long timeoutMillis) {
        int[] ranks = new int[comm.size()];
        Arrays.setAll(ranks, i -> i);
        return new StageChannel(comm, ranks, timeoutMillis);
    }

    /** @return this rank's stage index, 0 &le; stage &lt; {@link #stages()} */
    public int stage() {
        return stage;
    }

    /** @return the number of stages Δ */
    public int stages() {
        return stageRanks.length;
    }

    /** @return the rank of stage {@code s} */
    public int rankOf(int s) {
        return stageRanks[s];
    }

    public long timeoutMillis() {
        return timeoutMillis;
    }

    /** @return direct buffers allocated by this channel's pool so far (reuse keeps this flat) */
    public long bufferAllocations() {
        return pool.allocations();
    }

    /**
     * Starts sending micro-batch {@code microBatch}'s activation to stage {@code stage() + 1};
     * returns at once (the tensor is copied into a pooled buffer).
     *
     * @param step the logical stage-step at which this stage finished the tensor (travels in the header)
     * @throws IllegalStateException if this is the last stage
     */
    public void sendActivation(int microBatch, long step, StageTensor tensor) {
        if (stage + 1 >= stages()) {
            throw new IllegalStateException("stage " + stage + " is the last of " + stages() + ": no next stage to send an activation to");
        }
        send(Direction.ACTIVATION, stage + 1, microBatch, step, tensor);
    }

    /**
     * Starts sending micro-batch {@code microBatch}'s error gradient ∂f/∂(input of this stage) to
     * stage {@code stage() - 1}; returns at once.
     *
     * @throws IllegalStateException if this is stage 0
     */
    public void sendGradient(int microBatch, long step, StageTensor tensor) {
        if (stage == 0) {
            throw new IllegalStateException("stage 0 has no previous stage to send a gradient to");
        }
        send(Direction.GRADIENT, stage - 1, microBatch, step, tensor);
    }

    /**
     * Receives micro-batch {@code microBatch}'s activation from stage {@code stage() - 1}.
     *
     * @param expectedShape the shape this stage accepts, or null to accept any
     * @throws IllegalStateException     if this is stage 0
     * @throws StageMismatchException    if the sender's shape, micro-batch or direction differs
     * @throws BlueFogTimeoutException   if nothing arrives within the timeout
     */
    public Received receiveActivation(int microBatch, long[] expectedShape) {
        if (stage == 0) {
            throw new IllegalStateException("stage 0 has no previous stage to receive an activation from");
        }
        return receive(Direction.ACTIVATION, stage - 1, microBatch, expectedShape);
    }

    /**
     * Receives micro-batch {@code microBatch}'s error gradient ∂f/∂(output of this stage) from stage
     * {@code stage() + 1}.
     *
     * @param expectedShape the shape of this stage's output, or null to accept any
     * @throws IllegalStateException   if this is the last stage
     * @throws StageMismatchException  if the sender's shape, micro-batch or direction differs
     * @throws BlueFogTimeoutException if nothing arrives within the timeout
     */
    public Received receiveGradient(int microBatch, long[] expectedShape) {
        if (stage + 1 >= stages()) {
            throw new IllegalStateException("stage " + stage + " is the last of " + stages() + ": no next stage to receive a gradient from");
        }
        return receive(Direction.GRADIENT, stage + 1, microBatch, expectedShape);
    }

    /**
     * Waits until every send started so far completed (the receivers took them), returning their
     * buffers to the pool.
     *
     * @throws BlueFogTimeoutException if a receiver does not take its message within the timeout
     */
    public void awaitSends() {
        for (OutgoingSend s : sends) {
            s.await();
        }
        sends.clear();
    }

    private String describe(int s) {
        return "stage " + s + " (rank " + stageRanks[s] + ")";
    }

    private void send(Direction dir, int toStage, int microBatch, long step, StageTensor tensor) {
        if (microBatch < 0) {
            throw new IllegalArgumentException("microBatch = " + microBatch + " must be >= 0");
        }
        reapCompletedSends();
        long[] shape = tensor.shape();
        LongBuffer header = pool.longs(HEADER_LONGS);
        header.put(0, dir.ordinal());
        header.put(1, microBatch);
        header.put(2, step);
        header.put(3, shape.length);
        for (int i = 0; i < MAX_RANK; i++) {
            header.put(4 + i, i < shape.length ? shape[i] : 0);
        }
        DoubleBuffer data = pool.doubles(tensor.size());
        data.put(tensor.values()).flip();
        int dest = stageRanks[toStage];
        boolean act = dir == Direction.ACTIVATION;
        Request h = comm.isend(header, dest, act ? TAG_ACTIVATION_HEADER : TAG_GRADIENT_HEADER);
        Request d = comm.isend(data, dest, act ? TAG_ACTIVATION : TAG_GRADIENT);
        sends.add(new OutgoingSend(h, d, header, data,
                (act ? "the activation" : "the error gradient") + " of micro-batch " + microBatch + " from "
                        + describe(stage) + " to be received by " + describe(toStage)));
    }

    private void reapCompletedSends() {
        for (Iterator<OutgoingSend> it = sends.iterator(); it.hasNext(); ) {
            OutgoingSend s = it.next();
            if (s.header.test() && s.data.test()) {
                s.await();
                it.remove();
            }
        }
    }

    private Received receive(Direction dir, int fromStage, int microBatch, long[] expectedShape) {
        reapCompletedSends();
        boolean act = dir == Direction.ACTIVATION;
        String what = (act ? "activation" : "error gradient") + " of micro-batch " + microBatch;
        int source = stageRanks[fromStage];
        LongBuffer header = pool.longs(HEADER_LONGS);
        try {
            waitFor(comm.irecv(header, source, act ? TAG_ACTIVATION_HEADER : TAG_GRADIENT_HEADER),
                    describe(stage) + " waited " + timeoutMillis + " ms for the " + what + " from " + describe(fromStage));
            long gotDir = header.get(0);
            long gotMicroBatch = header.get(1);
            long step = header.get(2);
            int dims = (int) header.get(3);
            long[] shape = new long[dims];
            for (int i = 0; i < dims; i++) {
                shape[i] = header.get(4 + i);
            }
            if (gotDir != dir.ordinal() || gotMicroBatch != microBatch) {
                throw new StageMismatchException(describe(stage) + " expected the " + what + " from " + describe(fromStage)
                        + " but " + describe(fromStage) + " sent the "
                        + (gotDir == Direction.ACTIVATION.ordinal() ? "activation" : "error gradient")
                        + " of micro-batch " + gotMicroBatch + " (the two stages run different schedules)");
            }
            if (expectedShape != null && !Arrays.equals(expectedShape, shape)) {
                throw new StageMismatchException(describe(stage) + " expects the " + what + " with shape "
                        + Arrays.toString(expectedShape) + " but " + describe(fromStage) + " sent shape " + Arrays.toString(shape));
            }
            long n = 1;
            for (long s : shape) {
                n = Math.multiplyExact(n, s);
            }
            DoubleBuffer data = pool.doubles(Math.toIntExact(n));
            try {
                waitFor(comm.irecv(data, source, act ? TAG_ACTIVATION : TAG_GRADIENT),
                        describe(stage) + " waited " + timeoutMillis + " ms for the data of the " + what + " from " + describe(fromStage));
                double[] values = new double[data.remaining()];
                data.get(values);
                return new Received(new StageTensor(shape, values), step);
            } finally {
                pool.release(data);
            }
        } finally {
            pool.release(header);
        }
    }

    /** Polls {@code r} until it completes or the deadline passes. */
    private void waitFor(Request r, String onTimeout) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        int spins = 0;
        while (!r.test()) {
            if (System.nanoTime() - deadline > 0) {
                throw new BlueFogTimeoutException(onTimeout);
            }
            if (++spins < 200) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(50_000);
            }
        }
        r.waitFor();
    }

    private final class OutgoingSend {
        final Request header;
        final Request data;
        final LongBuffer headerBuffer;
        final DoubleBuffer dataBuffer;
        final String what;
        boolean released;

        OutgoingSend(Request header, Request data, LongBuffer headerBuffer, DoubleBuffer dataBuffer, String what) {
            this.header = header;
            this.data = data;
            this.headerBuffer = headerBuffer;
            this.dataBuffer = dataBuffer;
            this.what = what;
        }

        void await() {
            if (released) {
                return;
            }
            String msg = describe(stage) + " waited " + timeoutMillis + " ms for " + what;
            waitFor(header, msg);
            waitFor(data, msg);
            released = true;
            pool.release(headerBuffer);
            pool.release(dataBuffer);
        }
    }
}
