package io.bluefog.device;

import io.bluefog.ConfigurationException;
import java.util.Locale;

/**
 * Which kind of device a job asks for: the value of {@code --device} on the main job and of
 * {@code BLUEFOG_DEVICE} ({@link io.bluefog.config.BlueFogConfig#DEVICE}) for programs. Resolved to
 * one rank's {@link Device} by {@link Devices#select(DeviceChoice, int)}.
 */
public enum DeviceChoice {
    /** A CUDA GPU when one is usable (local rank r takes device r mod count), else the CPU. */
    AUTO,
    /** The CPU, even when GPUs are present. */
    CPU,
    /** A CUDA GPU (local rank r takes device r mod count); an error when none is usable. */
    CUDA;

    /**
     * @param source what the value came from, for the error (e.g. {@code "BLUEFOG_DEVICE"} or {@code "--device"})
     * @param value {@code auto}, {@code cpu} or {@code cuda}, case-insensitive, surrounding blanks ignored
     * @throws ConfigurationException naming {@code source} and quoting {@code value} if it is none of these
     */
    public static DeviceChoice parse(String source, String value) {
        String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        for (DeviceChoice c : values()) {
            if (c.toString().equals(v)) {
                return c;
            }
        }
        throw new ConfigurationException(source + "='" + value + "' must be auto, cpu or cuda");
    }

    /** @return the lower-case name, as written on the command line */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
