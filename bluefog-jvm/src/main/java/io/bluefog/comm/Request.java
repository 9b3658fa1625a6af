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

    /** Waits for every request, in order. */
    static void waitAll(Iterable<? extends Request> requests) {
        for (Request r : requests) {
            r.waitFor();
        }
    }
}
