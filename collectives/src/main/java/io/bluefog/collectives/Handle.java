package io.bluefog.collectives;

/**
 * Handle of a nonblocking collective started by one of the {@code ...Async} methods of
 * {@link Collectives} (as BlueFog's {@code poll}/{@code synchronize}). The operation runs on the
 * rank's communication thread; the caller must not modify the input tensor until the handle is
 * complete.
 *
 * @param <T> the result type ({@code INDArray}, or {@code Void} for {@link Collectives#barrierAsync()})
 */
public interface Handle<T> {

    /** @return true once the operation completed (successfully or not); never blocks. */
    boolean poll();

    /**
     * Blocks until the operation completes and returns its result.
     *
     * @throws io.bluefog.CollectiveMismatchException if the ranks called the operation with disagreeing
     *         arguments
     * @throws io.bluefog.BlueFogTimeoutException if a peer did not take part within the configured timeout
     * @throws io.bluefog.CommunicationException if the transport failed
     */
    T join();
}
