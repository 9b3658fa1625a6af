package io.bluefog.examples.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The pprs example on the in-JVM transport: small runs write JSON and PNG with the numbers they claim. */
class PprsExampleTest {
    private static String run(String... args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        int code = new CommandLine(new PprsExample(out)).execute(args);
        assertEquals(0, code, bytes.toString(StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void convexWritesJsonAndPngAndStaysBelowTheBound(@TempDir Path dir) throws Exception {
        String out = run("--experiment", "convex", "--transport", "local", "--ranks", "2", "--iterations", "10,40",
                "--seeds", "2", "--sweep-dimension", "16", "--sweep-iterations", "25,100", "--sweep-gd-iterations", "400",
                "--sweep-delays", "1,64", "--epsilon-fraction", "0.5", "--metrics-dir", dir.toString(), "--json");
        assertTrue(Files.size(dir.resolve("pprs-convex.png")) > 0);
        assertTrue(Files.size(dir.resolve("pprs-convex-delta.png")) > 0);
        assertTrue(Files.size(dir.resolve("pprs-convex-time.png")) > 0);
        String json = Files.readString(dir.resolve("pprs-convex.json"));
        assertTrue(out.contains("\"experiment\" : \"convex\""), out);
        Matcher m = Pattern.compile("\"pprs_mean_error\" : ([0-9.eE+-]+),\\s*\"eq13_bound\" : ([0-9.eE+-]+)").matcher(json);
        int rows = 0;
        while (m.find()) {
            rows++;
            assertTrue(Double.parseDouble(m.group(1)) <= Double.parseDouble(m.group(2)), m.group());
        }
        assertEquals(2, rows, json);
        assertTrue(json.contains("\"time_to_epsilon\""), json);
    }

    @Test
    void scheduleCountsTwoKPlusDeltaMinusOneStageSteps(@TempDir Path dir) throws Exception {
        run("--experiment", "schedule", "--transport", "local", "--ranks", "3", "--width", "8", "--work", "1",
                "--repeats", "1", "--metrics-dir", dir.toString());
        String json = Files.readString(dir.resolve("pprs-schedule.json"));
        assertTrue(Files.size(dir.resolve("pprs-schedule.png")) > 0);
        for (int k : new int[] {1, 2, 4, 8, 16}) {
            assertTrue(Pattern.compile("\"K\" : " + k + ",\\s*\"stage_steps\" : " + (2 * (k + 2)) + ",").matcher(json).find(), json);
        }
    }

    @Test
    void badOptionsAreRejected() {
        assertEquals(2, new CommandLine(new PprsExample()).execute("--experiment", "convex", "--seeds", "0"));
        assertEquals(2, new CommandLine(new PprsExample()).execute("--experiment", "nope"));
        assertEquals(2, new CommandLine(new PprsExample()).execute("--experiment", "adversarial", "--pairs", "0"));
        assertEquals(2, new CommandLine(new PprsExample()).execute("--experiment", "adversarial", "--lr-grid", "-1"));
        assertEquals(2, new CommandLine(new PprsExample()).execute("--experiment", "convex", "--epsilon-fraction", "1.5"));
    }
}
