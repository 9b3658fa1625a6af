package io.bluefog.mpi.bench;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The C side of {@link AllreduceBenchmark}: compiles {@code src/main/c/allreduce_bench.c} with
 * {@code mpicc} into the module's {@code target/} (when missing or older than the source) and runs
 * it with its own {@code mpirun}.
 *
 * <p>The module directory is found from this class's location ({@code target/classes} or the module
 * jar in {@code target/}), or set with {@code -Dbluefog.mpi.module.dir=DIR}.
 */
final class CAllreduce {
    private static final Pattern LINE = Pattern.compile(
            "allreduce_bench bytes=(\\d+) iterations=(\\d+) median_seconds=([0-9.eE+-]+) check=(ok|wrong)");

    private final Path binary;

    private CAllreduce(Path binary) {
        this.binary = binary;
    }

    /** Finds the source and compiles it if needed. */
    static CAllreduce compile() throws IOException, InterruptedException, URISyntaxException {
        Path module = moduleDir();
        Path source = module.resolve("src/main/c/allreduce_bench.c");
        Path binary = module.resolve("target/allreduce_bench");
        if (!Files.exists(source)) {
            throw new IOException("C benchmark source not found: " + source + " (set -Dbluefog.mpi.module.dir)");
        }
        if (!Files.exists(binary)
                || Files.getLastModifiedTime(binary).compareTo(Files.getLastModifiedTime(source)) < 0) {
            Files.createDirectories(binary.getParent());
            run(List.of("mpicc", "-O2", "-o", binary.toString(), source.toString()), "mpicc");
        }
        return new CAllreduce(binary);
    }

    /**
     * Runs {@code mpirun -np np allreduce_bench bytes warmup iterations}.
     *
     * @return the median seconds the C program measured
     * @throws IOException if the job fails, prints no result, or reports a wrong sum
     */
    double medianSeconds(int np, AllreduceBenchmark.Case c) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("mpirun", "-np", Integer.toString(np)));
        if ("root".equals(System.getProperty("user.name"))) {
            cmd.add("--allow-run-as-root");
        }
        if (np > Runtime.getRuntime().availableProcessors()) {
            cmd.add("--oversubscribe");
        }
        cmd.addAll(List.of(binary.toString(), Long.toString(c.bytes()), Integer.toString(c.warmup()),
                Integer.toString(c.iterations())));
        String out = run(cmd, "mpirun allreduce_bench");
        Matcher m = LINE.matcher(out);
        if (!m.find() || Long.parseLong(m.group(1)) != c.bytes()) {
            throw new IOException("allreduce_bench printed no result for " + c.bytes() + " bytes:\n" + out);
        }
        if (!m.group(4).equals("ok")) {
            throw new IOException("allreduce_bench computed a wrong sum for " + c.bytes() + " bytes");
        }
        return Double.parseDouble(m.group(3));
    }

    /**
     * Runs a command with this process's environment minus Open MPI's per-job variables: this JVM is
     * itself a rank of an mpirun job, and a nested mpirun that inherited them would try to join it.
     */
    private static String run(List<String> cmd, String what) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("OMPI_") || k.startsWith("PMIX_")
                || k.startsWith("OPAL_") || k.startsWith("ORTE_"));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        if (code != 0) {
            throw new IOException(what + " failed with exit " + code + ":\n" + out);
        }
        return out;
    }

    private static Path moduleDir() throws URISyntaxException {
        String dir = System.getProperty("bluefog.mpi.module.dir");
        if (dir != null) {
            return Path.of(dir);
        }
        // target/classes/ or target/bluefog-mpi-launch-*.jar -> the module directory two levels up.
        Path location = Path.of(CAllreduce.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        return location.getParent().getParent();
    }
}
