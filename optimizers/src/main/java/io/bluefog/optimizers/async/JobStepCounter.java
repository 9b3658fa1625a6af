package io.bluefog.optimizers.async;

import io.bluefog.BlueFog;
import io.bluefog.collectives.Handle;
import io.bluefog.collectives.window.Windows;
import io.bluefog.topology.Topologies;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The job's step count, kept without a barrier, for asynchronous training whose epoch is a number
 * of steps of the job as a whole rather than of every rank: an epoch ends when the ranks together
 * have taken {@code ranks x batches} steps, so a fast rank takes more of them and a straggler fewer,
 * and nobody waits for the slowest rank's share (the throughput regime of asynchronous SGP, Assran et
 * al., ICML 2019 §asynchronous, and of BlueFog's asynchronous optimizers, where each rank runs at its
 * own speed).
 *
 * <p>Implementation: a one-element window on the fully connected graph; every {@link #stepped()}
 * puts it to every other rank ({@code winPutAsync}, confirmed at the next call), and each rank's
 * write counts ({@link Windows#winWriteCount}) are then the other ranks' step counts as far as it
 * knows. {@link #jobSteps()} is a lower bound of the true count that catches up within one message
 * delay, so an epoch may overshoot its budget by the steps taken while the last writes travel.
 *
 * <p>Collective: the constructor and {@link #close()} (window create and free); the rest is local.
 * Not thread-safe (call from the training thread).
 */
public final class JobStepCounter implements AutoCloseable {
    private final Windows windows;
    private final String name;
    private final int[] others;
    private final INDArray token = Nd4j.zeros(DataType.DOUBLE, 1);
    private long mine;
    private Handle<Void> pending;
    private boolean closed;

    /** Collective: creates the counter's window on every rank. */
    public JobStepCounter(BlueFog bf) {
        this.windows = Windows.of(bf);
        int k = 0;
        while (windows.windowNames().contains("JobStepCounter-" + k)) {
            k++;
        }
        this.name = "JobStepCounter-" + k;
        int n = bf.size();
        this.others = new int[n - 1];
        for (int r = 0, i = 0; r < n; r++) {
            if (r != bf.rank()) {
                others[i++] = r;
            }
        }
        windows.winCreate(name, token, true, Topologies.fullyConnected(n));
    }

    /** Counts one step of this rank and tells the other ranks (nonblocking; the previous message is awaited first). */
    public void stepped() {
        mine++;
        awaitPending();
        if (others.length > 0) {
            pending = windows.winPutAsync(token, name, 1.0, null);
        }
    }

    /** Waits for the confirmation of this rank's last message, so that every rank has counted all its steps. */
    public void awaitPending() {
        Handle<Void> h = pending;
        pending = null;
        if (h != null) {
            h.join();
        }
    }

    /** @return this rank's steps so far */
    public long ownSteps() {
        return mine;
    }

    /**
     * @return the steps of all ranks so far as this rank knows them: its own plus every other rank's
     *         confirmed messages (exact once every rank has called {@link #awaitPending()} and met the
     *         others in a collective)
     */
    public long jobSteps() {
        long total = mine;
        for (int r : others) {
            total += windows.winWriteCount(name, r);
        }
        return total;
    }

    /** Collective: awaits this rank's last message and frees the window. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        awaitPending();
        windows.winFree(name);
    }
}
