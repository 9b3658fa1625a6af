package io.bluefog.examples.bench;

import java.nio.ByteBuffer;

/**
 * Single-thread memcpy bandwidth of this machine, measured where it is reported (so that a
 * simulator's read bandwidth can be put next to it under the same load): a bulk copy between two
 * direct buffers ({@link ByteBuffer#put(ByteBuffer)}, which the JDK runs as one memory copy).
 */
public final class MemoryBandwidth {
    private MemoryBandwidth() {
    }

    /**
     * @param bytes   buffer size, larger than the caches (e.g. 64 MiB), at least 1
     * @param repeats copies timed, at least 1; the fastest counts
     * @return bytes copied per second by the fastest copy (bytes read = bytes written)
     * @throws IllegalArgumentException if an argument is below 1
     */
    public static double memcpyBytesPerSecond(int bytes, int repeats) {
        if (bytes < 1 || repeats < 1) {
            throw new IllegalArgumentException("bytes and repeats must be >= 1, got " + bytes + ", " + repeats);
        }
        ByteBuffer src = ByteBuffer.allocateDirect(bytes);
        ByteBuffer dst = ByteBuffer.allocateDirect(bytes);
        for (int i = 0; i < bytes; i += 4096) {
            src.put(i, (byte) i); // touch every page once before timing
        }
        dst.put(src.duplicate()).clear(); // first copy: touches dst's pages
        long best = Long.MAX_VALUE;
        for (int k = 0; k < repeats; k++) {
            long t0 = System.nanoTime();
            dst.clear();
            dst.put(src.duplicate());
            best = Math.min(best, System.nanoTime() - t0);
        }
        return bytes / (Math.max(1, best) / 1e9);
    }
}
