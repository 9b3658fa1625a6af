package io.bluefog.comm;

/**
 * Handle of a nonblocking point-to-point operation started by {@link Communicator#isend} or
 * {@link Communicator#irecv}. The buffer passed to the operation must not be touched until the
 * request is complete.
 */
public interface Request {

    /** @return true once the operation completed; never blocks. */
    boolean test();

    /**
     * Blocks until the operation completes.
     *
     * @throws io.bluefog.CommunicationException if the transport failed
     * @throws io.bluefog.BlueFogTimeoutException if the transport's timeout elapsed first
     */
    void waitFor();

    /**
     * @return the elements a completed receive delivered (for {@link Communicator#irecvUpTo}, the
     *         message's length; for {@link Communicator#irecv}, the buffer's)
     * @throws IllegalStateException if the request is a send or not yet complete (call after
     *                               {@link #test()} returned true or {@link #waitFor()} returned)
     * @throws UnsupportedOperationException if the transport does not report lengths (the default)
     */
    default int receivedElements() {
        throw new UnsupportedOperationException("this transport's requests do not report received lengths");
    }

    /** Waits for every request, in order. */
    static void waitAll(Iterable<? extends Request> requests) {
        for (Request r : requests) {
            r.waitFor();
        }
    }
}
