package io.bluefog.collectives.window;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The slot file of the shared-memory window path: two mappings of one file, as an owner and a destination have. */
class SharedSlotsTest {
    private static final long PID = ProcessHandle.current().pid();

    @BeforeEach
    void needsDevShm() {
        assumeTrue(Files.isWritable(io.bluefog.collectives.engine.SharedFiles.DIRECTORY), "/dev/shm is not writable here");
    }

    @Test
    void destinationSeesTheOwnersSlotAndCountsGoBackToZero() throws IOException {
        long[] shape = {3, 5};
        long nonce = 0x1234_5678_9abcL;
        SharedSlots owner = SharedSlots.create(PID, nonce, 2, DataType.FLOAT, shape);
        try {
            SharedSlots peer = SharedSlots.map(PID, nonce, 2, DataType.FLOAT, shape);
            assertEquals(Windows.slotCount(2), owner.slots);
            INDArray x = Nd4j.linspace(DataType.FLOAT, 1, 15, 1).reshape(3, 5);
            int s = owner.take(2);
            assertTrue(s >= 0);
            x.mul(0.5, owner.array(s)); // the owner's one pass into the slot
            assertEquals(x.mul(0.5), peer.array(s), "the destination's view of the slot");
            assertEquals(2, peer.references(s));
            // every other slot is free; with this one held twice, the pool has slots - 1 left
            int taken = 1;
            while (owner.take(1) >= 0) {
                taken++;
            }
            assertEquals(owner.slots, taken, "each slot is taken once");
            assertEquals(-1, owner.take(1), "no free slot: the caller sends a message instead");
            peer.release(s);
            assertEquals(-1, owner.take(1), "one of two destinations still holds the slot");
            peer.release(s);
            assertEquals(s, owner.take(1), "released by both destinations, the slot is reused");
            // applied counters, one per out-neighbor of the owner
            assertEquals(0, owner.applied(1));
            peer.markApplied(1);
            peer.markApplied(1);
            assertEquals(2, owner.applied(1));
            assertEquals(0, owner.applied(0));
        } finally {
            owner.unlink();
        }
        assertFalse(Files.exists(owner.path), "unlinked");
        owner.unlink(); // idempotent
    }

    @Test
    void float64SlotsWorkWithTheCombineKernelsUnchanged() throws IOException {
        long[] shape = {1000};
        SharedSlots owner = SharedSlots.create(PID, 77, 1, DataType.DOUBLE, shape);
        try {
            INDArray slot = owner.array(owner.take(1));
            slot.assign(2.0);
            INDArray x = Nd4j.valueArrayOf(shape, 1.0, DataType.DOUBLE);
            io.bluefog.collectives.engine.WeightedSums.combineInPlace(true, x, 0.5, new double[] {0.25},
                    new INDArray[] {slot});
            assertEquals(1.0, x.getDouble(999), 0.0, "0.5 * 1 + 0.25 * 2");
            assertEquals(1.0, x.getDouble(0), 0.0);
        } finally {
            owner.unlink();
        }
    }

    @Test
    void aFileWithAnotherNonceOrSizeIsRefused() throws IOException {
        long[] shape = {8};
        SharedSlots owner = SharedSlots.create(PID, 99, 1, DataType.FLOAT, shape);
        try {
            // the same name with another nonce does not exist; the same name with another size is refused
            assertThrows(IOException.class, () -> SharedSlots.map(PID, 98, 1, DataType.FLOAT, shape));
            assertThrows(IOException.class, () -> SharedSlots.map(PID, 99, 1, DataType.FLOAT, new long[] {100}));
            assertThrows(IOException.class, () -> SharedSlots.map(PID, 99, 2, DataType.FLOAT, shape));
            assertThrows(IOException.class, () -> SharedSlots.create(PID, 99, 1, DataType.FLOAT, shape),
                    "create never reuses an existing file");
        } finally {
            owner.unlink();
        }
    }
}
