package io.bluefog.topology.tool;

import io.bluefog.topology.catalog.ParsingConverter;
import java.util.ArrayList;
import java.util.List;

/**
 * The sizes of {@code --sizes}: {@code a..b} doubles from a up to b; {@code a,b,c} lists sizes.
 *
 * @param sizes the sizes, in order
 */
record SizeSpec(int[] sizes) {
    /** Largest size the tool accepts (dense n x n decompositions). */
    static final int MAX_SIZE = 8192;

    /** @throws IllegalArgumentException naming {@code --sizes} when the spec is malformed or out of range */
    static SizeSpec parse(String spec) {
        List<Integer> sizes = new ArrayList<>();
        try {
            if (spec.contains("..")) {
                String[] ab = spec.split("\\.\\.", -1);
                if (ab.length != 2) {
                    throw new IllegalArgumentException("--sizes '" + spec + "': expected a..b");
                }
                int a = Integer.parseInt(ab[0].trim());
                int b = Integer.parseInt(ab[1].trim());
                check(a, spec);
                check(b, spec);
                if (a > b) {
                    throw new IllegalArgumentException("--sizes '" + spec + "': the start exceeds the end");
                }
                for (long n = a; n <= b; n *= 2) {
                    sizes.add((int) n);
                }
            } else {
                for (String s : spec.split(",")) {
                    int n = Integer.parseInt(s.trim());
                    check(n, spec);
                    sizes.add(n);
                }
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--sizes '" + spec + "': not a number (" + e.getMessage() + ")");
        }
        return new SizeSpec(sizes.stream().mapToInt(Integer::intValue).toArray());
    }

    private static void check(int n, String spec) {
        if (n < 1 || n > MAX_SIZE) {
            throw new IllegalArgumentException("--sizes '" + spec + "': every size must be in 1.." + MAX_SIZE + ", got " + n);
        }
    }

    /** picocli converter of {@code --sizes}. */
    static final class Converter extends ParsingConverter<SizeSpec> {
        Converter() {
            super(SizeSpec::parse);
        }
    }
}
