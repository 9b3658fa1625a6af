package io.bluefog.comm;

/**
 * IEEE 754 binary16 ("half", float16) values held as their 16-bit patterns in a {@code short}, the
 * element type of a {@link DType#FLOAT16} {@link java.nio.ShortBuffer}: 1 sign bit, 5 exponent bits
 * (bias 15), 10 fraction bits; subnormals, signed zeros, infinities and NaN as the standard defines
 * them (ND4J's {@code DataType.HALF} and PyTorch's {@code torch.float16} use the same layout). Java
 * 17 has no float16 type ({@code Float.float16ToFloat} arrived in Java 20).
 */
public final class Float16 {
    /** Largest finite float16, 65504. */
    public static final float MAX_VALUE = 65504f;

    private Float16() {
    }

    /** @return the value of the float16 bit pattern {@code h}, exactly (every float16 is a float32) */
    public static float toFloat(short h) {
        int bits = h & 0xffff;
        int exponent = (bits >>> 10) & 0x1f;
        int fraction = bits & 0x3ff;
        float magnitude;
        if (exponent == 0) {
            magnitude = fraction * 0x1p-24f; // subnormal (or zero): fraction * 2^-24, exact
        } else if (exponent == 0x1f) {
            magnitude = fraction == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
        } else {
            magnitude = Math.scalb((float) (0x400 | fraction), exponent - 25);
        }
        return (bits & 0x8000) != 0 ? -magnitude : magnitude;
    }

    /**
     * @return {@code v} rounded to the nearest float16, ties to even (IEEE 754's default rounding):
     *         magnitudes from 65520 up round to infinity, below 2^-25 to zero (sign kept), NaN to
     *         the quiet NaN {@code 0x7e00} (sign kept). Rounding once from float64 avoids the
     *         double rounding of going through float32.
     */
    public static short fromDouble(double v) {
        int sign = Double.doubleToRawLongBits(v) < 0 ? 0x8000 : 0;
        double a = Math.abs(v);
        int bits;
        if (Double.isNaN(v)) {
            bits = 0x7e00;
        } else if (a >= 65520.0) {
            bits = 0x7c00;
        } else if (a < 0x1p-14) {
            // Subnormal range: a multiple of 2^-24; 1024 * 2^-24 is the smallest normal, whose pattern is 0x400.
            bits = (int) Math.rint(Math.scalb(a, 24));
        } else {
            int e = Math.getExponent(a); // -14..15
            int q = (int) Math.rint(Math.scalb(a, 10 - e)); // 1024..2048, ties to even
            bits = ((e + 15) << 10) + (q - 0x400); // q = 2048 carries into the exponent, as it should
        }
        return (short) (sign | bits);
    }

    /** @return {@code v} rounded to the nearest float16 (see {@link #fromDouble}; widening v is exact) */
    public static short fromFloat(float v) {
        return fromDouble(v);
    }
}
