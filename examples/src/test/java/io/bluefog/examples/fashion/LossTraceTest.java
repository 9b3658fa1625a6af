package io.bluefog.examples.fashion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LossTraceTest {
    @TempDir
    Path dir;

    @Test
    void writtenTraceReadsBackWithTheClockStoppedBetweenEpochs() throws Exception {
        LossTrace trace = new LossTrace();
        trace.startEpoch();
        trace.record(1, 2.5);
        trace.record(2, 2.0);
        trace.endEpoch();
        Thread.sleep(500); // not training: must not be counted
        trace.startEpoch();
        trace.record(1, 1.5);
        trace.endEpoch();
        trace.write(dir);
        List<LossTrace.Point> pts = LossTrace.read(Files.readString(dir.resolve(LossTrace.CSV)));
        assertEquals(3, pts.size());
        assertEquals(2, pts.get(2).epoch());
        assertEquals(1, pts.get(2).iteration());
        assertEquals(1.5, pts.get(2).loss(), 0.0);
        assertTrue(pts.get(0).seconds() <= pts.get(1).seconds() && pts.get(1).seconds() <= pts.get(2).seconds());
        assertTrue(pts.get(2).seconds() < 0.5, "the 500 ms between epochs were counted: " + pts.get(2).seconds());
    }

    @Test
    void movingAverageIsTheTrailingMean() {
        assertArrayEquals(new double[] {1, 1.5, 2.5, 3.5}, LossTrace.movingAverage(new double[] {1, 2, 3, 4}, 2), 0.0);
        assertArrayEquals(new double[] {4, 3, 2}, LossTrace.movingAverage(new double[] {4, 2, 0}, 10), 0.0);
    }

    @Test
    void aBadLineIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LossTrace.read("seconds,epoch,iteration,loss\n0.1,1,1,2.3\n0.2,1,x,2.2\n"));
        assertTrue(e.getMessage().contains("line 3"), e.getMessage());
    }

    @Test
    void plotWritesThePngAndTheJsonOfEveryRun() throws Exception {
        for (String run : new String[] {"a", "b"}) {
            Files.createDirectories(dir.resolve(run));
            Files.writeString(dir.resolve(run).resolve(LossTrace.CSV), "seconds,epoch,iteration,loss\n0.5,1,1,2.0\n1.0,1,2,1.0\n");
        }
        LossTrace.main(new String[] {dir.resolve("out.png").toString(), "first=" + dir.resolve("a"), "second=" + dir.resolve("b")});
        assertTrue(Files.size(dir.resolve("out.png")) > 0);
        String json = Files.readString(dir.resolve("out.json"));
        assertTrue(json.contains("\"label\" : \"second\""), json);
        assertTrue(json.contains("\"seconds_per_iteration\" : 0.5"), json);
        assertTrue(json.contains("1.5"), json); // the moving average of 2.0 and 1.0
    }
}
