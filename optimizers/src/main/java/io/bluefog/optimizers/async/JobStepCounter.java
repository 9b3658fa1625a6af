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
 * <p>Implementation: a one-element window on the fully connected graph holding each rank's own
 * step count; {@link #stepped()} puts the new count to every other rank ({@code winPutAsync}) when
 * its previous put has been confirmed and otherwise leaves it to a later step (puts overwrite, so
 * the newest count wins; the step never blocks on it), and each rank's buffers hold the other ranks'
 * counts as far as it knows. {@link #jobSteps()} is a lower bound of the true count that catches up
 * within a message delay, so an epoch may overshoot its budget by the steps taken meanwhile.
 *
 * <p>Collective: the constructor and {@link #close()} (window create and free); the rest is local.
 * Not thread-safe (call from the training thread).
 */
public final class JobStepCounter implements AutoCloseable {
    private final BlueFog bf;
    private final Windows windows;
    private final String name;
    private final int[] others;
    private final INDArray token = Nd4j.zeros(DataType.DOUBLE, 1);
    private long mine;
    /** The count carried by this rank's newest message. */
    private long published;
    private Handle<Void> pending;
    private boolean closed;

    /** Collective: creates the counter's window on every rank. */
    public JobStepCounter(BlueFog bf) {
        this.bf = bf;
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

    /**
     * Counts one step of this rank and, unless its previous message is still unconfirmed, sends the
     * new count to the other ranks (nonblocking).
     */
    public void stepped() {
        mine++;
        Handle<Void> h = pending;
        if (h != null) {
            if (!h.poll()) {
                return; // a later step, or awaitPending, sends the newer count
            }
            pending = null;
            h.join(); // done: returns at once, or throws the put's failure
        }
        publish();
    }

    private void publish() {
        if (others.length > 0) {
            token.putScalar(0, (double) mine);
            published = mine;
            pending = windows.winPutAsync(token, name, 1.0, null);
        }
    }

    /**
     * Waits until every other rank has this rank's current count (sends it if the last message
     * carried an older one), so that the counts are exact once the ranks meet in a collective.
     */
    public void awaitPending() {
        Handle<Void> h = pending;
        pending = null;
        if (h != null) {
            h.join();
        }
        if (others.length > 0 && published != mine) {
            publish();
            awaitPending();
        }
    }

    /** @return this rank's steps so far */
    public long ownSteps() {
        return mine;
    }

    /**
     * @return the steps of all ranks so far as this rank knows them: its own plus the newest count
     *         that arrived from every other rank (exact once every rank has called {@link #awaitPending()}
     *         and met the others in a collective)
     */
    public long jobSteps() {
        long total = mine;
        for (int r : others) {
            total += (long) windows.winBufferElement(name, r, 0);
        }
        return total;
    }

    /**
     * @return the fewest steps any rank has taken as far as this rank knows (its own count, and the
     *         newest count that arrived from every other rank: a lower bound of theirs)
     */
    public long minSteps() {
        long min = mine;
        for (int r : others) {
            min = Math.min(min, (long) windows.winBufferElement(name, r, 0));
        }
        return min;
    }

    /** Collective: awaits this rank's last message, meets every rank (so that every count has landed), and frees the window. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        awaitPending();
        // Every rank's last count must have landed before any rank frees: a window being freed
        // refuses writes, so a count sent by awaitPending while a peer already frees would fail.
        io.bluefog.collectives.Collectives.of(bf).named("bf.JobStepCounter.close." + name).barrier();
        windows.winFree(name);
    }
}
