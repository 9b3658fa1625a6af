package io.bluefog;

/**
 * Root of bluefog-jvm's exception tree. Every error the framework raises is an unchecked
 * subclass of this type; no method returns a boolean status instead of throwing.
 */
public class BlueFogException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BlueFogException(String message) {
        super(message);
    }

    public BlueFogException(String message, Throwable cause) {
        super(message, cause);
    }
}
