package io.bluefog.mpi;

/** Test access to {@link AbortWatchdog}'s package-private grace period from the {@code it} package. */
public final class AbortWatchdogAccess {
    private AbortWatchdogAccess() {
    }

    public static long graceMillis() {
        return AbortWatchdog.GRACE_MILLIS;
    }
}
