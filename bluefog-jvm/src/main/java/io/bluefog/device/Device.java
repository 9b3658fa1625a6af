package io.bluefog.device;

/**
 * Where a rank keeps and computes its tensors: the CPU, or CUDA device number {@code index} of
 * its machine. An immutable value; obtain the one for a rank with {@link Devices#forLocalRank(int)}.
 */
public final class Device {
    /** The kind of a device. */
    public enum Kind { CPU, CUDA }

    /** The host CPU (and its memory). */
    public static final Device CPU = new Device(Kind.CPU, -1);

    private final Kind kind;
    private final int index;

    private Device(Kind kind, int index) {
        this.kind = kind;
        this.index = index;
    }

    /**
     * @param index CUDA device ordinal on this machine, &ge; 0 (as {@code cudaSetDevice} takes it)
     * @throws IllegalArgumentException if negative
     */
    public static Device cuda(int index) {
        if (index < 0) {
            throw new IllegalArgumentException("CUDA device index = " + index + " must be >= 0");
        }
        return new Device(Kind.CUDA, index);
    }

    public Kind kind() {
        return kind;
    }

    /** @return the CUDA ordinal, or -1 for the CPU */
    public int index() {
        return index;
    }

    public boolean isCuda() {
        return kind == Kind.CUDA;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Device d && d.kind == kind && d.index == index;
    }

    @Override
    public int hashCode() {
        return 31 * kind.hashCode() + index;
    }

    /** @return {@code "cpu"} or {@code "cuda:<index>"} (PyTorch's spelling) */
    @Override
    public String toString() {
        return isCuda() ? "cuda:" + index : "cpu";
    }
}
