package io.bluefog.mpi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mpi-launch/rank-device} (BlueFog's placement rule, GPU = local rank mod count, applied
 * through CUDA_VISIBLE_DEVICES before the JVM starts) with a fake {@code nvidia-smi}, and bfrun's
 * use of it (dry run): wrapped only when a GPU is listed and the device choice is cuda or auto.
 */
class RankDeviceTest {
    private static final Path SCRIPT = Path.of("rank-device").toAbsolutePath();
    private static final Path BFRUN = Path.of("bfrun").toAbsolutePath();

    @TempDir
    Path dir;

    private Path fakeNvidiaSmi(int gpus) throws IOException {
        StringBuilder sb = new StringBuilder("#!/bin/sh\n");
        for (int i = 0; i < gpus; i++) {
            sb.append("echo 'GPU ").append(i).append(": NVIDIA Fake (UUID: GPU-").append(i).append(")'\n");
        }
        Path bin = Files.createDirectories(dir.resolve("bin" + gpus));
        Path smi = bin.resolve("nvidia-smi");
        Files.writeString(smi, sb.toString());
        Files.setPosixFilePermissions(smi, PosixFilePermissions.fromString("rwxr-xr-x"));
        return bin;
    }

    private static String run(Map<String, String> env, Path pathFirst, List<String> cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("CUDA_VISIBLE_DEVICES");
        pb.environment().remove("BLUEFOG_DEVICE");
        pb.environment().putAll(env);
        if (pathFirst != null) {
            pb.environment().put("PATH", pathFirst + ":" + System.getenv("PATH"));
        }
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "finished: " + cmd);
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    }

    private String device(int localRank, int gpus, String visible) throws Exception {
        Map<String, String> env = visible == null ? Map.of("OMPI_COMM_WORLD_LOCAL_RANK", "" + localRank)
                : Map.of("OMPI_COMM_WORLD_LOCAL_RANK", "" + localRank, "CUDA_VISIBLE_DEVICES", visible);
        return run(env, gpus > 0 ? fakeNvidiaSmi(gpus) : null,
                List.of(SCRIPT.toString(), "sh", "-c", "echo \"${CUDA_VISIBLE_DEVICES-unset}\""));
    }

    @Test
    void localRankModuloGpuCount() throws Exception {
        assertEquals("0", device(0, 2, null));
        assertEquals("1", device(1, 2, null));
        assertEquals("0", device(2, 2, null));
        assertEquals("1", device(3, 2, null));
        assertEquals("2", device(5, 3, null));
    }

    @Test
    void sharesAGivenSelectionAndLeavesMachinesWithoutGpusAlone() throws Exception {
        assertEquals("6", device(4, 8, "4,6,7"));
        assertEquals("GPU-b", device(1, 0, "GPU-a,GPU-b"));
        // no nvidia-smi on PATH (CI machines) and nothing selected: unchanged
        Assumptions.assumeFalse(Files.exists(Path.of("/usr/bin/nvidia-smi")) || Files.exists(Path.of("/bin/nvidia-smi")),
                "this machine has nvidia-smi in /usr/bin or /bin, so a PATH without GPUs cannot be made");
        String out = run(Map.of("OMPI_COMM_WORLD_LOCAL_RANK", "1", "PATH", "/usr/bin:/bin"), null,
                List.of(SCRIPT.toString(), "sh", "-c", "echo \"${CUDA_VISIBLE_DEVICES-unset}\""));
        assertEquals("unset", out);
    }

    @Test
    void bfrunWrapsRanksOnlyWithGpusAndCudaOrAuto() throws Exception {
        Path gpu = fakeNvidiaSmi(2);
        String wrapped = run(Map.of(), gpu, List.of(BFRUN.toString(), "--dry-run", "-np", "2", "hello"));
        assertTrue(wrapped.contains("rank-device java") || wrapped.contains("rank-device " + System.getenv("JAVA_HOME")),
                wrapped);
        String cpu = run(Map.of(), gpu, List.of(BFRUN.toString(), "--dry-run", "-np", "2", "fashion-mnist",
                "--device", "cpu"));
        assertTrue(!cpu.contains("rank-device"), cpu);
        String env = run(Map.of("BLUEFOG_DEVICE", "cpu"), gpu, List.of(BFRUN.toString(), "--dry-run", "-np", "2",
                "hello"));
        assertTrue(!env.contains("rank-device"), env);
        Assumptions.assumeFalse(Files.exists(Path.of("/usr/bin/nvidia-smi")) || Files.exists(Path.of("/bin/nvidia-smi")),
                "this machine has nvidia-smi in /usr/bin or /bin, so a PATH without GPUs cannot be made");
        String none = run(Map.of("PATH", "/usr/bin:/bin"), null, List.of(BFRUN.toString(), "--dry-run", "-np", "2",
                "hello"));
        assertTrue(!none.contains("rank-device"), none);
    }
}
