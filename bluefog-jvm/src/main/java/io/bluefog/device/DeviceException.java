package io.bluefog.device;

import io.bluefog.BlueFogException;

/** A device operation failed, or needs a device (e.g. a CUDA GPU) this machine does not have. */
public class DeviceException extends BlueFogException {
    private static final long serialVersionUID = 1L;

    public DeviceException(String message) {
        super(message);
    }

    public DeviceException(String message, Throwable cause) {
        super(message, cause);
    }
}
