package io.bluefog.collectives.window;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The window service's idle schedule ({@link Windows#serviceParkNanos}) in closed form. */
class ServiceBackoffTest {
    @Test
    void spinsTenTimesThenDoublesFrom20MicrosecondsUpTo1Millisecond() {
        for (int idle = 0; idle < 10; idle++) {
            assertEquals(0, Windows.serviceParkNanos(idle), "idle poll " + idle + " spins");
        }
        long[] expected = {20_000, 40_000, 80_000, 160_000, 320_000, 640_000, 1_000_000, 1_000_000};
        for (int k = 0; k < expected.length; k++) {
            assertEquals(expected[k], Windows.serviceParkNanos(10 + k), "idle poll " + (10 + k));
        }
        assertEquals(Windows.SERVICE_MAX_PARK_NANOS, Windows.serviceParkNanos(1_000), "capped, no overflow");
        // a 5 ms gap between writes: 20 + 40 + ... + 640 = 1260 µs in 6 parks, then 4 of 1 ms: 10 (the linear ramp of backoff: 22)
        long slept = 0;
        int wakeups = 0;
        for (int idle = 10; slept < 5_000_000; idle++) {
            slept += Windows.serviceParkNanos(idle);
            wakeups++;
        }
        assertEquals(10, wakeups, "parks to cover 5 ms");
    }
}
