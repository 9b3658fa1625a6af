package io.bluefog.mpi.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.config.BlueFogConfig;
import io.bluefog.mpi.MpiRun;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One rank throws; the whole mpirun job must end non-zero through the abort, before any peer could
 * have timed out waiting for it ({@link #LIMIT}), not hang.
 */
@Tag("mpi")
class FailureMpiTest {
    /**
     * Below the runtime's default peer timeout (120 s), so a job that ends within it was ended by the
     * abort, not by a timeout; a hang guard, not a speed claim (the abort takes well under a second
     * once the ranks have started).
     */
    static final Duration LIMIT = Duration.ofMillis(BlueFogConfig.DEFAULT_TIMEOUT_MILLIS * 3 / 4);

    @ParameterizedTest(name = "np = {0}, exception in {1}")
    @CsvSource({"2, main", "4, main", "2, worker-thread", "4, worker-thread", "2, try-block", "4, try-block"})
    void uncaughtExceptionOnOneRankAbortsTheJob(int np, String where) {
        // Give the runner more than LIMIT so that a hang is reported with the job's output.
        MpiRun.Result r = MpiRun.run(np, LIMIT.plusSeconds(15), FailingRankMain.class.getName(), where);
        assertFalse(r.timedOut(), () -> "job hung: " + r);
        assertNotEquals(0, r.exitCode(), () -> "job must fail: " + r);
        assertTrue(r.elapsed().compareTo(LIMIT) < 0, () -> "job took longer than " + LIMIT + ": " + r);
        assertTrue(r.output().contains(FailingRankMain.MESSAGE + " (rank " + (np - 1) + ")"),
                () -> "the failing rank's exception is not in the output: " + r);
        assertTrue(r.output().contains("rank " + (np - 1) + " aborts the MPI job"), () -> "no abort message: " + r);
        assertFalse(r.output().contains("passed a barrier it should never pass"), () -> r.toString());
    }

    /**
     * The timeline of a rank that aborts the job is complete, valid JSON with the events recorded
     * before the failure (before: kept in memory and written only at close(), so an aborted job left
     * no trace).
     */
    @Test
    void theAbortingRanksTimelineIsCompleteOnDisk(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        String prefix = dir.resolve("trace-").toString();
        java.util.List<String> cmd = MpiRun.command(2, java.util.List.of("-DBLUEFOG_TIMELINE=" + prefix),
                FailingRankMain.class.getName(), java.util.List.of("timeline"));
        MpiRun.Result r = MpiRun.exec(cmd, LIMIT.plusSeconds(15));
        assertFalse(r.timedOut(), () -> "job hung: " + r);
        assertNotEquals(0, r.exitCode(), () -> "job must fail: " + r);
        assertTrue(r.output().contains("rank 1 aborts the MPI job"), () -> "no abort message: " + r);
        java.nio.file.Path trace = java.nio.file.Path.of(prefix + "1.json");
        assertTrue(java.nio.file.Files.isRegularFile(trace), () -> "no " + trace + " after: " + r);
        // Parsed to its end (an incomplete file is a parse error); the event is one of its "name" values.
        boolean found = false;
        try (com.fasterxml.jackson.core.JsonParser p = new com.fasterxml.jackson.core.JsonFactory().createParser(trace.toFile())) {
            String field = null;
            for (com.fasterxml.jackson.core.JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                if (t == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
                    field = p.currentName();
                } else if (t == com.fasterxml.jackson.core.JsonToken.VALUE_STRING && "name".equals(field)) {
                    found |= "before the failure".equals(p.getText());
                }
            }
        }
        boolean recorded = found;
        assertTrue(recorded, () -> trace + " lacks the event recorded before the failure: " + read(trace));
    }

    private static String read(java.nio.file.Path f) {
        try {
            return java.nio.file.Files.readString(f);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }
}
