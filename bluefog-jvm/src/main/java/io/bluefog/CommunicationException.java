package io.bluefog;

/** A transport failed to move data: a peer died, the job was aborted, or MPI returned an error. */
public class CommunicationException extends BlueFogException {
    private static final long serialVersionUID = 1L;

    public CommunicationException(String message) {
        super(message);
    }

    public CommunicationException(String message, Throwable cause) {
        super(message, cause);
    }
}
