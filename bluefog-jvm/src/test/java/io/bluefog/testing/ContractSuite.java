package io.bluefog.testing;

import java.util.Map;

/**
 * A set of contract checks written once and run on every transport: as threads of one JVM by
 * {@link LocalContractTests} (JUnit, any world size) and under {@code mpirun} by
 * {@link RunContractSuite} (one process per rank). Implementations need a public no-argument
 * constructor (so {@code RunContractSuite} can create them by class name) and compute expected
 * values in closed form from rank ids or from a serial reference.
 */
public interface ContractSuite {
    /**
     * @return the checks by name, in the order they run (e.g. a {@link java.util.LinkedHashMap});
     *         names are identifiers without spaces so they can be given on a command line
     */
    Map<String, RankCheck> checks();
}
