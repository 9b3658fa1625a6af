package io.bluefog.collectives.engine;

import io.bluefog.BlueFogException;
import io.bluefog.BlueFogTimeoutException;
import io.bluefog.CollectiveMismatchException;
import io.bluefog.CommunicationException;
import io.bluefog.comm.Communicator;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The communication thread of one rank. Callers enqueue {@link Op}s; the thread takes them in call
 * order, agrees on each batch with the other ranks ({@link Coordinator}), and executes it
 * ({@link Executor}), so that the caller can compute while data moves. Every transport call of a
 * rank happens on this one thread, which is what the Communicator SPI asks of collective methods.
 *
 * <p>Failure model: a mismatch that every rank detected in the same round (the coordinator's
 * verdict, an inconsistent send/receive set) fails only that operation and the engine carries on.
 * Anything else (timeouts, transport errors) leaves the ranks out of step, so the engine fails the
 * operation, every queued operation and every later submission.
 */
public final class Engine implements AutoCloseable {
    private final LinkedBlockingQueue<Op> queue = new LinkedBlockingQueue<>();
    private final List<Op> pending = new ArrayList<>();
    private final Coordinator coordinator;
    private final Executor executor;
    private final Thread thread;
    private final int rank;
    private volatile BlueFogException broken;
    private volatile boolean closing;
    private long submitted;
    private volatile long executedOperations;
    private volatile long executedBatches;
    private volatile long fusedOperations;

    public Engine(Communicator comm, long fusionThresholdBytes, long timeoutMillis) {
        this.rank = comm.rank();
        this.coordinator = new Coordinator(comm, timeoutMillis, fusionThresholdBytes);
        this.executor = new Executor(comm, timeoutMillis);
        this.thread = new Thread(this::loop, "bluefog-comm-rank-" + rank);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** Queues {@code op}; its future completes on the communication thread. */
    public synchronized Op submit(Op op) {
        if (closing) {
            throw new IllegalStateException("Collectives of rank " + rank + " is closed");
        }
        op.seq = submitted++;
        BlueFogException b = broken;
        if (b != null) {
            op.future.completeExceptionally(new CommunicationException(
                    "rank " + rank + ": collectives failed earlier and cannot continue: " + b.getMessage(), b));
            return op;
        }
        queue.add(op);
        return op;
    }

    private void loop() {
        try {
            while (true) {
                if (pending.isEmpty()) {
                    Op op = queue.poll(50, TimeUnit.MILLISECONDS);
                    if (op == null) {
                        if (closing && queue.isEmpty()) {
                            return;
                        }
                        continue;
                    }
                    pending.add(op);
                }
                queue.drainTo(pending, Coordinator.MAX_BATCH - pending.size());
                if (broken != null) {
                    failAll(broken);
                    continue;
                }
                step();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failAll(new CommunicationException("rank " + rank + ": communication thread interrupted"));
        } finally {
            executor.clear();
        }
    }

    private void step() {
        Op first = pending.get(0);
        Coordinator.Verdict v;
        try {
            v = coordinator.negotiate(pending);
        } catch (BlueFogException e) {
            fail(e);
            return;
        } catch (RuntimeException e) {
            fail(new CommunicationException("rank " + rank + ": " + e, e));
            return;
        }
        if (v.code() == Coordinator.MISMATCH) {
            first.future.completeExceptionally(new CollectiveMismatchException("rank " + rank + ": " + v.text()));
            pending.remove(0);
            return;
        }
        if (v.code() == Coordinator.TIMEOUT) {
            fail(new BlueFogTimeoutException("rank " + rank + ": " + v.text()));
            return;
        }
        List<Op> batch = new ArrayList<>(pending.subList(0, v.batch()));
        pending.subList(0, v.batch()).clear();
        // Counted before execution, which completes the callers' futures.
        executedOperations += batch.size();
        executedBatches++;
        if (batch.size() > 1) {
            fusedOperations += batch.size();
        }
        try {
            executor.execute(batch);
        } catch (CollectiveMismatchException | IllegalArgumentException e) {
            // Detected identically on every rank before data moved: the ranks stay in step.
            for (Op op : batch) {
                op.future.completeExceptionally(e);
            }
        } catch (BlueFogException e) {
            for (Op op : batch) {
                op.future.completeExceptionally(e);
            }
            fail(e);
        } catch (RuntimeException e) {
            CommunicationException c = new CommunicationException("rank " + rank + ": " + e, e);
            for (Op op : batch) {
                op.future.completeExceptionally(c);
            }
            fail(c);
        }
    }

    private void fail(BlueFogException e) {
        broken = e;
        failAll(e);
    }

    private void failAll(BlueFogException cause) {
        for (Op op : pending) {
            op.future.completeExceptionally(cause);
        }
        pending.clear();
        Op op;
        while ((op = queue.poll()) != null) {
            op.future.completeExceptionally(cause);
        }
    }

    /** Lets queued operations finish, then stops the thread (waits at most {@code timeoutMillis}). */
    public void close(long timeoutMillis) {
        synchronized (this) {
            closing = true;
        }
        try {
            thread.join(timeoutMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            thread.interrupt();
        }
    }

    @Override
    public void close() {
        close(1000);
    }

    /** @return {operations, batches, fused operations} executed so far */
    public long[] counters() {
        return new long[] {executedOperations, executedBatches, fusedOperations};
    }

    /** @return true if the communication thread is the caller (blocking calls from it would deadlock) */
    public boolean isCommunicationThread() {
        return Thread.currentThread() == thread;
    }
}
