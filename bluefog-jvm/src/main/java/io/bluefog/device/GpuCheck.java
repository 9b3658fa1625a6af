package io.bluefog.device;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.bluefog.comm.Communicator;
import io.bluefog.comm.DType;
import io.bluefog.local.LocalCluster;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.JCudaDriver;

/**
 * The GPU check that {@code mpi-launch/gpu-check} bundles and runs on a GPU machine (no ND4J, no
 * Maven): probes the device, checks {@link CudaBackend}'s combine and SGD kernels bit for bit against
 * {@link CpuBackend} (float32 and float64, 1 element to 100 MB, 0 to 6 sources besides self, weighted
 * and uniform), checks {@link DeviceGossip} neighborAllreduce and allreduce among 2 and 4 LocalCluster
 * ranks sharing the GPU against the CPU backend, and times one device call next to a device-to-device
 * copy of the same bytes and next to the CPU path. Writes a JSON summary.
 *
 * <p>Exit codes: {@value #EXIT_OK} every check passed on a GPU; {@value #EXIT_MISMATCH} a check
 * failed; {@value #EXIT_USAGE} bad arguments or an unexpected error; {@value #EXIT_NO_GPU} no usable
 * GPU (the CPU reference checks ran and passed; the JSON has {@code "gpu": false} and the reason).
 *
 * <p>Usage: {@code GpuCheck --json FILE [--max-mb N] [--reps N]}.
 */
public final class GpuCheck {
    public static final int EXIT_OK = 0;
    public static final int EXIT_MISMATCH = 1;
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_NO_GPU = 3;

    private final PrintStream log;
    private final List<Map<String, Object>> checks = new ArrayList<>();
    private final List<Map<String, Object>> timings = new ArrayList<>();
    private int failed;

    private GpuCheck(PrintStream log) {
        this.log = log;
    }

    public static void main(String[] args) {
        int code;
        try {
            code = run(args, System.out);
        } catch (IllegalArgumentException e) {
            System.err.println("gpu-check: " + e.getMessage());
            code = EXIT_USAGE;
        } catch (Exception | Error e) {
            System.err.println("gpu-check: unexpected failure: " + e);
            e.printStackTrace();
            code = EXIT_USAGE;
        }
        System.exit(code);
    }

    /** Runs the check; returns the exit code. */
    public static int run(String[] args, PrintStream log) throws IOException {
        Path json = null;
        long maxMb = 100;
        int reps = 5;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--json" -> json = Path.of(need(a, v));
                case "--max-mb" -> maxMb = positive(a, need(a, v));
                case "--reps" -> reps = (int) positive(a, need(a, v));
                default -> throw new IllegalArgumentException("unknown argument '" + a
                        + "'; usage: GpuCheck --json FILE [--max-mb N] [--reps N]");
            }
            i++;
        }
        if (json == null) {
            throw new IllegalArgumentException("--json FILE is required");
        }
        return new GpuCheck(log).execute(json, maxMb * 1_000_000L, reps);
    }

    private static String need(String flag, String v) {
        if (v == null) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return v;
    }

    private static long positive(String flag, String v) {
        try {
            long n = Long.parseLong(v);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new IllegalArgumentException(flag + " '" + v + "' must be a positive integer");
    }

    private int execute(Path json, long maxBytes, int reps) throws IOException {
        long t0 = System.nanoTime();
        Map<String, Object> probe = probe();
        boolean gpu = (Boolean) probe.get("gpu");
        log.println(gpu ? "gpu-check: GPU " + probe.get("name") + " (cuda:0 of " + probe.get("count") + ", driver "
                + probe.get("driver_version") + ", compute capability " + probe.get("compute_capability") + ")"
                : "gpu-check: NO GPU: " + probe.get("reason") + "; running the CPU reference checks only, exit code "
                        + EXIT_NO_GPU);
        long limit = gpu ? maxBytes : Math.min(maxBytes, 1_000_000L);
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            section("kernels " + dt.label(), () -> kernels(gpu, dt, limit));
        }
        for (int size : new int[] {2, 4}) {
            for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                section("gossip " + size + " ranks " + dt.label(),
                        () -> gossip(gpu, size, dt, (int) Math.min(1 << 18, limit / dt.bytes()), 0));
            }
        }
        long[] timedBytes = gpu ? new long[] {4L << 20, Math.min(maxBytes, 100_000_000L)} : new long[] {1L << 20};
        for (int size : new int[] {2, 4}) {
            for (long b : timedBytes) {
                section("timing " + size + " ranks " + b + " bytes",
                        () -> gossip(gpu, size, DType.FLOAT32, (int) (b / 4), reps));
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        int code = failed > 0 ? EXIT_MISMATCH : gpu ? EXIT_OK : EXIT_NO_GPU;
        write(json, probe, gpu, seconds, code);
        log.printf(Locale.ROOT, "gpu-check: %d checks, %d failed, %.1f s; summary in %s; exit %d%n", checks.size(), failed,
                seconds, json, code);
        return code;
    }

    /**
     * Runs one part; an exception (a CUDA error, a missing class) is recorded as a failed check with
     * its message and the run goes on, so that one run on a GPU machine reports every part.
     */
    private void section(String name, Runnable part) {
        try {
            part.run();
        } catch (RuntimeException | Error e) {
            log.println("gpu-check: ERROR in " + name + ": " + e);
            e.printStackTrace(log);
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("name", name);
            c.put("error", String.valueOf(e));
            c.put("pass", false);
            checks.add(c);
            failed++;
        }
    }

    /** The driver-API probe (what {@link CudaBackend} needs) next to the runtime-API count {@link Devices} uses. */
    private static Map<String, Object> probe() {
        Map<String, Object> p = new LinkedHashMap<>();
        try {
            JCudaDriver.setExceptionsEnabled(true);
            JCudaDriver.cuInit(0);
            int[] v = new int[1];
            JCudaDriver.cuDriverGetVersion(v);
            p.put("driver_version", (v[0] / 1000) + "." + (v[0] % 1000 / 10));
            JCudaDriver.cuDeviceGetCount(v);
            p.put("count", v[0]);
            if (v[0] == 0) {
                p.put("gpu", false);
                p.put("reason", "the CUDA driver reports 0 devices");
                return p;
            }
            CUdevice d = new CUdevice();
            JCudaDriver.cuDeviceGet(d, 0);
            byte[] name = new byte[256];
            JCudaDriver.cuDeviceGetName(name, name.length, d);
            int len = 0;
            while (len < name.length && name[len] != 0) {
                len++;
            }
            p.put("name", new String(name, 0, len, java.nio.charset.StandardCharsets.US_ASCII));
            int[] major = new int[1];
            int[] minor = new int[1];
            JCudaDriver.cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, d);
            JCudaDriver.cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, d);
            p.put("compute_capability", major[0] + "." + minor[0]);
            long[] mem = new long[1];
            JCudaDriver.cuDeviceTotalMem(mem, d);
            p.put("memory_bytes", mem[0]);
            p.put("runtime_api_device_count", Devices.cudaDeviceCount());
            p.put("gpu", true);
        } catch (Throwable e) { // UnsatisfiedLinkError (no libcuda), CudaException (no device / driver too old)
            p.put("gpu", false);
            p.put("reason", reason(e));
        }
        return p;
    }

    /** One line: JCuda's loader nests the real cause (e.g. "libcuda.so.1: cannot open shared object file"). */
    static String reason(Throwable e) {
        String m = String.valueOf(e.getMessage());
        int at = m.lastIndexOf("UnsatisfiedLinkError: ");
        if (at >= 0) {
            String tail = m.substring(at + "UnsatisfiedLinkError: ".length());
            int nl = tail.indexOf('\n');
            return "no CUDA driver: " + (nl >= 0 ? tail.substring(0, nl) : tail).trim();
        }
        int nl = m.indexOf('\n');
        return e.getClass().getSimpleName() + ": " + (nl >= 0 ? m.substring(0, nl) : m);
    }

    // ---------------------------------------------------------------- kernels

    private void kernels(boolean gpu, DType dt, long maxBytes) {
        int max = (int) Math.max(1, maxBytes / dt.bytes());
        int[] lengths = Arrays.stream(new int[] {1, 1000, (1 << 20) / dt.bytes() + 3, max}).filter(n -> n <= max)
                .distinct().toArray();
        int ns = 7;
        try (CpuBackend cpu = new CpuBackend(); DeviceBackend dev = gpu ? CudaBackend.open(0) : null) {
            DeviceBuffer[] cs = new DeviceBuffer[ns];
            DeviceBuffer[] gs = new DeviceBuffer[ns];
            for (int k = 0; k < ns; k++) {
                ByteBuffer host = random(dt, max, 17 + k);
                cs[k] = cpu.allocate(dt, max);
                cpu.upload(typed(host, dt), cs[k]);
                if (gpu) {
                    gs[k] = dev.allocate(dt, max);
                    dev.upload(typed(host, dt), gs[k]);
                }
            }
            DeviceBuffer co = cpu.allocate(dt, max);
            DeviceBuffer go = gpu ? dev.allocate(dt, max) : null;
            ByteBuffer down = ByteBuffer.allocateDirect(max * dt.bytes()).order(ByteOrder.nativeOrder());
            for (int n : lengths) {
                for (int sources = 0; sources <= 6; sources++) {
                    for (boolean uniform : new boolean[] {false, true}) {
                        int m = sources + 1;
                        double[] w = new double[m];
                        for (int k = 0; k < m; k++) {
                            w[k] = uniform ? 1.0 : 0.1 + 0.13 * k;
                        }
                        double div = uniform ? m : 0;
                        String name = "combine " + dt.label() + " n=" + n + " sources=" + sources
                                + (uniform ? " uniform" : " weighted");
                        DeviceBuffer[] csrc = Arrays.copyOf(cs, m);
                        try (DeviceBackend.CombinePlan p = cpu.plan(co, csrc, w, div)) {
                            cpu.combineAsync(p, 0, n);
                        }
                        if (!gpu) {
                            verifyCpu(name, dt, co, cs, w, div, n);
                            continue;
                        }
                        try (DeviceBackend.CombinePlan p = dev.plan(go, Arrays.copyOf(gs, m), w, div)) {
                            dev.combineAsync(p, 0, n);
                        }
                        dev.synchronize();
                        compare(name, cpu, co, dev, go, n, down);
                    }
                }
                if (gpu) {
                    sgdGpu(cpu, dev, dt, n);
                }
            }
            if (!gpu) {
                sgdCpu(dt);
            }
            for (DeviceBuffer b : gs) {
                if (b != null) {
                    b.close();
                }
            }
            if (go != null) {
                go.close();
            }
        }
    }

    /** SGD with and without momentum, three steps, CPU vs GPU on the same seeded x, g, v. */
    private void sgdGpu(CpuBackend cpu, DeviceBackend dev, DType dt, int n) {
        ByteBuffer down = ByteBuffer.allocateDirect(n * dt.bytes()).order(ByteOrder.nativeOrder());
        for (boolean momentum : new boolean[] {false, true}) {
            String name = "sgd " + dt.label() + " n=" + n + (momentum ? " momentum 0.9" : " plain");
            DeviceBuffer[] c = new DeviceBuffer[3];
            DeviceBuffer[] g = new DeviceBuffer[3];
            for (int i = 0; i < 3; i++) {
                ByteBuffer h = random(dt, n, 300 + i);
                c[i] = cpu.allocate(dt, n);
                cpu.upload(typed(h, dt), c[i]);
                g[i] = dev.allocate(dt, n);
                dev.upload(typed(h, dt), g[i]);
            }
            for (int step = 0; step < 3; step++) {
                cpu.sgdUpdate(c[0], c[1], momentum ? c[2] : null, 0.05, 0.9);
                dev.sgdUpdate(g[0], g[1], momentum ? g[2] : null, 0.05, 0.9);
            }
            compare(name + " x", cpu, c[0], dev, g[0], n, down);
            if (momentum) {
                compare(name + " velocity", cpu, c[2], dev, g[2], n, down);
            }
            for (DeviceBuffer b : g) {
                b.close();
            }
        }
    }

    /** Without a GPU: the CPU backend's combine against the formula written out element by element. */
    private void verifyCpu(String name, DType dt, DeviceBuffer co, DeviceBuffer[] cs, double[] w, double div, int n) {
        int checkN = Math.min(n, 4096);
        double[] out = values(co, checkN);
        double[][] src = new double[w.length][];
        for (int k = 0; k < w.length; k++) {
            src[k] = values(cs[k], checkN);
        }
        long bad = 0;
        for (int j = 0; j < checkN; j++) {
            double acc = w[0] * src[0][j];
            for (int k = 1; k < w.length; k++) {
                acc = acc + w[k] * src[k][j];
            }
            if (div != 0) {
                acc = acc / div;
            }
            double expect = dt == DType.FLOAT32 ? (float) acc : acc;
            if (Double.doubleToRawLongBits(expect) != Double.doubleToRawLongBits(out[j])) {
                bad++;
            }
        }
        record(name + " (cpu vs formula, first " + checkN + ")", bad, checkN);
    }

    private void sgdCpu(DType dt) {
        try (CpuBackend cpu = new CpuBackend()) {
            DeviceBuffer x = cpu.allocate(dt, 2);
            DeviceBuffer g = cpu.allocate(dt, 2);
            DeviceBuffer v = cpu.allocate(dt, 2);
            cpu.upload(typed(fill(dt, 1.0, -2.0), dt), x);
            cpu.upload(typed(fill(dt, 0.5, 4.0), dt), g);
            cpu.upload(typed(fill(dt, 0.0, 0.0), dt), v);
            cpu.sgdUpdate(x, g, v, 0.25, 0.5);
            cpu.sgdUpdate(x, g, v, 0.25, 0.5);
            double[] got = values(x, 2);
            // v1 = g, x1 = x - g / 4; v2 = 0.5 g + g, x2 = x1 - 1.5 g / 4: (1, -2), g = (0.5, 4) -> (0.6875, -4.5)
            long bad = (got[0] == 0.6875 ? 0 : 1) + (got[1] == -4.5 ? 0 : 1);
            record("sgd " + dt.label() + " momentum (cpu vs closed form)", bad, 2);
        }
    }

    private void compare(String name, DeviceBackend cpu, DeviceBuffer c, DeviceBackend dev, DeviceBuffer g, int n,
            ByteBuffer down) {
        DType dt = c.dtype();
        ByteBuffer all = down.duplicate().order(ByteOrder.nativeOrder());
        all.clear();
        dev.download(g, typed(all.limit(g.length() * dt.bytes()).slice().order(ByteOrder.nativeOrder()), dt));
        ByteBuffer ref = ((ByteBuffer) c.memory()).duplicate();
        ByteBuffer a = all.duplicate().position(0).limit(n * dt.bytes());
        ByteBuffer b = ref.position(0).limit(n * dt.bytes());
        long bad = 0;
        int first = a.mismatch(b);
        if (first >= 0) {
            for (int i = 0; i < n * dt.bytes(); i += dt.bytes()) {
                if (dt == DType.FLOAT32 ? a.getInt(i) != b.getInt(i) : a.getLong(i) != b.getLong(i)) {
                    bad++;
                }
            }
        }
        record(name, bad, n);
    }

    private void record(String name, long mismatches, long elements) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("name", name);
        c.put("elements", elements);
        c.put("mismatches", mismatches);
        c.put("pass", mismatches == 0);
        checks.add(c);
        if (mismatches != 0) {
            failed++;
            log.println("gpu-check: MISMATCH " + name + ": " + mismatches + " of " + elements + " elements differ");
        }
    }

    // ---------------------------------------------------------------- gossip

    /**
     * Ring neighborAllreduce (explicit weights, then uniform) and allreduce (average) among {@code size}
     * ranks as threads; with a GPU each rank runs them on its CudaBackend and on a CpuBackend and
     * compares; {@code reps > 0} also times them.
     */
    private void gossip(boolean gpu, int size, DType dt, int n, int reps) {
        String tag = size + " ranks " + dt.label() + " n=" + n;
        List<Object[]> per = LocalCluster.builder(size).timeoutMillis(120_000).build().call(bf -> {
            Communicator comm = bf.communicator();
            int r = comm.rank();
            int a = (r + size - 1) % size;
            int b = (r + 1) % size;
            int[] nb = a == b ? new int[] {a} : new int[] {Math.min(a, b), Math.max(a, b)};
            double[] w = new double[nb.length];
            double[] uw = new double[nb.length];
            for (int k = 0; k < nb.length; k++) {
                w[k] = 0.25 + 0.125 * k;
                uw[k] = 1.0 / (nb.length + 1);
            }
            double self = 1.0 - Arrays.stream(w).sum();
            ByteBuffer host = random(dt, n, 1000 + r);
            long[] bad = new long[3];
            double[] ms = new double[4];
            try (CpuBackend cpu = new CpuBackend(); DeviceBackend dev = gpu ? CudaBackend.open(0) : null) {
                DeviceBuffer cx = cpu.allocate(dt, n);
                DeviceBuffer co = cpu.allocate(dt, n);
                cpu.upload(typed(host, dt), cx);
                DeviceBackend main = gpu ? dev : cpu;
                DeviceBuffer x = gpu ? dev.allocate(dt, n) : cx;
                DeviceBuffer o = gpu ? dev.allocate(dt, n) : co;
                if (gpu) {
                    dev.upload(typed(host, dt), x);
                }
                ByteBuffer down = ByteBuffer.allocateDirect(n * dt.bytes()).order(ByteOrder.nativeOrder());
                int chunk = DeviceGossip.DEFAULT_CHUNK_ELEMENTS;
                Runnable[] ops = {
                    () -> DeviceGossip.neighborAllreduce(comm, main, x, o, self, nb, w, nb, chunk, 1),
                    () -> DeviceGossip.neighborAllreduce(comm, main, x, o, uw[0], nb, uw, nb, chunk, 1),
                    () -> DeviceGossip.allreduce(comm, main, x, o, true, chunk, 2)};
                Runnable[] refs = {
                    () -> DeviceGossip.neighborAllreduce(comm, cpu, cx, co, self, nb, w, nb, chunk, 1),
                    () -> DeviceGossip.neighborAllreduce(comm, cpu, cx, co, uw[0], nb, uw, nb, chunk, 1),
                    () -> DeviceGossip.allreduce(comm, cpu, cx, co, true, chunk, 2)};
                for (int i = 0; i < ops.length; i++) {
                    ops[i].run();
                    if (gpu) {
                        refs[i].run();
                        main.download(o, typed(down.clear(), dt));
                        bad[i] = down.clear().mismatch(((ByteBuffer) co.memory()).duplicate().clear()) < 0 ? 0 : 1;
                    } else {
                        bad[i] = 0; // checked against the serial formula by DeviceGossipTest; here it runs for timing
                    }
                }
                if (reps > 0) {
                    ms[0] = median(reps, comm, ops[0]);
                    ms[1] = median(reps, comm, () -> main.copy(x, o));
                    ms[2] = median(reps, comm, refs[0]);
                    ms[3] = median(reps, comm, ops[2]);
                }
                if (gpu) {
                    x.close();
                    o.close();
                    dev.synchronize();
                }
            }
            return new Object[] {bad, ms};
        });
        String[] names = {"neighborAllreduce weighted", "neighborAllreduce uniform", "allreduce average"};
        for (int i = 0; i < names.length; i++) {
            if (reps > 0) {
                break;
            }
            long bad = 0;
            for (Object[] o : per) {
                bad += ((long[]) o[0])[i];
            }
            if (gpu) {
                record(names[i] + " device vs cpu, " + tag, bad, n);
            }
        }
        if (reps > 0) {
            double[] ms = (double[]) per.get(0)[1];
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("ranks", size);
            t.put("dtype", dt.label());
            t.put("bytes", (long) n * dt.bytes());
            t.put("on", gpu ? "gpu" : "cpu");
            t.put("neighbor_allreduce_ms", ms[0]);
            t.put(gpu ? "device_to_device_copy_ms" : "host_copy_ms", ms[1]);
            t.put("cpu_neighbor_allreduce_ms", ms[2]);
            t.put("allreduce_ms", ms[3]);
            t.put("neighbor_allreduce_over_copy", ms[0] / ms[1]);
            t.put("neighbor_allreduce_over_cpu", ms[0] / ms[2]);
            timings.add(t);
            log.printf(Locale.ROOT, "gpu-check: %s: neighborAllreduce %.3f ms, %s copy %.3f ms (x%.1f), CPU path %.3f ms,"
                    + " allreduce %.3f ms%n", tag, ms[0], gpu ? "device-to-device" : "host", ms[1], ms[0] / ms[1], ms[2],
                    ms[3]);
        }
    }

    /** Median wall time of {@code op} over {@code reps} calls, each started together on all ranks (barrier). */
    private static double median(int reps, Communicator comm, Runnable op) {
        double[] t = new double[reps];
        for (int i = 0; i < reps; i++) {
            comm.barrier();
            long s = System.nanoTime();
            op.run();
            t[i] = (System.nanoTime() - s) / 1e6;
        }
        Arrays.sort(t);
        return t[reps / 2];
    }

    // ---------------------------------------------------------------- data

    /** n values in [-0.5, 0.5) of dtype dt from a SplitMix64 sequence seeded by {@code seed}. */
    static ByteBuffer random(DType dt, int n, long seed) {
        ByteBuffer b = ByteBuffer.allocateDirect(n * dt.bytes()).order(ByteOrder.nativeOrder());
        long z = seed * 0x9E3779B97F4A7C15L;
        for (int j = 0; j < n; j++) {
            z += 0x9E3779B97F4A7C15L;
            long m = z;
            m = (m ^ (m >>> 30)) * 0xBF58476D1CE4E5B9L;
            m = (m ^ (m >>> 27)) * 0x94D049BB133111EBL;
            m ^= m >>> 31;
            double v = (m >>> 11) * 0x1.0p-53 - 0.5;
            if (dt == DType.FLOAT32) {
                b.putFloat(j * 4, (float) v);
            } else {
                b.putDouble(j * 8, v);
            }
        }
        return b;
    }

    private static ByteBuffer fill(DType dt, double... v) {
        ByteBuffer b = ByteBuffer.allocateDirect(v.length * dt.bytes()).order(ByteOrder.nativeOrder());
        for (int j = 0; j < v.length; j++) {
            if (dt == DType.FLOAT32) {
                b.putFloat(j * 4, (float) v[j]);
            } else {
                b.putDouble(j * 8, v[j]);
            }
        }
        return b;
    }

    private static java.nio.Buffer typed(ByteBuffer b, DType dt) {
        ByteBuffer d = b.duplicate().order(ByteOrder.nativeOrder());
        return dt == DType.FLOAT32 ? d.asFloatBuffer() : d.asDoubleBuffer();
    }

    private static double[] values(DeviceBuffer cpuBuffer, int n) {
        ByteBuffer m = ((ByteBuffer) cpuBuffer.memory()).duplicate().order(ByteOrder.nativeOrder());
        double[] out = new double[n];
        if (cpuBuffer.dtype() == DType.FLOAT32) {
            FloatBuffer f = m.asFloatBuffer();
            for (int j = 0; j < n; j++) {
                out[j] = f.get(j);
            }
        } else {
            DoubleBuffer d = m.asDoubleBuffer();
            d.get(0, out, 0, n);
        }
        return out;
    }

    // ---------------------------------------------------------------- output

    private void write(Path json, Map<String, Object> probe, boolean gpu, double seconds, int code) throws IOException {
        Path dir = json.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".gpu-check", ".json");
        try (JsonGenerator g = new JsonFactory().createGenerator(tmp.toFile(), JsonEncoding.UTF8)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeBooleanField("gpu", gpu);
            g.writeNumberField("exit_code", code);
            g.writeNumberField("checks_total", checks.size());
            g.writeNumberField("checks_failed", failed);
            g.writeBooleanField("all_passed", failed == 0);
            g.writeNumberField("seconds", seconds);
            g.writeObjectFieldStart("device");
            for (Map.Entry<String, Object> e : probe.entrySet()) {
                field(g, e.getKey(), e.getValue());
            }
            g.writeEndObject();
            g.writeStringField("java", System.getProperty("java.version"));
            g.writeArrayFieldStart("timings");
            for (Map<String, Object> t : timings) {
                object(g, t);
            }
            g.writeEndArray();
            g.writeArrayFieldStart("checks");
            for (Map<String, Object> c : checks) {
                object(g, c);
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        Files.move(tmp, json, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void object(JsonGenerator g, Map<String, Object> m) throws IOException {
        g.writeStartObject();
        for (Map.Entry<String, Object> e : m.entrySet()) {
            field(g, e.getKey(), e.getValue());
        }
        g.writeEndObject();
    }

    private static void field(JsonGenerator g, String k, Object v) throws IOException {
        if (v instanceof Boolean b) {
            g.writeBooleanField(k, b);
        } else if (v instanceof Integer i) {
            g.writeNumberField(k, i);
        } else if (v instanceof Long l) {
            g.writeNumberField(k, l);
        } else if (v instanceof Double d) {
            g.writeNumberField(k, d);
        } else {
            g.writeStringField(k, String.valueOf(v));
        }
    }
}
