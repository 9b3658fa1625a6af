package io.bluefog.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

class TransportOptionsTest {
    @Command(name = "example")
    static final class Example {
        @Mixin
        TransportOptions where = new TransportOptions(3);
    }

    private static TransportOptions parse(String... args) {
        Example e = new Example();
        new CommandLine(e).parseArgs(args);
        return e.where;
    }

    @Test
    void localRunsTheRanksAsThreadsAndReturnsTheirResultsInRankOrder() throws Exception {
        List<String> got = parse("--transport", "local", "--ranks", "4").call(bf -> bf.rank() + "/" + bf.size());
        assertEquals(List.of("0/4", "1/4", "2/4", "3/4"), got);
    }

    @Test
    void theExampleChoosesTheDefaultRanks() throws Exception {
        assertEquals(3, parse("--transport", "local").call(bf -> bf.size()).size());
    }

    @Test
    void autoWithoutMpiIsOneRankOfThisProcess() throws Exception {
        assertEquals(List.of(1), parse().call(bf -> bf.size()));
    }

    @Test
    void badValuesAreParameterErrorsNamingTheOption() {
        CommandLine.ParameterException t = assertThrows(CommandLine.ParameterException.class,
                () -> parse("--transport", "tcp"));
        assertTrue(t.getMessage().contains("--transport") && t.getMessage().contains("tcp")
                && t.getMessage().contains("auto") && t.getMessage().contains("local"), t.getMessage());
        CommandLine.ParameterException r = assertThrows(CommandLine.ParameterException.class,
                () -> parse("--transport", "local", "--ranks", "0").call(bf -> 0));
        assertEquals("--ranks must be >= 1, got 0", r.getMessage());
    }

    @Test
    void aRankFailureReachesTheCaller() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> parse("--transport", "local", "--ranks", "2")
                .call(bf -> {
                    if (bf.rank() == 1) {
                        throw new IllegalStateException("rank 1 failed");
                    }
                    return 0;
                }));
        assertEquals("rank 1 failed", e.getMessage());
    }
}
