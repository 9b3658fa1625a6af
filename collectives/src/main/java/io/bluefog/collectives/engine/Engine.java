package io.bluefog.collectives.engine;

import io.bluefog.BlueFogException;
import io.bluefog.BlueFogTimeoutException;
import io.bluefog.CollectiveMismatchException;
import io.bluefog.CommunicationException;
import io.bluefog.comm.Communicator;
import io.bluefog.timeline.Timeline;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The communication thread of one rank. Callers enqueue {@link Op}s; the thread takes them in call
 * order, agrees on each batch with the other ranks ({@link Coordinator}), and executes it
 * ({@link Executor}), so that the caller can compute while data moves.
 *
 * <p>Blocking calls made while nothing is queued or executing run on the caller's own thread
 * instead ({@link #runInCallerOrSubmit}): handing an operation to another thread and waking the
 * caller afterwards costs two thread wake-ups, which on a loaded machine is more than a small
 * exchange takes. Order is kept: the decision is taken under the engine's monitor, together with
 * every enqueue, and execution (all transport calls) is serialized by one lock, as the
 * Communicator SPI asks of collective methods.
 *
 * <p>Failure model: only a {@link CollectiveMismatchException} (a disagreement every rank detected
 * alike: the coordinator's verdict, an inconsistent send/receive set, a disagreeing neighbor header
 * with negotiation skipped) fails just that operation, and the engine carries on. Anything else
 * (an exception raised inside an operation on this rank, a timeout, a transport error) leaves the
 * ranks out of step, so the engine fails the operation, every queued operation and every later
 * submission. An exception raised on this rank alone (anything but a timeout or another rank's
 * failure) is also announced to every other rank ({@link PeerFailures}): their waits end at once
 * with a {@link CommunicationException} naming this rank and the cause, instead of a timeout.
 * The caller of the failed operation gets the original exception.
 */
public final class Engine implements AutoCloseable {
    /** Timeline lane of the collectives. */
    public static final String TIMELINE_LANE = "collectives";
    private static final long IDLE_PARK_NANOS = 50_000_000;
    /**
     * The thread ends after this long without work (and frees the pooled buffers); the next call
     * starts a new one. So an instance that is never closed keeps neither a thread nor off-heap memory.
     */
    private static final long IDLE_EXIT_NANOS = 10_000_000_000L;

    // Guarded by "this".
    private final ArrayDeque<Op> queue = new ArrayDeque<>();
    private boolean threadBusy;   // the thread holds operations (pending or executing)
    private boolean callerActive; // a caller is executing its own operation
    private boolean closing;
    private long submitted;
    private Thread thread; // null while no thread runs
    private long lastSubmissionNanos = System.nanoTime();

    private final List<Op> pending = new ArrayList<>(); // the thread's
    private final ReentrantLock executing = new ReentrantLock();
    private final Coordinator coordinator;
    private final Executor executor;
    private final int rank;
    private final Timeline timeline;
    private final boolean skipNegotiation;
    private volatile BlueFogException broken;
    private volatile long executedOperations;
    private volatile long executedBatches;
    private volatile long fusedOperations;
    // Written only by the thread that holds "executing".
    private volatile long negotiateNanos;
    private volatile long executeNanos;

    /**
     * @param fusionThresholdBytes largest fused message (see {@code CollectivesConfig})
     * @param timeoutMillis        how long to wait for peers before a timeout error
     * @param pipelineChunkBytes   chunk of a pipelined neighborAllreduce (see {@code CollectivesConfig})
     * @param skipNegotiation      check neighborAllreduce headers between neighbors only (see {@code CollectivesConfig})
     * @param timeline where each coordinator round ({@code negotiate}) and each executed batch
     *                 (named after the operation, {@code xK} when K operations were fused) is
     *                 recorded on lane {@value #TIMELINE_LANE}; {@link Timeline#disabled()} for none
     */
    public Engine(Communicator comm, long fusionThresholdBytes, long timeoutMillis, long pipelineChunkBytes,
            boolean skipNegotiation, Timeline timeline) {
        this(comm, fusionThresholdBytes, timeoutMillis, pipelineChunkBytes, skipNegotiation, timeline, 0);
    }

    /**
     * @param cacheCapacity calls the response cache remembers (Horovod's {@code HOROVOD_CACHE_CAPACITY}):
     *                      a repeated call skips the round through rank 0 (see {@code Coordinator});
     *                      0 disables it. Must be 0 on every rank or on none
     */
    public Engine(Communicator comm, long fusionThresholdBytes, long timeoutMillis, long pipelineChunkBytes,
            boolean skipNegotiation, Timeline timeline, int cacheCapacity) {
        this.timeline = timeline;
        this.skipNegotiation = skipNegotiation;
        this.rank = comm.rank();
        this.executor = new Executor(comm, timeoutMillis, pipelineChunkBytes);
        this.coordinator = new Coordinator(comm, timeoutMillis, fusionThresholdBytes, cacheCapacity, executor.small());
        coordinator.foldWith(executor);
    }

    /** Starts the communication thread if none runs and wakes it. Call under the monitor. */
    private void wake() {
        if (thread == null) {
            thread = new Thread(this::loop, "bluefog-comm-rank-" + rank);
            thread.setDaemon(true);
            thread.start();
        } else {
            LockSupport.unpark(thread);
        }
    }

    /** @return this engine's executor (tests) */
    Executor executor() {
        return executor;
    }

    /** Queues {@code op} for the communication thread; its future completes there. */
    public Op submit(Op op) {
        synchronized (this) {
            if (!admit(op)) {
                return op;
            }
            queue.add(op);
            wake();
        }
        return op;
    }

    /**
     * Executes {@code op} on the calling thread if the engine is idle, else queues it; either way
     * the caller then waits for {@code op.future()}.
     */
    public Op runInCallerOrSubmit(Op op) {
        synchronized (this) {
            if (!admit(op)) {
                return op;
            }
            if (!queue.isEmpty() || threadBusy || callerActive) {
                queue.add(op);
                wake();
                return op;
            }
            callerActive = true;
        }
        List<Op> mine = new ArrayList<>(1);
        mine.add(op);
        executing.lock();
        Waits.WAITING_CALLERS.incrementAndGet(); // the caller waits for its own operation
        try {
            step(mine);
        } finally {
            Waits.WAITING_CALLERS.decrementAndGet();
            executing.unlock();
            synchronized (this) {
                callerActive = false;
                if (!queue.isEmpty()) {
                    wake();
                }
            }
        }
        return op;
    }

    /** Numbers the op; fails it at once if the engine is broken. Call under the monitor. */
    private boolean admit(Op op) {
        if (closing) {
            throw new IllegalStateException("Collectives of rank " + rank + " is closed");
        }
        op.seq = submitted++;
        lastSubmissionNanos = System.nanoTime();
        BlueFogException b = broken;
        if (b != null) {
            op.future.completeExceptionally(new CommunicationException(
                    "rank " + rank + ": collectives failed earlier and cannot continue: " + b.getMessage(), b));
            return false;
        }
        return true;
    }

    private void loop() {
        try {
            while (true) {
                boolean exit;
                synchronized (this) {
                    if (!callerActive) {
                        while (pending.size() < Coordinator.MAX_BATCH && !queue.isEmpty()) {
                            pending.add(queue.poll());
                        }
                    }
                    threadBusy = !pending.isEmpty();
                    boolean idleTooLong = System.nanoTime() - lastSubmissionNanos > IDLE_EXIT_NANOS;
                    exit = (closing || idleTooLong) && !threadBusy && queue.isEmpty() && !callerActive;
                    if (exit) {
                        thread = null; // the next submission starts a new thread
                    }
                }
                if (exit) {
                    return;
                }
                if (pending.isEmpty()) {
                    idle();
                    continue;
                }
                executing.lock();
                try {
                    if (broken != null) {
                        failAll(pending, broken);
                    } else {
                        step(pending);
                    }
                } finally {
                    executing.unlock();
                }
            }
        } finally {
            executing.lock();
            try {
                executor.clear();
            } finally {
                executing.unlock();
            }
        }
    }

    /** Training loops call again right away: spin briefly for the next operation, then park. */
    private void idle() {
        long start = System.nanoTime();
        while (System.nanoTime() - start < Waits.SPIN_NANOS) {
            synchronized (this) {
                if (!queue.isEmpty() || closing) {
                    return;
                }
            }
            Thread.onSpinWait();
        }
        LockSupport.parkNanos(IDLE_PARK_NANOS);
        if (Thread.interrupted()) {
            fail(new CommunicationException("rank " + rank + ": communication thread interrupted"));
        }
    }

    /**
     * One coordinator round and the execution of the agreed batch, from the head of {@code ops};
     * with negotiation skipped, a neighborAllreduce at the head runs alone, checked by its neighbors.
     */
    private void step(List<Op> ops) {
        Op first = ops.get(0);
        if (skipNegotiation && Executor.peerCheckable(first)) {
            ops.remove(0);
            List<Op> alone = new ArrayList<>(List.of(first));
            execute(alone, ops, System.nanoTime(), () -> executor.executePeerChecked(first));
            return;
        }
        Coordinator.Verdict v;
        long t0 = System.nanoTime();
        try (Timeline.Span s = timeline.span(TIMELINE_LANE, "negotiate")) {
            v = coordinator.negotiate(ops);
        } catch (RuntimeException e) {
            breakDown(e, List.of(), ops);
            return;
        }
        long t1 = System.nanoTime();
        negotiateNanos += t1 - t0;
        if (v.code() == Coordinator.MISMATCH) {
            first.future.completeExceptionally(new CollectiveMismatchException("rank " + rank + ": " + v.text()));
            ops.remove(0);
            return;
        }
        if (v.code() == Coordinator.TIMEOUT) {
            fail(new BlueFogTimeoutException("rank " + rank + ": " + v.text()), ops);
            return;
        }
        List<Op> batch = new ArrayList<>(ops.subList(0, v.batch()));
        ops.subList(0, v.batch()).clear();
        if (v.early()) {
            execute(batch, ops, t1, () -> executor.executeEarly(first, coordinator.firstDims()));
            return;
        }
        // A batch agreed by the cache round alone: the round carried every rank's first dimension of
        // its first call, which an allgather needs (it then skips its own exchange of them).
        long[] firstDims = v.cached() && batch.size() == 1 ? coordinator.firstDims() : null;
        execute(batch, ops, t1, () -> executor.execute(batch, firstDims));
    }

    /**
     * Runs an agreed batch ({@code work}) with its counters and timeline span, and applies the
     * failure model of the class comment; {@code rest} are the operations still pending behind it.
     */
    private void execute(List<Op> batch, List<Op> rest, long startNanos, Runnable work) {
        Op first = batch.get(0);
        // Counted before execution, which completes the callers' futures.
        executedOperations += batch.size();
        executedBatches++;
        if (batch.size() > 1) {
            fusedOperations += batch.size();
        }
        String name = timeline.isEnabled() ? first.kind.apiName()
                + (batch.size() > 1 ? " x" + batch.size() : first.name != null ? " " + first.name : "") : null;
        try (Timeline.Span s = timeline.span(TIMELINE_LANE, name)) {
            work.run();
            executeNanos += System.nanoTime() - startNanos;
        } catch (CollectiveMismatchException e) {
            // Detected alike on every rank that takes part (with negotiation skipped: on both ends of
            // each disagreeing edge, after the agreeing edges moved their data): the ranks stay in step.
            for (Op op : batch) {
                op.future.completeExceptionally(e);
            }
        } catch (RuntimeException e) {
            breakDown(e, batch, rest);
        }
    }

    /**
     * The failure model's second case: {@code e} ends {@code batch} (whose callers get {@code e}
     * itself), the operations {@code rest} behind it, the queue and every later submission; unless
     * it is a timeout or another rank's failure, the other ranks are told ({@link PeerFailures}).
     */
    private void breakDown(RuntimeException e, List<Op> batch, List<Op> rest) {
        boolean local = !(e instanceof BlueFogTimeoutException || e instanceof PeerFailures.PeerFailureException);
        BlueFogException broke = e instanceof BlueFogException b ? b
                : new CommunicationException("rank " + rank + ": " + e, e);
        if (local) {
            executor.announceFailure(e);
        }
        for (Op op : batch) {
            op.future.completeExceptionally(e);
        }
        fail(broke, rest);
    }

    private void fail(BlueFogException e, List<Op> ops) {
        failAll(ops, e);
        fail(e);
    }

    private void fail(BlueFogException e) {
        broken = e;
        List<Op> queued;
        synchronized (this) {
            queued = new ArrayList<>(queue);
            queue.clear();
        }
        failAll(queued, e);
    }

    private static void failAll(List<Op> ops, BlueFogException cause) {
        for (Op op : ops) {
            op.future.completeExceptionally(cause);
        }
        ops.clear();
    }

    /** Lets queued operations finish, then stops the thread (waits at most {@code timeoutMillis}). */
    public void close(long timeoutMillis) {
        Thread t;
        synchronized (this) {
            closing = true;
            t = thread;
        }
        if (t == null) {
            executing.lock();
            try {
                executor.clear();
            } finally {
                executing.unlock();
            }
            return;
        }
        LockSupport.unpark(t);
        try {
            t.join(timeoutMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (t.isAlive()) {
            t.interrupt();
        }
    }

    @Override
    public void close() {
        close(1000);
    }

    /**
     * @return {operations, batches, fused operations, nanoseconds in header agreement rounds,
     *         nanoseconds executing batches, batches agreed by the response cache alone, of these
     *         the batches whose data travelled with the cache round} so far
     */
    public long[] counters() {
        return new long[] {executedOperations, executedBatches, fusedOperations, negotiateNanos, executeNanos,
            coordinator.cachedBatches(), coordinator.earlyBatches()};
    }

    /**
     * Sets the smallest float allreduce, in bytes, that runs over point-to-point messages
     * ({@link DirectAllreduce}) instead of the transport's allreduce; {@code Long.MAX_VALUE}: never.
     * For tests, which reach the path with small tensors; call before the first operation.
     */
    void directAllreduceMinBytes(long bytes) {
        executing.lock();
        try {
            executor.directAllreduceMinBytes(bytes);
        } finally {
            executing.unlock();
        }
    }

    /**
     * Sets whether large allreduces ({@link DirectAllreduce}) go through memory shared by the
     * ranks ({@link SharedMemoryAllreduce}; every rank must be on one machine) or as messages. For
     * tests, which run both; call before the first operation, alike on every rank.
     */
    void sharedMemoryAllreduce(boolean on) {
        executing.lock();
        try {
            executor.sharedMemoryAllreduce(on);
        } finally {
            executing.unlock();
        }
    }

    /**
     * Sets the smallest single broadcast, in bytes, that runs as a pipelined chain of point-to-point
     * messages ({@link BroadcastOperation#chain}); {@code Long.MAX_VALUE}: never. For tests; call
     * before the first operation.
     */
    void chainBroadcastMinBytes(long bytes) {
        executing.lock();
        try {
            executor.chainBroadcastMinBytes(bytes);
        } finally {
            executing.unlock();
        }
    }

    /** @return true if the communication thread is the caller (blocking calls from it would deadlock) */
    public synchronized boolean isCommunicationThread() {
        return Thread.currentThread() == thread;
    }
}
