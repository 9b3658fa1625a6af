package io.bluefog;

/**
 * A setting (environment variable, system property or builder argument) has a value that cannot
 * be used. The message names the setting and quotes the offending value.
 */
public class ConfigurationException extends BlueFogException {
    private static final long serialVersionUID = 1L;

    public ConfigurationException(String message) {
        super(message);
    }

    public ConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
