package io.bluefog.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link GpuCheck} as the bundle runs it, on this machine: without a GPU it says so, runs the CPU
 * reference checks, writes {@code "gpu": false} and returns {@link GpuCheck#EXIT_NO_GPU}; with one,
 * every check must pass and it returns {@link GpuCheck#EXIT_OK}. Bad arguments are rejected.
 */
class GpuCheckTest {
    @TempDir
    Path dir;

    @Test
    void writesSummaryAndDistinctExitCode() throws Exception {
        Path json = dir.resolve("out/gpu-check.json");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code = GpuCheck.run(new String[] {"--json", json.toString(), "--max-mb", "1", "--reps", "1"},
                new PrintStream(buf, true, StandardCharsets.UTF_8));
        String log = buf.toString(StandardCharsets.UTF_8);
        JsonNode j = new ObjectMapper().readTree(json.toFile());
        boolean gpu = Devices.cudaAvailable();
        assertEquals(gpu, j.get("gpu").asBoolean(), log);
        assertEquals(gpu ? GpuCheck.EXIT_OK : GpuCheck.EXIT_NO_GPU, code, log);
        assertEquals(code, j.get("exit_code").asInt());
        assertTrue(j.get("all_passed").asBoolean(), log);
        assertEquals(0, j.get("checks_failed").asInt());
        assertTrue(j.get("checks_total").asInt() >= 60, "combine checks for 2 dtypes x lengths x 7 x 2 forms: " + log);
        assertFalse(j.get("timings").isEmpty(), "timings present");
        if (!gpu) {
            assertTrue(log.contains("NO GPU"), log);
            assertFalse(j.get("device").get("reason").asText().isBlank());
        }
    }

    @Test
    void badArguments() {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertThrows(IllegalArgumentException.class, () -> GpuCheck.run(new String[] {}, quiet));
        assertThrows(IllegalArgumentException.class, () -> GpuCheck.run(new String[] {"--json"}, quiet));
        assertThrows(IllegalArgumentException.class,
                () -> GpuCheck.run(new String[] {"--json", "x.json", "--max-mb", "0"}, quiet));
        assertThrows(IllegalArgumentException.class, () -> GpuCheck.run(new String[] {"--jsn", "x.json"}, quiet));
    }

    @Test
    void reasonIsOneLineNamingTheMissingDriver() {
        String nested = "Error while loading native library \"JCudaDriver\"\nStack trace ...\n"
                + "java.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver.so: libcuda.so.1: cannot open shared object file\n\tat x";
        assertEquals("no CUDA driver: /tmp/libJCudaDriver.so: libcuda.so.1: cannot open shared object file",
                GpuCheck.reason(new UnsatisfiedLinkError(nested)));
        assertEquals("IllegalStateException: boom", GpuCheck.reason(new IllegalStateException("boom\nmore")));
    }
}
