package io.bluefog.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;

/** LocalContractTests builds one dynamic test per (size, check) that fails exactly when a rank fails. */
class LocalContractTestsTest {
    @Test
    void oneTestPerSizeAndCheckThatRunsTheCheckOnEveryRank() throws Throwable {
        List<DynamicNode> sizes = LocalContractTests.forSizes(new RunContractSuiteTest.FailingSuite(), 1, 3)
                .collect(Collectors.toList());
        assertEquals(List.of("n = 1", "n = 3"), sizes.stream().map(DynamicNode::getDisplayName).toList());
        for (DynamicNode node : sizes) {
            List<DynamicTest> tests = new ArrayList<>();
            ((DynamicContainer) node).getChildren().forEach(t -> tests.add((DynamicTest) t));
            assertEquals(List.of("passes", "fails", "neverRuns"), tests.stream().map(DynamicNode::getDisplayName).toList());
            tests.get(0).getExecutable().execute();
            AssertionError e = assertThrows(AssertionError.class, () -> tests.get(1).getExecutable().execute());
            assertEquals("expected 1\nbut was 2", e.getMessage());
            assertThrows(IllegalStateException.class, () -> tests.get(2).getExecutable().execute());
        }
    }
}
