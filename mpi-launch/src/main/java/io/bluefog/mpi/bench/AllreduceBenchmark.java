package io.bluefog.mpi.bench;

import io.bluefog.BlueFog;
import io.bluefog.comm.Communicator;
import io.bluefog.comm.ReduceOp;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Benchmark (not a test) of the MPI transport's allreduce against Open MPI's own
 * {@code MPI_Allreduce} called from C: {@code mpi-launch/bfrun -np 2 allreduce-bench}.
 *
 * <p>For float32 buffers of 1 MB and 100 MB (2<sup>20</sup> and 100&middot;2<sup>20</sup> bytes) every
 * rank runs in-place sum allreduces through {@link Communicator#allreduce}; each iteration is a
 * barrier followed by one timed allreduce, its time is the slowest rank's, and the figure reported is
 * the median over the timed iterations (after warm-up). After {@code MPI_Finalize}, rank 0 compiles
 * {@code src/main/c/allreduce_bench.c} with {@code mpicc} into {@code target/}, runs it with
 * {@code mpirun} on the same number of ranks, measured the same way, and prints both medians and
 * their ratio (Java / C), all from this one run. Exit status 1 if a sum is wrong or the C side fails.
 *
 * <p>The module directory (for the C source and {@code target/}) is found from this class's location
 * ({@code target/classes} or the module jar in {@code target/}), or set with
 * {@code -Dbluefog.mpi.module.dir=DIR}.
 */
public final class AllreduceBenchmark {
    /**
     * Buffer sizes, warm-up and timed iterations: many for 1 MB (well under a millisecond each, so
     * the median needs them on a shared machine), few for 100 MB (~0.3 to 0.5 s each on 2 cores).
     */
    static final List<Case> CASES = List.of(
            new Case("1 MB", 1L << 20, 20, 200),
            new Case("100 MB", 100L << 20, 2, 10));

    private static final Pattern C_LINE = Pattern.compile(
            "allreduce_bench bytes=(\\d+) iterations=(\\d+) median_seconds=([0-9.eE+-]+) check=(ok|wrong)");

    /** One buffer size of the benchmark. */
    record Case(String label, long bytes, int warmup, int iterations) {
        int elements() {
            return Math.toIntExact(bytes / Float.BYTES);
        }
    }

    private AllreduceBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rank;
        int size;
        double[] javaMedians = new double[CASES.size()];
        boolean javaOk = true;
        try (BlueFog bf = BlueFog.init(args)) {
            Communicator comm = bf.communicator();
            if (!comm.transportName().equals("mpi")) {
                System.err.println("allreduce-bench: not started by mpirun (transport '" + comm.transportName()
                        + "'); run: mpi-launch/bfrun -np 2 allreduce-bench");
                System.exit(2);
            }
            rank = bf.rank();
            size = bf.size();
            for (int c = 0; c < CASES.size(); c++) {
                double median = timeJava(comm, CASES.get(c));
                javaOk &= median >= 0;
                javaMedians[c] = Math.abs(median);
            }
        }
        if (rank != 0) {
            return;
        }
        Map<Long, Double> cMedians = runC(size);
        print(size, javaMedians, cMedians);
        boolean cOk = CASES.stream().allMatch(c -> cMedians.containsKey(c.bytes()));
        if (!javaOk || !cOk) {
            System.exit(1);
        }
    }

    /**
     * Times {@code c.iterations()} in-place sum allreduces (after {@code c.warmup()}), each preceded by
     * a barrier, taking the slowest rank's time per iteration.
     *
     * @return the median in seconds, negated if the first sum was wrong
     */
    static double timeJava(Communicator comm, Case c) {
        int n = c.elements();
        FloatBuffer x = ByteBuffer.allocateDirect(Math.toIntExact(c.bytes())).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        for (int i = 0; i < n; i++) {
            x.put(i, comm.rank() + 1);
        }
        DoubleBuffer slowest = ByteBuffer.allocateDirect(Double.BYTES).order(ByteOrder.nativeOrder()).asDoubleBuffer();
        double[] times = new double[c.iterations()];
        boolean ok = true;
        for (int it = 0; it < c.warmup() + c.iterations(); it++) {
            comm.barrier();
            long t0 = System.nanoTime();
            comm.allreduce(x, ReduceOp.SUM);
            double t = (System.nanoTime() - t0) * 1e-9;
            if (it == 0) {
                // Sum over ranks of (rank + 1); later iterations multiply by size (float32 stays finite).
                float expected = comm.size() * (comm.size() + 1) / 2f;
                ok = x.get(0) == expected && x.get(n - 1) == expected;
            }
            slowest.put(0, t);
            comm.allreduce(slowest, ReduceOp.MAX);
            if (it >= c.warmup()) {
                times[it - c.warmup()] = slowest.get(0);
            }
        }
        DoubleBuffer allOk = ByteBuffer.allocateDirect(Double.BYTES).order(ByteOrder.nativeOrder()).asDoubleBuffer();
        allOk.put(0, ok ? 1 : 0);
        comm.allreduce(allOk, ReduceOp.MIN);
        double median = median(times);
        return allOk.get(0) == 1 ? median : -median;
    }

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int m = v.length / 2;
        return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
    }

    /** Compiles (if needed) and runs the C benchmark; returns median seconds by buffer bytes. */
    static Map<Long, Double> runC(int np) throws IOException, InterruptedException, URISyntaxException {
        Path module = moduleDir();
        Path source = module.resolve("src/main/c/allreduce_bench.c");
        Path binary = module.resolve("target/allreduce_bench");
        if (!Files.exists(source)) {
            throw new IOException("C benchmark source not found: " + source + " (set -Dbluefog.mpi.module.dir)");
        }
        if (!Files.exists(binary) || Files.getLastModifiedTime(binary).compareTo(Files.getLastModifiedTime(source)) < 0) {
            Files.createDirectories(binary.getParent());
            run(List.of("mpicc", "-O2", "-o", binary.toString(), source.toString()), "mpicc");
        }
        List<String> cmd = new ArrayList<>(List.of("mpirun", "-np", Integer.toString(np)));
        if ("root".equals(System.getProperty("user.name"))) {
            cmd.add("--allow-run-as-root");
        }
        if (np > Runtime.getRuntime().availableProcessors()) {
            cmd.add("--oversubscribe");
        }
        cmd.add(binary.toString());
        for (Case c : CASES) {
            cmd.addAll(List.of(Long.toString(c.bytes()), Integer.toString(c.warmup()), Integer.toString(c.iterations())));
        }
        String out = run(cmd, "mpirun allreduce_bench");
        Map<Long, Double> medians = new java.util.HashMap<>();
        Matcher m = C_LINE.matcher(out);
        while (m.find()) {
            if (m.group(4).equals("ok")) {
                medians.put(Long.parseLong(m.group(1)), Double.parseDouble(m.group(3)));
            } else {
                System.err.println("allreduce_bench: wrong sum for " + m.group(1) + " bytes");
            }
        }
        return medians;
    }

    /**
     * Runs a command with this process's environment minus Open MPI's per-job variables: this JVM was
     * itself a rank of an mpirun job, and a nested mpirun that inherits them would try to join it.
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

    static Path moduleDir() throws URISyntaxException {
        String dir = System.getProperty("bluefog.mpi.module.dir");
        if (dir != null) {
            return Path.of(dir);
        }
        // target/classes/ or target/bluefog-mpi-launch-*.jar -> the module directory two levels up.
        Path location = Path.of(AllreduceBenchmark.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        return location.getParent().getParent();
    }

    private static void print(int np, double[] javaMedians, Map<Long, Double> cMedians) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "allreduce of float32, in-place sum, np = %d; median over iterations of"
                + " the slowest rank's time%n", np));
        sb.append(String.format(Locale.ROOT, "%-8s %6s %22s %26s %10s%n", "size", "iters",
                "bluefog-jvm MPI (ms)", "Open MPI C Allreduce (ms)", "Java / C"));
        for (int c = 0; c < CASES.size(); c++) {
            Case k = CASES.get(c);
            Double cm = cMedians.get(k.bytes());
            sb.append(String.format(Locale.ROOT, "%-8s %6d %22.3f %26s %10s%n", k.label(), k.iterations(),
                    javaMedians[c] * 1e3, cm == null ? "failed" : String.format(Locale.ROOT, "%.3f", cm * 1e3),
                    cm == null ? "-" : String.format(Locale.ROOT, "%.2f", javaMedians[c] / cm)));
        }
        System.out.print(sb);
        System.out.flush();
    }
}
