package io.bluefog.collectives.window;

/**
 * This rank's hold on the incoming writes of one window, from {@link Windows#winLock}: while it is
 * open, puts, accumulates and get replies into the rank's buffers wait; closing applies them in
 * arrival order. Use with try-with-resources; close from the thread that locked.
 */
public interface WinLock extends AutoCloseable {
    /** Lets the held-back writes in; idempotent. */
    @Override
    void close();
}
