package io.bluefog;

/** An operation did not complete within its timeout, e.g. because a peer never made the matching call. */
public class BlueFogTimeoutException extends BlueFogException {
    private static final long serialVersionUID = 1L;

    public BlueFogTimeoutException(String message) {
        super(message);
    }
}
