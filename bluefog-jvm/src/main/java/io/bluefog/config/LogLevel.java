package io.bluefog.config;

import io.bluefog.ConfigurationException;
import java.util.Locale;

/** Verbosity of bluefog-jvm's logging, with BlueFog's ({@code BLUEFOG_LOG_LEVEL}) level names. */
public enum LogLevel {
    TRACE("trace"), DEBUG("debug"), INFO("info"), WARNING("warn"), ERROR("error"), FATAL("error");

    private final String slf4jSimpleName;

    LogLevel(String slf4jSimpleName) {
        this.slf4jSimpleName = slf4jSimpleName;
    }

    /** @return the level name slf4j-simple understands ({@code FATAL} maps to {@code error}) */
    public String slf4jSimpleName() {
        return slf4jSimpleName;
    }

    /**
     * Parses a level name, case-insensitively; {@code WARN} is accepted for {@code WARNING}.
     *
     * @param variable the setting the value came from, named in the error
     * @throws ConfigurationException if {@code value} is not a level name
     */
    public static LogLevel parse(String variable, String value) {
        String v = value.trim().toUpperCase(Locale.ROOT);
        if (v.equals("WARN")) {
            return WARNING;
        }
        try {
            return valueOf(v);
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException(variable + "='" + value + "' is not a log level; use one of "
                    + java.util.Arrays.toString(values()), e);
        }
    }
}
