package io.bluefog.timeline;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.bluefog.BlueFogException;
import io.bluefog.config.BlueFogConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One rank's activity timeline in the Chrome trace-event format (open the file in
 * {@code chrome://tracing} or Perfetto), as BlueFog and Horovod write with {@code BLUEFOG_TIMELINE}.
 *
 * <p>File: {@code <prefix><rank>.json}, holding {@code {"traceEvents": [...], "displayTimeUnit": "ms"}}
 * once the timeline is closed. The file is streamed, in Horovod's design: {@link #open} creates it
 * and starts a writer thread; recording puts events into a bounded queue
 * ({@value #QUEUE_CAPACITY} events; when it is full an event is dropped and counted, never blocking
 * the recording thread, and the count is written at close as a {@code dropped_events} instant) and
 * the writer thread writes them and flushes whenever the queue runs empty, so a job that crashes
 * leaves the events up to its last moments on disk. {@link #closeAllForAbort()} (called by the MPI
 * transport before {@code MPI_Abort}) drains and completes every open timeline of the process. Every event has {@code pid} = the rank
 * and {@code tid} = an activity lane (a small integer per lane name, in order of first use, named by
 * a {@code thread_name} metadata event); {@code ts} and {@code dur} are microseconds since the Unix
 * epoch (wall clock at creation plus a monotonic offset, so that the ranks of one job line up).
 * Phases used: {@code B}/{@code E} (begin/end, {@link #begin}/{@link #end}), {@code X} (complete,
 * {@link #span}/{@link #complete}), {@code i} (instant) and {@code M} (metadata). The file is
 * written with Jackson's streaming generator.
 *
 * <p>A disabled timeline ({@link #disabled()}, or no {@code BLUEFOG_TIMELINE}) makes every method a
 * cheap no-op. All methods are thread-safe; events of one lane should come from one thread at a
 * time for B/E pairs to nest correctly.
 */
public final class Timeline implements AutoCloseable {
    private static final Timeline DISABLED = new Timeline(null, -1);
    private static final JsonFactory JSON = new JsonFactory();
    /** No duration: the event is not of phase X. */
    private static final long NO_DURATION = -1;

    /** One recorded event; {@code durationMicros} only for phase X, {@code argName} only for phase M. */
    private record Event(String name, String phase, long tsMicros, long durationMicros, int tid, String argName) {
    }

    /** Events the queue between recording threads and the writer thread holds at most. */
    public static final int QUEUE_CAPACITY = 1 << 16;
    /** How long {@link #close()} waits for the writer thread to drain the queue. */
    static final long CLOSE_WAIT_MILLIS = 30_000;
    /** Every open recording timeline of this process, for {@link #closeAllForAbort()}. */
    private static final Set<Timeline> OPEN = ConcurrentHashMap.newKeySet();

    private final Path file;
    private final int rank;
    private final long originEpochMicros;
    private final long originNanos;
    private final Map<String, Integer> lanes = new LinkedHashMap<>();
    private final BlockingQueue<Event> queue;
    private final AtomicLong dropped = new AtomicLong();
    private final Thread writer;
    private volatile boolean closed;
    private volatile IOException writeFailure;
    private OutputStream out;
    private JsonGenerator g;

    private Timeline(Path file, int rank) {
        this.file = file;
        this.rank = rank;
        this.originEpochMicros = System.currentTimeMillis() * 1000L;
        this.originNanos = System.nanoTime();
        this.queue = file == null ? null : new ArrayBlockingQueue<>(QUEUE_CAPACITY);
        this.writer = file == null ? null : new Thread(this::writeLoop, "bluefog-timeline-" + rank);
    }

    /** Creates the file, writes the header and starts the writer thread. */
    private void start() {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            out = Files.newOutputStream(file);
            g = JSON.createGenerator(out, JsonEncoding.UTF8);
            g.writeStartObject();
            g.writeArrayFieldStart("traceEvents");
            g.flush();
        } catch (IOException e) {
            throw new BlueFogException("cannot write timeline " + file + ": " + e.getMessage(), e);
        }
        writer.setDaemon(true);
        writer.start();
        OPEN.add(this);
    }

    /** The writer thread: writes queued events, flushing whenever the queue runs empty, until closed and drained. */
    private void writeLoop() {
        try {
            while (true) {
                Event e = queue.poll(50, TimeUnit.MILLISECONDS);
                if (e == null) {
                    if (closed && queue.isEmpty()) {
                        return;
                    }
                    continue;
                }
                write(g, e);
                if (queue.isEmpty()) {
                    g.flush();
                }
            }
        } catch (IOException e) {
            writeFailure = e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** @return a timeline that records nothing and writes no file */
    public static Timeline disabled() {
        return DISABLED;
    }

    /**
     * A recording timeline for {@code rank} writing {@code <prefix><rank>.json} on {@link #close()}.
     *
     * @throws IllegalArgumentException if {@code prefix} is null or blank, or {@code rank < 0}
     */
    public static Timeline open(String prefix, int rank) {
        if (prefix == null || prefix.isBlank()) {
            throw new IllegalArgumentException("prefix must not be blank");
        }
        if (rank < 0) {
            throw new IllegalArgumentException("rank = " + rank + " must be >= 0");
        }
        Timeline t = new Timeline(Path.of(prefix + rank + ".json"), rank);
        t.start();
        t.metadata("process_name", 0, "rank " + rank);
        return t;
    }

    /** @return a recording timeline if {@code config} has a timeline prefix, else {@link #disabled()} */
    public static Timeline forRank(BlueFogConfig config, int rank) {
        return config.timelinePrefix().map(p -> open(p, rank)).orElse(DISABLED);
    }

    /** @return true if events are recorded */
    public boolean isEnabled() {
        return file != null;
    }

    /** @return the file written on close, or null if disabled */
    public Path file() {
        return file;
    }

    /** @return microseconds since the Unix epoch on this timeline's clock */
    public long nowMicros() {
        return originEpochMicros + (System.nanoTime() - originNanos) / 1000L;
    }

    /** Records the start of activity {@code name} on {@code lane} (phase B). */
    public void begin(String lane, String name) {
        if (isEnabled()) {
            add(lane, name, "B", nowMicros(), NO_DURATION);
        }
    }

    /** Records the end of activity {@code name} on {@code lane} (phase E). */
    public void end(String lane, String name) {
        if (isEnabled()) {
            add(lane, name, "E", nowMicros(), NO_DURATION);
        }
    }

    /** Records a moment, e.g. a step boundary (phase i, thread scope). */
    public void instant(String lane, String name) {
        if (isEnabled()) {
            add(lane, name, "i", nowMicros(), NO_DURATION);
        }
    }

    /**
     * Records a finished activity (phase X).
     *
     * @param startMicros    start on this timeline's clock ({@link #nowMicros()})
     * @param durationMicros duration, &ge; 0
     */
    public void complete(String lane, String name, long startMicros, long durationMicros) {
        if (isEnabled()) {
            add(lane, name, "X", startMicros, Math.max(0, durationMicros));
        }
    }

    /**
     * Starts an activity recorded as one X event when the returned span is closed:
     * {@code try (var s = timeline.span("allreduce", "grad.w1")) { ... }}.
     */
    public Span span(String lane, String name) {
        if (!isEnabled()) {
            return Span.NOOP;
        }
        long start = nowMicros();
        return () -> complete(lane, name, start, nowMicros() - start);
    }

    /** An activity in progress; closing it records it. */
    @FunctionalInterface
    public interface Span extends AutoCloseable {
        Span NOOP = () -> { };

        @Override
        void close();
    }

    private synchronized void add(String lane, String name, String phase, long tsMicros, long durationMicros) {
        if (closed) {
            return;
        }
        Integer tid = lanes.get(lane);
        if (tid == null) {
            tid = lanes.size();
            lanes.put(lane, tid);
            metadata("thread_name", tid, lane);
        }
        enqueue(new Event(name, phase, tsMicros, durationMicros, tid, null));
    }

    private void metadata(String kind, int tid, String name) {
        enqueue(new Event(kind, "M", 0, NO_DURATION, tid, name));
    }

    private void enqueue(Event e) {
        if (!queue.offer(e)) {
            dropped.incrementAndGet();
        }
    }

    /** @return events dropped because the queue was full */
    public long droppedEvents() {
        return dropped.get();
    }

    /**
     * Completes every open recording timeline of this process (as {@link #close()}, errors ignored),
     * so that a job about to be aborted leaves complete files. Called by the MPI transport before
     * {@code MPI_Abort}.
     */
    public static void closeAllForAbort() {
        for (Timeline t : OPEN) {
            try {
                t.close();
            } catch (RuntimeException e) {
                // aborting anyway: the error that causes the abort is the one to report
            }
        }
    }

    /**
     * Stops recording, lets the writer thread write every queued event, and completes the file
     * (recording timelines only). Idempotent.
     *
     * @throws BlueFogException if the file cannot be written, or the writer has not drained the
     *         queue within {@value #CLOSE_WAIT_MILLIS} ms (message names the file)
     */
    @Override
    public void close() {
        if (!isEnabled()) {
            return;
        }
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        OPEN.remove(this);
        try {
            writer.join(CLOSE_WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (writer.isAlive()) {
                throw new IOException("the timeline writer did not finish within " + CLOSE_WAIT_MILLIS + " ms");
            }
            if (writeFailure != null) {
                throw writeFailure;
            }
            long lost = dropped.get();
            if (lost > 0) {
                // Written here, after the writer finished: the queue may still have been full.
                write(g, new Event("dropped_events: " + lost, "i", nowMicros(), NO_DURATION, 0, null));
            }
            g.writeEndArray();
            g.writeStringField("displayTimeUnit", "ms");
            g.writeEndObject();
            g.close();
            out.close();
        } catch (IOException e) {
            throw new BlueFogException("cannot write timeline " + file + ": " + e.getMessage(), e);
        }
    }

    private void write(JsonGenerator g, Event e) throws IOException {
        g.writeStartObject();
        g.writeStringField("name", e.name());
        g.writeStringField("ph", e.phase());
        if (e.phase().equals("M")) {
            g.writeNumberField("pid", rank);
            g.writeNumberField("tid", e.tid());
            g.writeObjectFieldStart("args");
            g.writeStringField("name", e.argName());
            g.writeEndObject();
        } else {
            if (e.phase().equals("i")) {
                g.writeStringField("s", "t"); // thread scope
            }
            g.writeNumberField("ts", e.tsMicros());
            if (e.durationMicros() != NO_DURATION) {
                g.writeNumberField("dur", e.durationMicros());
            }
            g.writeNumberField("pid", rank);
            g.writeNumberField("tid", e.tid());
        }
        g.writeEndObject();
        g.writeRaw('\n');
    }
}
