package io.bluefog.collectives.engine;

import java.util.Arrays;

/**
 * The small header every rank sends for every operation before data moves (so that ranks that
 * disagree fail instead of hanging or mixing data). Encoded as {@link #LENGTH} doubles, every
 * field an integer below 2^52 so that doubles carry it exactly:
 * <pre>
 *  0 kind ordinal      1 dtype (Tensors.code: 1 float32, 2 float64, 3 float16, 4 int32, 5 int64)
 *  2 number of dimensions   3 element count
 *  4 call number on the sending rank (for messages only)  5 global parameter (must agree)
 *  6 local parameter (per rank; equal values may fuse)    7 peer (pair gossip), else -1
 *  8..15 the first 8 dimensions; with more than 8 dimensions slot 15 holds a hash of dims 7..
 * 16..22 the operation name's first 21 characters, three 16-bit chars per slot (0: none); bit 48
 *        of slot 22 says the name was longer
 * 23 a 52-bit hash of the whole name (0: unnamed)
 * </pre>
 */
public final class Headers {
    public static final int LENGTH = 24;
    static final int KIND = 0, DTYPE = 1, NDIMS = 2, COUNT = 3, SEQ = 4, GLOBAL = 5, LOCAL = 6, PEER = 7, DIMS = 8;
    static final int NAME = 16, NAME_HASH = 23;
    static final int MAX_DIMS = NAME - DIMS;
    /** Characters of a name the header carries for error messages (the hash compares all of it). */
    public static final int NAME_CHARS = 3 * (NAME_HASH - NAME);
    /** Bit 48 of the last name slot (above its three 16-bit chars): the name was longer than {@link #NAME_CHARS}. */
    private static final long TRUNCATED = 1L << 48;
    private static final long MASK_52 = (1L << 52) - 1;

    private Headers() {
    }

    /** @return a hash of two values that fits in 52 bits (exact as a double) */
    static long mix(long a, long b) {
        long h = a * 0x9E3779B97F4A7C15L + b;
        h ^= h >>> 29;
        h *= 0xBF58476D1CE4E5B9L;
        h ^= h >>> 32;
        return h & MASK_52;
    }

    static void encode(Op op, double[] dst, int offset) {
        Arrays.fill(dst, offset, offset + LENGTH, 0.0);
        long[] shape = op.shape();
        dst[offset + KIND] = op.kind.ordinal();
        dst[offset + DTYPE] = op.dtypeCode();
        dst[offset + NDIMS] = shape.length;
        dst[offset + COUNT] = op.length();
        dst[offset + SEQ] = op.seq;
        dst[offset + GLOBAL] = op.globalParam;
        dst[offset + LOCAL] = op.localParam;
        dst[offset + PEER] = op.peer;
        for (int d = 0; d < Math.min(shape.length, MAX_DIMS); d++) {
            dst[offset + DIMS + d] = shape[d];
        }
        if (shape.length > MAX_DIMS) {
            long h = 0;
            for (int d = MAX_DIMS - 1; d < shape.length; d++) {
                h = mix(h, shape[d]);
            }
            dst[offset + DIMS + MAX_DIMS - 1] = h;
        }
        if (op.name != null) {
            encodeName(op.name, dst, offset);
        }
    }

    private static void encodeName(String name, double[] dst, int offset) {
        long h = 1; // never 0, which means "unnamed"
        for (int i = 0; i < name.length(); i++) {
            h = mix(h, name.charAt(i));
        }
        dst[offset + NAME_HASH] = h == 0 ? 1 : h;
        for (int i = 0; i < Math.min(name.length(), NAME_CHARS); i++) {
            int slot = offset + NAME + i / 3;
            dst[slot] += (double) ((long) name.charAt(i) << (16 * (i % 3)));
        }
        if (name.length() > NAME_CHARS) {
            dst[offset + NAME_HASH - 1] += (double) TRUNCATED;
        }
    }

    /** @return the name in a header (its first {@link #NAME_CHARS} characters, then "..."), or null */
    static String name(double[] h, int o) {
        if (h[o + NAME_HASH] == 0) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < NAME_CHARS; i++) {
            char c = (char) (((long) h[o + NAME + i / 3] >>> (16 * (i % 3))) & 0xffff);
            if (c == 0) {
                break;
            }
            sb.append(c);
        }
        boolean truncated = ((long) h[o + NAME_HASH - 1] & TRUNCATED) != 0;
        return truncated ? sb.append("...").toString() : sb.toString();
    }

    static int kind(double[] h, int o) {
        return (int) h[o + KIND];
    }

    static boolean sameCall(double[] a, int ao, double[] b, int bo) {
        if (a[ao + KIND] != b[bo + KIND] || a[ao + DTYPE] != b[bo + DTYPE] || a[ao + NDIMS] != b[bo + NDIMS]
                || a[ao + GLOBAL] != b[bo + GLOBAL] || a[ao + NAME_HASH] != b[bo + NAME_HASH]) {
            return false;
        }
        OpKind kind = OpKind.values()[(int) a[ao + KIND]];
        int from = kind.firstDimMayDiffer() ? 1 : 0;
        if (!kind.firstDimMayDiffer() && a[ao + COUNT] != b[bo + COUNT]) {
            return false;
        }
        for (int d = from; d < MAX_DIMS; d++) {
            if (a[ao + DIMS + d] != b[bo + DIMS + d]) {
                return false;
            }
        }
        return true;
    }

    /** Whether two calls of one rank can travel in one fused message. */
    static boolean fusable(double[] h, int first, int other) {
        OpKind kind = OpKind.values()[(int) h[first + KIND]];
        return kind.fusable() && h[first + KIND] == h[other + KIND] && h[first + DTYPE] == h[other + DTYPE]
                && h[first + GLOBAL] == h[other + GLOBAL] && h[first + LOCAL] == h[other + LOCAL];
    }

    static long bytes(double[] h, int o) {
        return (long) h[o + COUNT] * Tensors.width((int) h[o + DTYPE]);
    }

    /** @return e.g. {@code allreduce float32 [3, 4]}, or {@code allreduce 'fc1.W' float32 [3, 4]} for a named call */
    static String describe(double[] h, int o) {
        OpKind kind = OpKind.values()[(int) h[o + KIND]];
        StringBuilder sb = new StringBuilder(kind.apiName()).append(' ');
        String name = name(h, o);
        if (name != null) {
            sb.append('\'').append(name).append("' ");
        }
        sb.append(Tensors.label((int) h[o + DTYPE])).append(" [");
        int nd = (int) h[o + NDIMS];
        for (int d = 0; d < Math.min(nd, MAX_DIMS); d++) {
            sb.append(d == 0 ? "" : ", ").append((long) h[o + DIMS + d]);
        }
        if (nd > MAX_DIMS) {
            sb.append(", ...");
        }
        sb.append(']');
        long g = (long) h[o + GLOBAL];
        switch (kind) {
            case ALLREDUCE, LOCAL_ALLREDUCE -> sb.append(" op ").append(io.bluefog.comm.ReduceOp.values()[(int) g]);
            case BROADCAST -> sb.append(" root ").append(g);
            case PAIR_GOSSIP -> sb.append(" peer ").append((long) h[o + PEER]);
            case NEIGHBOR_ALLREDUCE, NEIGHBOR_ALLGATHER, HIERARCHICAL_NEIGHBOR_ALLREDUCE ->
                    sb.append(" topology/mode #").append(Long.toHexString(g));
            default -> { }
        }
        return sb.toString();
    }

    /** @return {@link #describe} followed by the call number, e.g. {@code allreduce float32 [3] op SUM (call #14)} */
    static String describeCall(double[] h, int o) {
        return describe(h, o) + " (call #" + seq(h, o) + ")";
    }

    static long seq(double[] h, int o) {
        return (long) h[o + SEQ];
    }

    static int peer(double[] h, int o) {
        return (int) h[o + PEER];
    }
}
