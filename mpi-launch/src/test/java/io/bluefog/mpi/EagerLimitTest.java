package io.bluefog.mpi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** {@link MpiCommunicator#eagerLimit}: Open MPI's vader eager limit less the match-header allowance. */
class EagerLimitTest {
    @Test
    void defaultSetAndMalformedLimits() {
        int header = MpiCommunicator.EAGER_HEADER_BYTES;
        assertEquals(4096 - header, MpiCommunicator.eagerLimit(null), "Open MPI 4.x default");
        assertEquals(8192 - header, MpiCommunicator.eagerLimit(" 8192 "), "--mca btl_vader_eager_limit 8192");
        assertEquals(4096 - header, MpiCommunicator.eagerLimit("4k"), "not a number: the default");
        assertEquals(64, MpiCommunicator.eagerLimit("10"), "never below 64 bytes");
        assertEquals(Integer.MAX_VALUE, MpiCommunicator.eagerLimit(Long.toString(Long.MAX_VALUE)), "clamped to int");
    }
}
