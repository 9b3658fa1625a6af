package io.bluefog.examples.bench;

import io.bluefog.BlueFog;
import io.bluefog.collectives.Collectives;
import io.bluefog.collectives.Mixing;
import io.bluefog.comm.ReduceOp;
import io.bluefog.examples.cli.JsonLines;
import io.bluefog.examples.cli.TransportOptions;
import io.bluefog.topology.Topologies;
import io.bluefog.topology.Topology;
import io.bluefog.topology.dynamic.DynamicTopology;
import io.bluefog.topology.dynamic.Schedules;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.IntConsumer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Collectives benchmark (not a test): for each tensor size, median milliseconds per call of
 * neighborAllreduce on the ring (in place and returning a new array), the exponential graph, the
 * one-peer exponential schedule, allreduce (average in place; sum in place and new array),
 * broadcast (in place and new array) and allgather (new array, and as its reference the transport's
 * allgatherv into a held array), next to two references written in C with MPI
 * and run through JNI inside the same job ({@code examples/src/main/c/neighbor_exchange.c},
 * compiled with mpicc at run time into {@code examples/target/}): the same in-place ring exchange
 * + weighted sum, and Open MPI's own in-place {@code MPI_Allreduce} sum. Each row shows its ratio to
 * the ring reference, or for the allreduce sum rows (marked {@code *}) to {@code MPI_Allreduce};
 * a new-array row also shows its ratio to its in-place form. Every call is preceded by a barrier; a
 * call's time is the slowest rank's, and a round's figure is the median over its iterations. Each
 * size runs several rounds, each timing the C references and then every operation (odd rounds in
 * reverse order), so that a slow phase of a shared machine hits both sides of a ratio (every
 * measurement starts from the same values of the tensor, restored after each); the table shows the
 * median over rounds of
 * the times and of the per-round ratios, and the smallest and largest per-round ratio. Every row
 * also reports the heap bytes a steady-state call allocates (caller plus communication thread,
 * from {@code com.sun.management.ThreadMXBean}; the barriers in the timed window are counted).
 *
 * <pre>
 * mpi-launch/bfrun -np 4 collectives-bench [--sizes 4KB,1MB,25MB,100MB] [--json]
 * </pre>
 */
@Command(name = "collectives-bench", mixinStandardHelpOptions = true,
        description = "Median ms per call of bluefog-jvm collectives vs the same neighbor exchange in C/MPI.")
public final class CollectivesBenchmark implements Callable<Integer> {
    @Option(names = "--sizes", defaultValue = "4KB,1MB,25MB,100MB", split = ",", converter = ByteSize.class,
            description = "tensor sizes in bytes with KB/MB suffixes (1 KB = 1024 B) (default: ${DEFAULT-VALUE})")
    List<Long> sizes;

    @Option(names = "--iterations", description = "timed calls per size (default: 200 for <= 64 KB, 40 for <= 4 MB, 10 above)")
    Integer iterations;

    @Option(names = "--rounds",
            description = "rounds per size; each round times the C reference and then every operation (default: 15 for <= 64 KB, 5 above)")
    Integer rounds;

    @Option(names = "--warmup", defaultValue = "3", description = "untimed calls before each measurement (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--jit-warmup", defaultValue = "500",
            description = "calls of every operation on a 4 KB tensor before any measurement, so the JIT has compiled"
                    + " the whole path (default: ${DEFAULT-VALUE})")
    int jitWarmup;

    @Option(names = "--no-c", description = "skip the C/MPI reference (always skipped with --transport local)")
    boolean noC;

    @Option(names = "--c-source", description = "path of neighbor_exchange.c (default: found next to the examples' target/classes)")
    Path cSource;

    @Option(names = "--json", description = "print one JSON object per row instead of a table")
    boolean json;

    @Option(names = "--only", split = ",",
            description = "time only the rows whose operation name contains one of these words, e.g. broadcast,allgather"
                    + " (a new-array row keeps its in-place row; default: every row)")
    List<String> only;

    @Mixin
    TransportOptions where = new TransportOptions(4);

    private final PrintStream out = System.out;

    public static void main(String[] args) {
        System.exit(new CommandLine(new CollectivesBenchmark()).execute(args));
    }

    /** {@code --sizes}: {@link #parseBytes}, whose error becomes picocli's usage error. */
    static final class ByteSize implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                return parseBytes(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /**
     * @return bytes of a size like {@code 4KB}, {@code 25MB} or {@code 512}
     * @throws IllegalArgumentException if not a positive multiple of 4 bytes with an optional B/KB/MB suffix
     */
    static long parseBytes(String s) {
        String t = s.trim().toUpperCase(Locale.ROOT);
        long unit = 1;
        if (t.endsWith("KB")) {
            unit = 1024;
            t = t.substring(0, t.length() - 2);
        } else if (t.endsWith("MB")) {
            unit = 1024 * 1024;
            t = t.substring(0, t.length() - 2);
        } else if (t.endsWith("B")) {
            t = t.substring(0, t.length() - 1);
        }
        try {
            long v = Long.parseLong(t.trim()) * unit;
            if (v < 4 || v % 4 != 0) {
                throw new IllegalArgumentException("size " + s + " must be a positive multiple of 4 bytes (float32)");
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("size '" + s + "' is not a number of bytes like 4KB or 25MB");
        }
    }

    @Override
    public Integer call() throws Exception {
        long[] bytes = sizes.stream().mapToLong(Long::longValue).toArray();
        if (rounds != null && rounds < 1) {
            throw new IllegalArgumentException("--rounds must be >= 1, got " + rounds);
        }
        where.call(bf -> {
            run(bf, bytes, !noC && bf.communicator().transportName().equals("mpi"));
            return null;
        });
        return 0;
    }

    /**
     * Rounds per size: small rows take milliseconds, and their per-round ratios scatter by 20-30% on
     * the 2-core VM (a 4 KB call is 4-8 us), so small sizes take three times as many rounds.
     */
    private int roundsFor(long bytes) {
        if (rounds != null) {
            return rounds;
        }
        return bytes <= 64 * 1024 ? 15 : 5;
    }

    private int iterationsFor(long bytes) {
        if (iterations != null) {
            return iterations;
        }
        return bytes <= 64 * 1024 ? 200 : bytes <= 4 * 1024 * 1024 ? 40 : 10;
    }

    void run(BlueFog bf, long[] sizesBytes, boolean withC) throws Exception {
        int n = bf.size();
        Topology ring = Topologies.ring(n);
        Topology exp = Topologies.exponential(n);
        DynamicTopology onePeer = Schedules.onePeerExponential(n);
        try (Collectives c = Collectives.of(bf)) {
            if (withC) {
                loadC(bf, c);
            }
            if (bf.rank() == 0 && !json) {
                out.printf(Locale.ROOT, "# collectives benchmark: np = %d (%s), float32; median over iterations of the slowest"
                        + " rank's ms per call; vs_C: to the C/MPI ring, rows marked * to C MPI_Allreduce;"
                        + " vs_in_place: a new-array form to its in-place form%n", n, bf.communicator().transportName());
                out.printf(Locale.ROOT, "%-8s %-34s %6s %11s %9s %15s %12s %14s%n", "size", "operation", "iters",
                        "median_ms", "vs_C", "vs_C_min..max", "vs_in_place", "heap_B/call");
            }
            INDArray small = Nd4j.rand(DataType.FLOAT, 1024);
            for (int k = 0; k < jitWarmup; k++) {
                c.neighborAllreduceInPlace(small, Mixing.of(ring));
                c.neighborAllreduce(small, Mixing.of(ring)).close();
                c.neighborAllreduceInPlace(small, Mixing.of(exp));
                c.neighborAllreduceInPlace(small, Mixing.of(onePeer.at(k)));
                c.allreduceInPlace(small, ReduceOp.AVG);
                c.allreduce(small, ReduceOp.SUM).close();
                c.broadcast(small, 0).close();
                c.allgather(small).close();
                c.barrier();
            }
            for (long b : sizesBytes) {
                long len = b / 4;
                int iters = iterationsFor(b);
                int rounds = roundsFor(b);
                INDArray x = Nd4j.rand(DataType.FLOAT, len);
                // Every row starts from these values: an in-place sum (MPI_Allreduce, allreduce sum)
                // multiplies x by n per call, which overflowed x to infinity within a few hundred calls.
                INDArray start = x.dup();
                List<String> names = new ArrayList<>();
                List<IntConsumer> ops = new ArrayList<>();
                // Per row: its C reference (RING or MPI_ALLREDUCE) and the row of its in-place form (-1: none).
                List<Integer> refs = new ArrayList<>();
                List<Integer> inPlaceRow = new ArrayList<>();
                IntConsumerRows rows = (name, ref, pair, op) -> {
                    if (only != null && only.stream().noneMatch(name::contains)
                            && !(pair < 0 && name.endsWith("(in place)") && only.stream().anyMatch(
                                    w -> name.replace("(in place)", "(new array)").contains(w)))) {
                        return -1;
                    }
                    names.add(name);
                    refs.add(ref);
                    inPlaceRow.add(pair < 0 ? -1 : pair);
                    ops.add(op);
                    return names.size() - 1;
                };
                int nar = rows.add("neighborAllreduce ring (in place)", RING, -1,
                        k -> c.neighborAllreduceInPlace(x, Mixing.of(ring)));
                rows.add("neighborAllreduce ring (new array)", RING, nar,
                        k -> c.neighborAllreduce(x, Mixing.of(ring)).close());
                rows.add("neighborAllreduce exponential", RING, -1, k -> c.neighborAllreduceInPlace(x, Mixing.of(exp)));
                rows.add("one-peer exponential (dynamic)", RING, -1,
                        k -> c.neighborAllreduceInPlace(x, Mixing.of(onePeer.at(k))));
                rows.add("allreduce (average)", RING, -1, k -> c.allreduceInPlace(x, ReduceOp.AVG));
                int ar = rows.add("allreduce sum (in place)", withC ? MPI_ALLREDUCE : RING, -1,
                        k -> c.allreduceInPlace(x, ReduceOp.SUM));
                rows.add("allreduce sum (new array)", withC ? MPI_ALLREDUCE : RING, ar,
                        k -> c.allreduce(x, ReduceOp.SUM).close());
                int bc = rows.add("broadcast (in place)", RING, -1, k -> c.broadcastInPlace(x, 0));
                rows.add("broadcast (new array)", RING, bc, k -> c.broadcast(x, 0).close());
                // allgather has no in-place form; its reference is the same exchange into an array the
                // caller holds: the transport's allgatherv (no negotiation, no engine), so the ratio
                // also carries the engine's per-call cost (about 10 us at 4 KB), not only the new array's.
                INDArray held = Nd4j.createUninitializedDetached(DataType.FLOAT, len * n);
                int[] counts = new int[n];
                Arrays.fill(counts, Math.toIntExact(len));
                // the caller holds the buffers too: two asNio() views per call (JNI, about 0.25 us each)
                // would be the benchmark's cost, not the transport's
                java.nio.FloatBuffer xView = floats(x);
                java.nio.FloatBuffer heldView = floats(held);
                int agRef = rows.add("allgather (transport, held array)", RING, -1,
                        k -> bf.communicator().allgatherv(xView, heldView, counts));
                rows.add("allgather (new array)", RING, agRef, k -> c.allgather(x).close());
                // Rounds interleave the C references and every operation, so that a slow phase of the
                // machine hits both sides of a ratio; each ratio is taken within its round.
                double[][] medians = new double[ops.size()][rounds];
                double[][] cMedians = new double[2][rounds];
                long[] heap = new long[ops.size()];
                for (int round = 0; round < rounds; round++) {
                    cMedians[RING][round] = withC ? median(c, cRing(bf, ring, x, iters)) : Double.NaN;
                    cMedians[MPI_ALLREDUCE][round] = withC ? median(c, cAllreduce(x, iters)) : Double.NaN;
                    x.assign(start);
                    for (int k = 0; k < ops.size(); k++) {
                        // odd rounds run the rows in reverse order, so that neither form of a
                        // new-array / in-place pair always runs right after the other
                        int o = round % 2 == 0 ? k : ops.size() - 1 - k;
                        Row r = measure(c, names.get(o), iters, ops.get(o), true);
                        x.assign(start);
                        medians[o][round] = r.medianMillis();
                        heap[o] = r.heapBytesPerCall();
                    }
                }
                if (bf.rank() == 0) {
                    if (withC) {
                        print(n, b, rounds, new Row("C/MPI ring, in place", iters, median(cMedians[RING]), 1.0, 1.0, 1.0, -1),
                                Double.NaN);
                        print(n, b, rounds, new Row("C MPI_Allreduce sum, in place", iters, median(cMedians[MPI_ALLREDUCE]),
                                1.0, 1.0, 1.0, -1), Double.NaN);
                    }
                    for (int o = 0; o < ops.size(); o++) {
                        double[] ratios = new double[rounds];
                        double[] toInPlace = new double[rounds];
                        for (int round = 0; round < rounds; round++) {
                            ratios[round] = medians[o][round] / cMedians[refs.get(o)][round];
                            int p = inPlaceRow.get(o);
                            toInPlace[round] = p < 0 ? Double.NaN : medians[o][round] / medians[p][round];
                        }
                        double[] sorted = ratios.clone();
                        Arrays.sort(sorted);
                        String name = names.get(o) + (refs.get(o) == MPI_ALLREDUCE ? " *" : "");
                        print(n, b, rounds, new Row(name, iters, median(medians[o]), median(ratios), sorted[0],
                                sorted[rounds - 1], heap[o]), median(toInPlace));
                    }
                }
                x.close();
                start.close();
                held.close();
            }
        }
    }

    private static java.nio.FloatBuffer floats(INDArray a) {
        return a.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /**
     * @param medianMillis the median over rounds of each round's median
     * @param ratioToC     the median over rounds of (this round's median / the C median of the same round);
     *                     NaN without the C reference; min and max over rounds next to it
     */
    private record Row(String name, int iterations, double medianMillis, double ratioToC, double minRatio,
            double maxRatio, long heapBytesPerCall) {
        Row(String name, int iterations, double medianMillis, long heapBytesPerCall) {
            this(name, iterations, medianMillis, Double.NaN, Double.NaN, Double.NaN, heapBytesPerCall);
        }
    }

    /** A row of the table: adds it and returns its index. */
    @FunctionalInterface
    private interface IntConsumerRows {
        int add(String name, int cReference, int inPlaceRow, IntConsumer op);
    }

    /** Index of the C references: the in-place ring exchange, and Open MPI's MPI_Allreduce. */
    private static final int RING = 0;
    private static final int MPI_ALLREDUCE = 1;

    /** @param toInPlace median over rounds of (this row / its in-place form's row), NaN if none */
    private void print(int n, long bytes, int rounds, Row r, double toInPlace) {
        double ratio = r.ratioToC;
        if (json) {
            out.println(JsonLines.object(g -> {
                g.writeNumberField("np", n);
                g.writeNumberField("bytes", bytes);
                g.writeStringField("operation", r.name);
                g.writeNumberField("iterations", r.iterations);
                g.writeNumberField("rounds", rounds);
                JsonLines.number(g, "median_ms", r.medianMillis);
                JsonLines.number(g, "ratio_to_c", ratio);
                JsonLines.number(g, "ratio_min", r.minRatio);
                JsonLines.number(g, "ratio_max", r.maxRatio);
                JsonLines.number(g, "ratio_to_in_place", toInPlace);
                if (r.heapBytesPerCall < 0) {
                    g.writeNullField("heap_bytes_per_call");
                } else {
                    g.writeNumberField("heap_bytes_per_call", r.heapBytesPerCall);
                }
            }));
        } else {
            out.printf(Locale.ROOT, "%-8s %-34s %6d %11.4f %9s %15s %12s %14s%n", human(bytes), r.name, r.iterations,
                    r.medianMillis, Double.isNaN(ratio) ? "-" : String.format(Locale.ROOT, "%.3f", ratio),
                    Double.isNaN(ratio) ? "-" : String.format(Locale.ROOT, "%.2f..%.2f", r.minRatio, r.maxRatio),
                    Double.isNaN(toInPlace) ? "-" : String.format(Locale.ROOT, "%.3f", toInPlace),
                    r.heapBytesPerCall < 0 ? "-" : Long.toString(r.heapBytesPerCall));
        }
        out.flush();
    }

    static String human(long bytes) {
        return bytes % (1024 * 1024) == 0 ? bytes / (1024 * 1024) + " MB"
                : bytes % 1024 == 0 ? bytes / 1024 + " KB" : bytes + " B";
    }

    /** Times {@code op} per iteration after a barrier; optionally measures heap bytes per call. */
    private Row measure(Collectives c, String name, int iters, IntConsumer op, boolean heap) {
        for (int k = 0; k < warmup; k++) {
            op.accept(k);
        }
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Thread comm = communicationThread(c.rank());
        long heap0 = mx.getCurrentThreadAllocatedBytes() + (comm == null ? 0 : mx.getThreadAllocatedBytes(comm.getId()));
        double[] times = new double[iters];
        for (int k = 0; k < iters; k++) {
            c.barrier();
            long t0 = System.nanoTime();
            op.accept(warmup + k);
            times[k] = (System.nanoTime() - t0) / 1e6;
        }
        long heap1 = mx.getCurrentThreadAllocatedBytes() + (comm == null ? 0 : mx.getThreadAllocatedBytes(comm.getId()));
        // The barriers are inside the window; their share is small and counted, not subtracted.
        long perCall = heap ? (heap1 - heap0) / iters : -1;
        return new Row(name, iters, median(c, times), perCall);
    }

    private static Thread communicationThread(int rank) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("bluefog-comm-rank-" + rank)).findFirst().orElse(null);
    }

    /** @return the median of {@code v} (the mean of the two middle values for an even length); {@code v} is not changed */
    static double median(double[] v) {
        double[] t = v.clone();
        Arrays.sort(t);
        return t.length % 2 == 1 ? t[t.length / 2] : (t[t.length / 2 - 1] + t[t.length / 2]) / 2;
    }

    /** @return the median over iterations of the slowest rank's time */
    private static double median(Collectives c, double[] times) {
        INDArray slowest = c.allreduce(Nd4j.createFromArray(times), ReduceOp.MAX);
        return median(slowest.toDoubleVector());
    }

    private double[] cRing(BlueFog bf, Topology ring, INDArray x, int iters) {
        int r = bf.rank();
        long len = x.length();
        // Off-heap ND4J arrays, closed at the end, so that 100 MB runs do not wait for the GC to free memory.
        List<INDArray> owned = new ArrayList<>();
        int[] src = ring.inNeighbors(r);
        ByteBuffer[] recv = new ByteBuffer[src.length];
        for (int k = 0; k < src.length; k++) {
            recv[k] = direct(owned, len);
        }
        try {
            ByteBuffer xb = x.data().asNio().order(ByteOrder.nativeOrder());
            NativeNeighborExchange.run(xb, recv, len, src, ring.recvWeights(r), ring.outNeighbors(r),
                    ring.selfWeight(r), new double[warmup]);
            double[] times = new double[iters];
            NativeNeighborExchange.run(xb, recv, len, src, ring.recvWeights(r), ring.outNeighbors(r),
                    ring.selfWeight(r), times);
            return times;
        } finally {
            owned.forEach(INDArray::close);
        }
    }

    /** @return per-iteration ms of Open MPI's in-place MPI_Allreduce sum of x (after the warm-up calls) */
    private double[] cAllreduce(INDArray x, int iters) {
        ByteBuffer xb = x.data().asNio().order(ByteOrder.nativeOrder());
        NativeNeighborExchange.allreduce(xb, x.length(), new double[warmup]);
        double[] times = new double[iters];
        NativeNeighborExchange.allreduce(xb, x.length(), times);
        return times;
    }

    private static ByteBuffer direct(List<INDArray> owned, long floats) {
        INDArray a = Nd4j.createUninitializedDetached(DataType.FLOAT, floats);
        a.assign(0);
        owned.add(a);
        return a.data().asNio().order(ByteOrder.nativeOrder());
    }

    private void loadC(BlueFog bf, Collectives c) throws Exception {
        Path classes = Path.of(CollectivesBenchmark.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path target = classes.getParent();
        Path source = cSource != null ? cSource
                : target.getParent().resolve("src").resolve("main").resolve("c").resolve("neighbor_exchange.c");
        Path lib = target.resolve(NativeNeighborExchange.LIBRARY);
        if (bf.rank() == 0) {
            if (!Files.isReadable(source)) {
                throw new IllegalStateException("C source " + source + " not found; pass --c-source or --no-c");
            }
            NativeNeighborExchange.compile(source, target);
        }
        c.barrier(); // the other ranks load the library once rank 0 has built it (one machine / shared file system)
        NativeNeighborExchange.load(lib);
    }
}
