package io.bluefog.examples.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * JNI binding of {@code examples/src/main/c/neighbor_exchange.c}: the neighbor exchange and
 * weighted sum written in C with MPI, run inside the same MPI job as the Java measurements.
 * {@link #compile} builds the shared library with {@code mpicc}; {@link #load} loads it into this
 * JVM, where Open MPI is already initialised by the Java bindings (the library links the same
 * {@code libmpi}).
 */
final class NativeNeighborExchange {
    static final String LIBRARY = "libbluefog_neighbor_exchange.so";

    private NativeNeighborExchange() {
    }

    /**
     * Runs {@code times.length} timed exchanges (MPI_Barrier before each) and stores each one's wall
     * time in milliseconds. Every rank of the job must call it with matching neighbor lists.
     *
     * @param x    direct buffer of n native-order floats: sent, then overwritten with the result (in place)
     * @param recv one direct buffer of n floats per source
     */
    static native void run(ByteBuffer x, ByteBuffer[] recv, long n, int[] sources, double[] weights,
                           int[] destinations, double selfWeight, double[] times);

    /**
     * Runs {@code times.length} timed in-place float32 sums {@code MPI_Allreduce(MPI_IN_PLACE, x, n,
     * MPI_FLOAT, MPI_SUM)} (MPI_Barrier before each) and stores each one's wall time in milliseconds.
     * Every rank of the job must call it with the same n.
     *
     * @param x direct buffer of n native-order floats, reduced in place
     */
    static native void allreduce(ByteBuffer x, long n, double[] times);

    /**
     * Compiles {@code source} into {@code outputDir/}{@value #LIBRARY} with mpicc.
     *
     * @return the library path
     * @throws IllegalStateException with mpicc's output if the compilation fails
     */
    static Path compile(Path source, Path outputDir) throws IOException, InterruptedException {
        Files.createDirectories(outputDir);
        Path lib = outputDir.resolve(LIBRARY).toAbsolutePath();
        Path javaHome = Path.of(System.getProperty("java.home"));
        List<String> cmd = new ArrayList<>(List.of("mpicc", "-O3", "-fPIC", "-shared",
                "-I" + javaHome.resolve("include"), "-I" + javaHome.resolve("include").resolve("linux"),
                source.toAbsolutePath().toString(), "-o", lib.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("mpicc failed: " + String.join(" ", cmd) + "\n" + output);
        }
        return lib;
    }

    static void load(Path library) {
        System.load(library.toAbsolutePath().toString());
    }
}
