package io.bluefog.comm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

/**
 * {@link Float16} against the definition of IEEE 754 binary16: every one of the 65,536 patterns
 * decodes to sign * (1 + f/1024) * 2^(e-15) (or f * 2^-24 when e = 0), encodes back to itself, and
 * values between two neighbors round to the nearer one, ties to the even pattern.
 */
class Float16Test {
    @Test
    void everyPatternDecodesByDefinitionAndRoundTrips() {
        for (int bits = 0; bits < 0x10000; bits++) {
            short h = (short) bits;
            int e = (bits >>> 10) & 0x1f;
            int f = bits & 0x3ff;
            double sign = (bits & 0x8000) != 0 ? -1 : 1;
            float v = Float16.toFloat(h);
            if (e == 0x1f) {
                assertTrue(f == 0 ? Float.isInfinite(v) : Float.isNaN(v), "pattern " + bits);
                continue;
            }
            double expected = sign * (e == 0 ? f * 0x1p-24 : (1 + f / 1024.0) * Math.pow(2, e - 15));
            assertEquals(expected, v, 0.0, "pattern " + bits);
            assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(v), "sign of zero, pattern " + bits);
            assertEquals(h, Float16.fromDouble(v), "round trip of pattern " + bits);
            assertEquals(h, Float16.fromFloat(v), "round trip (float) of pattern " + bits);
        }
    }

    /** Between neighbors a < b (positive, finite): below the midpoint a, above it b, on it the even one. */
    @Test
    void roundsToNearestTiesToEven() {
        for (int bits = 0; bits < 0x7bff; bits++) {
            double a = Float16.toFloat((short) bits);
            double b = Float16.toFloat((short) (bits + 1));
            double mid = new BigDecimal(a).add(new BigDecimal(b)).divide(BigDecimal.valueOf(2)).doubleValue();
            assertEquals(bits, Float16.fromDouble(Math.nextDown(mid)), "just below the midpoint after " + bits);
            assertEquals(bits + 1, Float16.fromDouble(Math.nextUp(mid)), "just above the midpoint after " + bits);
            assertEquals(bits % 2 == 0 ? bits : bits + 1, Float16.fromDouble(mid), "midpoint after " + bits);
            assertEquals((short) (bits | 0x8000), Float16.fromDouble(-Math.nextDown(mid)), "negative, after " + bits);
        }
    }

    @Test
    void overflowUnderflowAndNaN() {
        assertEquals((short) 0x7bff, Float16.fromDouble(65504));
        assertEquals((short) 0x7bff, Float16.fromDouble(Math.nextDown(65520.0)));
        assertEquals((short) 0x7c00, Float16.fromDouble(65520), "the midpoint above 65504 ties to even: infinity");
        assertEquals((short) 0xfc00, Float16.fromDouble(Double.NEGATIVE_INFINITY));
        assertEquals((short) 0x0000, Float16.fromDouble(0x1p-25), "half the smallest subnormal ties to zero");
        assertEquals((short) 0x0001, Float16.fromDouble(Math.nextUp(0x1p-25)));
        assertEquals((short) 0x8000, Float16.fromDouble(-1e-30), "negative underflow keeps the sign");
        assertTrue(Float.isNaN(Float16.toFloat(Float16.fromDouble(Double.NaN))));
        assertEquals(Float16.MAX_VALUE, Float16.toFloat((short) 0x7bff));
    }
}
