package io.bluefog.collectives.window;

import io.bluefog.BlueFogException;

/**
 * A window operation was refused by the rank that holds the target buffers: the window does not
 * exist there (never created, or already freed by {@link Windows#winFree}), or this rank is not
 * one of the window's neighbors there. Raised on the rank that issued the operation, naming the
 * window, the peer and the reason.
 */
public class WindowException extends BlueFogException {
    private static final long serialVersionUID = 1L;

    public WindowException(String message) {
        super(message);
    }
}
