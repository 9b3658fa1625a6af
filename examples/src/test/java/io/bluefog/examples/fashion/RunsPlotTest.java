package io.bluefog.examples.fashion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunsPlotTest {
    @TempDir
    Path tmp;

    @Test
    void aLabelMayContainAnEqualsSignTheDirectoryIsAfterTheLast() {
        List<RunsPlot.LabelledDir> d = RunsPlot.labelledDirs(List.of("diloco H=4=runs/h4", "atc=runs/atc"));
        assertEquals("diloco H=4", d.get(0).label());
        assertEquals(Path.of("runs/h4"), d.get(0).dir());
        assertEquals("atc", d.get(1).label());
    }

    @Test
    void anArgumentWithoutLabelOrDirectoryIsNamed() {
        for (String bad : new String[] {"runs/atc", "=runs/atc", "atc="}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RunsPlot.labelledDirs(List.of(bad)));
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
    }

    @Test
    void savesOnePngUnderTheSuffixedNameAndLeavesNoTemporaryFile() throws Exception {
        var chart = RunsPlot.chart("t", "x", "y");
        RunsPlot.addAll(chart, List.of(new RunsPlot.Series("a", new double[] {1, 2}, new double[] {3, 4})), true);
        RunsPlot.save(chart, tmp.resolve("out"));
        byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(tmp.resolve("out.png")), 4);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, head);
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(List.of(tmp.resolve("out.png")), files.toList());
        }
    }
}
