package io.bluefog.collectives.engine;

import io.bluefog.CommunicationException;
import io.bluefog.collectives.Handle;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/** {@link Handle} over an operation's future; rethrows the operation's own exception from {@link #join()}. */
public final class FutureHandle<T> implements Handle<T> {
    private final CompletableFuture<Object> future;

    public FutureHandle(Op op) {
        this.future = op.future();
    }

    @Override
    public boolean poll() {
        return future.isDone();
    }

    @Override
    @SuppressWarnings("unchecked")
    public T join() {
        // Short operations finish within microseconds: spin briefly before parking this thread,
        // whose wake-up would cost more than the operation on a loaded machine.
        Waits.WAITING_CALLERS.incrementAndGet();
        try {
            long start = System.nanoTime();
            while (!future.isDone() && System.nanoTime() - start < Waits.SPIN_NANOS) {
                Thread.onSpinWait();
            }
            return (T) future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommunicationException("interrupted while waiting for a collective", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            throw new CommunicationException(String.valueOf(c), c);
        } finally {
            Waits.WAITING_CALLERS.decrementAndGet();
        }
    }
}
