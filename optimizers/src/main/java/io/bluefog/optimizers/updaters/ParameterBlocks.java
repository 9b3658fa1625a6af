package io.bluefog.optimizers.updaters;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * How a flat parameter vector splits into consecutive named blocks, e.g. the layers of a DL4J
 * model in the order of its flattened {@code params()} view. Layer-wise updaters (LARS, CLARS) compute
 * one rate per block; element-wise updaters (SGD, momentum, Nesterov, Adam) ignore the blocks.
 * Immutable.
 */
public final class ParameterBlocks {
    private final List<String> names;
    private final long[] offsets;
    private final long[] lengths;
    private final long total;

    private ParameterBlocks(List<String> names, long[] lengths) {
        if (names.isEmpty() || names.size() != lengths.length) {
            throw new IllegalArgumentException("need one length per block name and at least one block, got "
                    + names.size() + " names and " + lengths.length + " lengths");
        }
        this.names = Collections.unmodifiableList(new ArrayList<>(names));
        this.lengths = lengths.clone();
        this.offsets = new long[lengths.length];
        long sum = 0;
        for (int b = 0; b < lengths.length; b++) {
            if (lengths[b] < 1) {
                throw new IllegalArgumentException("block '" + names.get(b) + "' must have >= 1 element, got " + lengths[b]);
            }
            offsets[b] = sum;
            sum += lengths[b];
        }
        this.total = sum;
    }

    /** One block of {@code numParams} elements named "all". @throws IllegalArgumentException if numParams &lt; 1 */
    public static ParameterBlocks single(long numParams) {
        if (numParams < 1) {
            throw new IllegalArgumentException("numParams must be >= 1, got " + numParams);
        }
        return new ParameterBlocks(List.of("all"), new long[] {numParams});
    }

    /**
     * @param names   one name per block (e.g. "layer 0"), in order
     * @param lengths the element counts, each &ge; 1
     */
    public static ParameterBlocks of(List<String> names, long... lengths) {
        return new ParameterBlocks(Objects.requireNonNull(names, "names"), Objects.requireNonNull(lengths, "lengths"));
    }

    public int count() {
        return lengths.length;
    }

    public String name(int block) {
        return names.get(block);
    }

    /** @return the index of the block's first element in the flat vector */
    public long offset(int block) {
        return offsets[block];
    }

    public long length(int block) {
        return lengths[block];
    }

    /** @return the length of the flat vector, the sum of the block lengths */
    public long totalLength() {
        return total;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ParameterBlocks p && names.equals(p.names) && java.util.Arrays.equals(lengths, p.lengths);
    }

    @Override
    public int hashCode() {
        return names.hashCode() * 31 + java.util.Arrays.hashCode(lengths);
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("ParameterBlocks[");
        for (int b = 0; b < lengths.length; b++) {
            s.append(b == 0 ? "" : ", ").append(names.get(b)).append(": ").append(lengths[b]);
        }
        return s.append(']').toString();
    }
}
