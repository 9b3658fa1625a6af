package io.bluefog.comm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link EagerPieces}: the split a sender makes and the receiver's reading of it, in closed form. */
class EagerPiecesTest {
    private static final int P = 10;

    private static List<List<Integer>> split(int elements) {
        List<List<Integer>> pieces = new ArrayList<>();
        EagerPieces.send(elements, P, (at, length) -> pieces.add(List.of(at, length)));
        return pieces;
    }

    @Test
    void pieceLengthIsTheWholeElementsWithinTheLimit() {
        assertEquals(1008, EagerPieces.pieceElements(4032, 4, 1), "Open MPI's default 4096 - 64 bytes, float32");
        assertEquals(504, EagerPieces.pieceElements(4032, 8, 1));
        assertEquals(20, EagerPieces.pieceElements(16, 8, 20), "never shorter than the minimum");
        assertThrows(IllegalArgumentException.class, () -> EagerPieces.pieceElements(4032, 0, 1));
    }

    @Test
    void messagesOfOneToThreePiecesAreSplitOthersGoWhole() {
        assertEquals(List.of(List.of(0, 0)), split(0));
        assertEquals(List.of(List.of(0, P - 1)), split(P - 1));
        assertEquals(List.of(List.of(0, P), List.of(P, 0)), split(P), "exactly one piece: an empty last piece ends it");
        assertEquals(List.of(List.of(0, P), List.of(P, P), List.of(2 * P, 3)), split(2 * P + 3));
        assertEquals(List.of(List.of(0, P), List.of(P, P), List.of(2 * P, P), List.of(3 * P, 0)), split(3 * P));
        assertEquals(List.of(List.of(0, 3 * P + 1)), split(3 * P + 1), "over three pieces: whole (never exactly P long)");
    }

    /** A completed receive that reports {@code length} elements. */
    private record Done(int length) implements Request {
        @Override
        public boolean test() {
            return true;
        }

        @Override
        public void waitFor() {
        }

        @Override
        public int receivedElements() {
            return length;
        }
    }

    /** Receives every split above: the receiver posts at the sender's offsets and totals the message. */
    @Test
    void receiverConsumesExactlyWhatWasSent() {
        for (int elements : new int[] {0, 1, P - 1, P, P + 1, 2 * P, 3 * P - 1, 3 * P, 3 * P + 1, 100}) {
            Deque<List<Integer>> sent = new ArrayDeque<>(split(elements));
            List<Integer> postedAt = new ArrayList<>();
            EagerPieces.Receive r = new EagerPieces.Receive(at -> {
                postedAt.add(at);
                return new Done(sent.poll().get(1));
            }, P);
            assertFalse(postedAt.isEmpty());
            r.waitFor();
            assertTrue(r.test());
            assertEquals(elements, r.receivedElements(), elements + " elements");
            assertTrue(sent.isEmpty(), elements + " elements: every piece received, none left over");
            assertEquals(split(elements).stream().map(p -> p.get(0)).toList(), postedAt, "offsets of " + elements);
        }
    }

    @Test
    void incompleteMessageHasNoLength() {
        Request pending = new Request() {
            @Override
            public boolean test() {
                return false;
            }

            @Override
            public void waitFor() {
            }
        };
        EagerPieces.Receive r = new EagerPieces.Receive(at -> pending, P);
        assertFalse(r.test());
        assertThrows(IllegalStateException.class, r::receivedElements);
    }
}
