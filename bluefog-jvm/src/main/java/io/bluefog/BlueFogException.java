package io.bluefog;

/**
 * Root of bluefog-jvm's own exceptions, for failures that involve the job rather than one call's
 * arguments: {@link CommunicationException} (a transport failed, a peer died or aborted),
 * {@link BlueFogTimeoutException} (a peer never made the matching call), {@link CollectiveMismatchException}
 * (ranks called a collective with disagreeing arguments) and {@link ConfigurationException} (a
 * {@code BLUEFOG_*} setting is invalid), plus module-specific subclasses such as
 * {@code io.bluefog.device.DeviceException}.
 *
 * <p>Bad arguments of a single call that the calling rank can check on its own (null, a wrong
 * shape, dtype or buffer kind, a rank or size out of range, a matrix that is not a valid mixing
 * matrix) raise the JDK's {@link IllegalArgumentException} (or {@link NullPointerException},
 * {@link IllegalStateException} for a closed object), as Java libraries do; those are not
 * subclasses of this type. All are unchecked; no method returns a boolean status instead of throwing.
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
