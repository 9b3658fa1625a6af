package io.bluefog.timeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bluefog.config.BlueFogConfig;
import io.bluefog.local.LocalCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TimelineTest {
    @TempDir
    Path dir;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The file's events, parsed strictly (Jackson fails on any syntax error); numbers become Double. */
    private static List<Map<String, Object>> events(Path file) throws Exception {
        JsonNode root = JSON.readTree(file.toFile());
        assertEquals("ms", root.get("displayTimeUnit").asText());
        List<Map<String, Object>> out = new ArrayList<>();
        for (JsonNode e : root.get("traceEvents")) {
            Map<String, Object> m = new LinkedHashMap<>();
            e.fields().forEachRemaining(f -> m.put(f.getKey(), f.getValue().isNumber() ? (Object) f.getValue().asDouble()
                    : f.getValue().isTextual() ? f.getValue().asText() : JSON.convertValue(f.getValue(), Map.class)));
            out.add(m);
        }
        return out;
    }

    private static Map<String, Object> only(List<Map<String, Object>> events, String ph, String name) {
        List<Map<String, Object>> found = new ArrayList<>();
        for (Map<String, Object> e : events) {
            if (ph.equals(e.get("ph")) && name.equals(e.get("name"))) {
                found.add(e);
            }
        }
        assertEquals(1, found.size(), ph + " " + name + " in " + events);
        return found.get(0);
    }

    @Test
    void writesChromeTraceWithRankAsPidAndLanesAsTids() throws Exception {
        String prefix = dir.resolve("sub/timeline-").toString();
        Timeline t = Timeline.open(prefix, 3);
        assertTrue(t.isEnabled());
        long before = t.nowMicros();
        t.begin("allreduce", "grad \"w1\"\n");
        Thread.sleep(5);
        t.end("allreduce", "grad \"w1\"\n");
        try (Timeline.Span s = t.span("compute", "step 1")) {
            Thread.sleep(3);
        }
        t.instant("compute", "epoch");
        t.close();
        t.close(); // idempotent
        t.begin("late", "ignored after close");

        Path file = dir.resolve("sub/timeline-3.json");
        assertEquals(file, t.file());
        List<Map<String, Object>> ev = events(file);
        for (Map<String, Object> e : ev) {
            assertEquals(3.0, e.get("pid"), "pid is the rank: " + e);
        }
        Map<String, Object> b = only(ev, "B", "grad \"w1\"\n");
        Map<String, Object> e = only(ev, "E", "grad \"w1\"\n");
        Map<String, Object> x = only(ev, "X", "step 1");
        only(ev, "i", "epoch");
        assertEquals(0.0, b.get("tid"));
        assertEquals(0.0, e.get("tid"));
        assertEquals(1.0, x.get("tid"), "second lane gets tid 1");
        double bts = (Double) b.get("ts");
        double ets = (Double) e.get("ts");
        assertTrue(bts >= before && ets - bts >= 5000, "ts in microseconds: B " + bts + " E " + ets);
        assertTrue((Double) x.get("dur") >= 3000, "dur in microseconds: " + x);
        assertTrue((Double) x.get("ts") >= ets);
        // Lanes and the process are named by metadata events.
        long threadNames = ev.stream().filter(m -> "M".equals(m.get("ph")) && "thread_name".equals(m.get("name")))
                .count();
        assertEquals(2, threadNames);
        Map<String, Object> proc = only(ev, "M", "process_name");
        assertEquals("rank 3", ((Map<?, ?>) proc.get("args")).get("name"));
        assertTrue(ev.stream().noneMatch(m -> "ignored after close".equals(m.get("name"))));
        // Wall-clock epoch microseconds, so that ranks of one job line up.
        assertTrue(Math.abs(bts / 1000.0 - System.currentTimeMillis()) < 60_000, "ts near now: " + bts);
    }

    @Test
    void disabledTimelineIsANoOpAndWritesNothing() throws Exception {
        Timeline t = Timeline.forRank(BlueFogConfig.defaults(), 0);
        assertFalse(t.isEnabled());
        assertNull(t.file());
        t.begin("a", "b");
        try (Timeline.Span s = t.span("a", "b")) {
            assertTrue(s == Timeline.Span.NOOP);
        }
        t.close();
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count());
        }
    }

    @Test
    void concurrentWritersProduceValidJson() throws Exception {
        Timeline t = Timeline.open(dir.resolve("c").toString(), 0);
        int threads = 4;
        int perThread = 500;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        for (int k = 0; k < threads; k++) {
            String lane = "lane" + k;
            pool.submit(() -> {
                for (int j = 0; j < perThread; j++) {
                    t.complete(lane, "op" + j, t.nowMicros(), 1);
                }
            });
        }
        pool.shutdown();
        assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
        t.close();
        List<Map<String, Object>> ev = events(dir.resolve("c0.json"));
        assertEquals(threads * perThread, ev.stream().filter(m -> "X".equals(m.get("ph"))).count());
        assertEquals(threads, ev.stream().filter(m -> "thread_name".equals(m.get("name"))).count());
    }

    @Test
    void everyLocalClusterRankWritesItsOwnFileOnClose() throws Exception {
        String prefix = dir.resolve("job-").toString();
        LocalCluster.builder(3).config(BlueFogConfig.defaults().withTimelinePrefix(prefix)).build()
                .run(bf -> {
                    try (Timeline.Span s = bf.timeline().span("barrier", "sync")) {
                        bf.communicator().barrier();
                    }
                });
        for (int r = 0; r < 3; r++) {
            List<Map<String, Object>> ev = events(dir.resolve("job-" + r + ".json"));
            assertEquals((double) r, only(ev, "X", "sync").get("pid"));
        }
    }

    @Test
    void badArguments() {
        assertThrows(IllegalArgumentException.class, () -> Timeline.open(" ", 0));
        assertThrows(IllegalArgumentException.class, () -> Timeline.open("x", -1));
    }

    /**
     * Streamed: recorded events reach the file while the timeline is open (a crashed job leaves
     * them), and closeAllForAbort completes every open file as valid JSON.
     */
    @Test
    void eventsReachTheFileBeforeCloseAndAbortCompletesIt() throws Exception {
        Timeline t = Timeline.open(dir.resolve("stream-").toString(), 3);
        t.instant("step", "step 1");
        t.complete("allreduce", "grad", t.nowMicros(), 5);
        Path file = dir.resolve("stream-3.json");
        // The writer thread writes and flushes when its queue runs empty; wait for it (no speed assumed:
        // a generous hang guard only).
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
        while (!(Files.exists(file) && Files.readString(file).contains("\"step 1\"")
                && Files.readString(file).contains("\"grad\""))) {
            assertTrue(System.nanoTime() < deadline, "events not streamed to " + file);
            Thread.sleep(10);
        }
        Timeline.closeAllForAbort();
        List<Map<String, Object>> events = events(file);
        assertEquals(3.0, only(events, "i", "step 1").get("pid"));
        assertEquals(5.0, only(events, "X", "grad").get("dur"));
        t.instant("step", "after close"); // ignored
        t.close(); // idempotent
        assertTrue(events(file).stream().noneMatch(e -> "after close".equals(e.get("name"))));
    }

    /** A full queue drops events (counted, written at close) instead of blocking the recording thread or growing. */
    @Test
    void aFullQueueDropsAndCountsInsteadOfGrowing() throws Exception {
        Timeline t = Timeline.open(dir.resolve("full-").toString(), 0);
        int n = 4 * Timeline.QUEUE_CAPACITY;
        for (int i = 0; i < n; i++) {
            t.instant("lane", "e");
        }
        long dropped = t.droppedEvents();
        t.close();
        List<Map<String, Object>> events = events(dir.resolve("full-0.json"));
        long written = events.stream().filter(e -> "e".equals(e.get("name"))).count();
        assertEquals(n, written + dropped, "every event is written or counted as dropped");
        long markers = events.stream().filter(e -> ("dropped_events: " + dropped).equals(e.get("name"))).count();
        assertEquals(dropped > 0 ? 1 : 0, markers, "the dropped count is written once when events were dropped");
    }
}
