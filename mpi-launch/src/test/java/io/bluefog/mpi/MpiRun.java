package io.bluefog.mpi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Test runner for MPI tests: launches {@code mpirun -np N java -cp <test classpath> <main> args},
 * waits with a timeout (then kills the whole process tree), and returns the exit status and the
 * combined output. The test classpath is the forked surefire JVM's {@code java.class.path}, which is
 * the real classpath because mpi-launch's pom sets {@code useManifestOnlyJar=false}.
 *
 * <p>{@link #assertSuitePassed} runs {@code io.bluefog.testing.RunContractSuite} and checks that
 * every rank printed {@code rank R PASS name} for every check and no {@code FAIL}.
 */
public final class MpiRun {
    /** Time a contract suite may take under mpirun on a loaded 2-core machine. */
    public static final Duration SUITE_TIMEOUT = Duration.ofSeconds(180);
    /** Directories where Debian and other distributions put libmpi_java.so. */
    private static final List<String> LIB_DIRS = List.of("/usr/lib/x86_64-linux-gnu/openmpi/lib",
            "/usr/lib/x86_64-linux-gnu", "/usr/lib64/openmpi/lib", "/usr/lib/openmpi/lib", "/usr/local/lib");
    /** How long to wait for each killed process of a timed-out job to go away. */
    private static final long KILL_WAIT_SECONDS = 10;
    private static final String RUN_CONTRACT_SUITE = "io.bluefog.testing.RunContractSuite";

    private MpiRun() {
    }

    /** What a finished (or killed) job left behind. */
    public record Result(int exitCode, boolean timedOut, Duration elapsed, String output) {
        /** Lines of the combined stdout and stderr. */
        public List<String> lines() {
            return output.lines().toList();
        }

        @Override
        public String toString() {
            return "exit " + exitCode + (timedOut ? " (killed after timeout)" : "") + " after " + elapsed.toMillis()
                    + " ms, output:\n" + output;
        }
    }

    /** @return the classpath of the running test JVM (test classes, main classes, all dependencies) */
    public static String testClasspath() {
        String cp = System.getProperty("java.class.path");
        if (cp.split(File.pathSeparator).length == 1 && cp.endsWith(".jar") && cp.contains("surefire")) {
            throw new IllegalStateException("java.class.path is surefire's manifest-only jar " + cp
                    + "; set useManifestOnlyJar=false in the surefire configuration");
        }
        return cp;
    }

    /** @return the directory holding libmpi_java.so, or null to rely on the JVM's default path */
    static String mpiLibraryDir() {
        for (String dir : LIB_DIRS) {
            if (Files.exists(Path.of(dir, "libmpi_java.so"))) {
                return dir;
            }
        }
        return null;
    }

    /** The mpirun command line that starts {@code mainClass} on {@code np} ranks with the test classpath. */
    public static List<String> command(int np, String mainClass, List<String> args) {
        return command(np, List.of(), mainClass, args);
    }

    /** As {@link #command(int, String, List)} with extra options for every rank's JVM (e.g. {@code -DBLUEFOG_...=}). */
    public static List<String> command(int np, List<String> jvmOptions, String mainClass, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of("mpirun", "-np", Integer.toString(np), "--oversubscribe"));
        if ("root".equals(System.getProperty("user.name"))) {
            cmd.add("--allow-run-as-root");
        }
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xss1m");
        String lib = mpiLibraryDir();
        if (lib != null) {
            cmd.add("-Djava.library.path=" + lib);
        }
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", testClasspath(), mainClass));
        cmd.addAll(args);
        return cmd;
    }

    /** Runs {@code mainClass} on {@code np} ranks under mpirun; never throws on a failed job. */
    public static Result run(int np, Duration timeout, String mainClass, String... args) {
        return exec(command(np, mainClass, List.of(args)), timeout);
    }

    /**
     * Runs a command with {@code OMP_NUM_THREADS=1}, output (stdout and stderr merged) captured in a
     * temporary file so that a chatty job cannot block on a full pipe. On timeout the process and all
     * its descendants (mpirun's ranks) are killed.
     */
    public static Result exec(List<String> command, Duration timeout) {
        Path log = null;
        try {
            log = Files.createTempFile("mpirun", ".log");
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().put("OMP_NUM_THREADS", "1");
            long start = System.nanoTime();
            Process p = pb.start();
            boolean finished = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
                tree.add(p.toHandle());
                tree.forEach(ProcessHandle::destroyForcibly);
                for (ProcessHandle h : tree) {
                    try {
                        h.onExit().get(KILL_WAIT_SECONDS, TimeUnit.SECONDS);
                    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                        // a process that outlives SIGKILL this long is beyond our reach; timedOut says it all
                    }
                }
            }
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            String out = Files.readString(log, StandardCharsets.UTF_8);
            return new Result(finished ? p.exitValue() : -1, !finished, elapsed, out);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command, e);
        } finally {
            if (log != null) {
                try {
                    Files.deleteIfExists(log);
                } catch (IOException ignored) {
                    // a leftover temp file is harmless
                }
            }
        }
    }

    /**
     * Runs {@code RunContractSuite <suiteClass> [checks...]} on {@code np} ranks and asserts: exit 0, no
     * {@code FAIL} line, and a {@code rank R PASS name} line for every rank R and every expected check.
     *
     * @param expectedChecks the check names of the suite (its {@code checks().keySet()})
     */
    public static Result assertSuitePassed(int np, String suiteClass, Collection<String> expectedChecks,
                                           String... checkNames) {
        return assertSuitePassed(np, List.of(), suiteClass, expectedChecks, checkNames);
    }

    /** As {@link #assertSuitePassed(int, String, Collection, String...)} with extra options for every rank's JVM. */
    public static Result assertSuitePassed(int np, List<String> jvmOptions, String suiteClass,
                                           Collection<String> expectedChecks, String... checkNames) {
        List<String> args = new ArrayList<>(List.of(suiteClass));
        args.addAll(List.of(checkNames));
        Result r = exec(command(np, jvmOptions, RUN_CONTRACT_SUITE, args), SUITE_TIMEOUT);
        assertFalse(r.timedOut(), () -> "suite " + suiteClass + " timed out at np=" + np + ": " + r);
        Pattern failLine = Pattern.compile("rank \\d+ FAIL .*");
        for (String line : r.lines()) {
            if (failLine.matcher(line).find()) {
                fail("np=" + np + ": " + line + "\n" + r);
            }
        }
        assertEquals(0, r.exitCode(), () -> "suite " + suiteClass + " at np=" + np + ": " + r);
        Collection<String> wanted = checkNames.length > 0 ? List.of(checkNames) : expectedChecks;
        assertFalse(wanted.isEmpty(), "no checks expected from " + suiteClass);
        for (int rank = 0; rank < np; rank++) {
            for (String check : wanted) {
                Pattern pass = Pattern.compile("rank " + rank + " PASS " + Pattern.quote(check) + "\\s*$",
                        Pattern.MULTILINE);
                Matcher m = pass.matcher(r.output());
                int finalRank = rank;
                assertTrue(m.find(), () -> "np=" + np + ": no 'rank " + finalRank + " PASS " + check + "' line:\n" + r);
            }
        }
        return r;
    }
}
