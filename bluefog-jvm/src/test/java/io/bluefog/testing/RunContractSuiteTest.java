package io.bluefog.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** RunContractSuite outside mpirun: a one-rank job of the in-JVM transport. */
class RunContractSuiteTest {
    /** A suite whose second check fails; the third must not run. */
    public static final class FailingSuite implements ContractSuite {
        @Override
        public Map<String, RankCheck> checks() {
            Map<String, RankCheck> c = new LinkedHashMap<>();
            c.put("passes", bf -> bf.communicator().barrier());
            c.put("fails", bf -> {
                throw new AssertionError("expected 1\nbut was 2");
            });
            c.put("neverRuns", bf -> {
                throw new IllegalStateException("ran after a failure");
            });
            return c;
        }
    }

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return RunContractSuite.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void wholeCommunicatorContractPassesOnOneRank() {
        assertEquals(0, run(CommunicatorContract.class.getName()), out() + err());
        int checks = new CommunicatorContract().checks().size();
        for (String name : new CommunicatorContract().checks().keySet()) {
            assertTrue(out().contains("rank 0 PASS " + name + "\n"), out());
        }
        assertTrue(out().endsWith("rank 0 DONE " + checks + " checks passed\n"), out());
    }

    @Test
    void selectedChecksRunInSuiteOrder() {
        assertEquals(0, run(CommunicatorContract.class.getName(), "allgather", "worldLayout"));
        assertEquals("rank 0 PASS worldLayout\nrank 0 PASS allgather\nrank 0 DONE 2 checks passed\n", out());
    }

    @Test
    void failureExitsOneAfterPrintingFailLineOnOneLine() {
        assertEquals(1, run(FailingSuite.class.getName()));
        assertEquals("rank 0 PASS passes\nrank 0 FAIL fails: AssertionError: expected 1 but was 2\n", out());
    }

    @Test
    void badArgumentsExitTwoWithOneLineOnStderr() {
        assertEquals(2, run());
        assertEquals(2, run("no.such.Suite"));
        assertTrue(err().contains("suite class no.such.Suite is not on the classpath"), err());
        err.reset();
        assertEquals(2, run(String.class.getName()));
        assertTrue(err().contains("does not implement"), err());
        err.reset();
        assertEquals(2, run(CommunicatorContract.class.getName(), "allreduceSum", "nope"));
        assertTrue(err().contains("unknown check(s) [nope]"), err());
        assertEquals("", out());
    }
}
