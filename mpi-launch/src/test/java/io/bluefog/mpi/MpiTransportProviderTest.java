package io.bluefog.mpi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.comm.TransportProvider;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** The provider is registered and, outside mpirun (as under surefire), reports itself unavailable. */
class MpiTransportProviderTest {
    @Test
    void registeredWithServiceLoader() {
        assertTrue(ServiceLoader.load(TransportProvider.class).stream()
                .anyMatch(p -> p.type() == MpiTransportProvider.class));
        assertEquals("mpi", new MpiTransportProvider().name());
    }

    @Test
    void unavailableWithoutOpenMpiEnvironment() {
        assertTrue(System.getenv("OMPI_COMM_WORLD_RANK") == null, "this test must not run under mpirun");
        assertFalse(new MpiTransportProvider().isAvailable());
    }
}
