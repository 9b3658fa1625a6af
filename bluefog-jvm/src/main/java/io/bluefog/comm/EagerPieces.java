package io.bluefog.comm;

import java.util.function.IntFunction;

/**
 * Sending a message a little longer than a transport's eager limit
 * ({@link Communicator#eagerMessageBytes}) as a few eager pieces, and receiving it whole or in
 * pieces. On Open MPI's shared-memory transport (BTL vader) a message over the limit goes
 * rendezvous and is copied with a {@code process_vm_readv} system call: a 4 KB message (4096 bytes
 * of data, over the limit once the match header is counted) took 3.4-5.5 us between 2 ranks on the
 * 2-core development VM, a 4000-byte one 1.6-1.8 us (a loop of the MPI transport's 4 KB
 * allgatherv, 1024 against 1000 floats per rank).
 *
 * <p>The protocol is self-delimiting, so a receiver consumes exactly what was sent whatever length
 * it expected: a message of {@code piece} to {@value #MAX_PIECES} x {@code piece} elements goes as
 * full pieces of exactly {@code piece} elements followed by one shorter piece (possibly empty);
 * any other message goes whole, so a whole message never has exactly {@code piece} elements. The
 * receiver ({@link Receive}) takes pieces while they come exactly {@code piece} elements long; any
 * other length ends the message. MPI delivers the messages of one source, communicator and tag in
 * order (MPI 4.0 §3.5, "order"), and no other receive of that source and tag may be posted
 * meanwhile, so the pieces arrive in sequence. Sender and receiver must use the same {@code piece}.
 */
public final class EagerPieces {
    /**
     * Most full pieces of a message sent in pieces. Measured on the 2-core VM (2 ranks, in-place
     * 4 KB..32 KB neighborAllreduce in a loop, whole vs pieces in alternating runs): pieces 4.4-5.1
     * vs 6.8-8.9 us at 4 KB, 5.3-7.8 vs 6.7-12.5 us at 8 KB, mixed at 16 KB and slower at 32 KB,
     * where one rendezvous copy beats many eager fragments.
     */
    public static final int MAX_PIECES = 3;

    private EagerPieces() {
    }

    /**
     * @param eagerBytes   the transport's eager limit in bytes of payload
     * @param elementBytes bytes per element (1 .. 8)
     * @param minElements  the shortest piece allowed (at least 1)
     * @return the piece length in elements: the most whole elements within {@code eagerBytes}, at
     *         least {@code minElements}
     */
    public static int pieceElements(int eagerBytes, int elementBytes, int minElements) {
        if (elementBytes < 1 || minElements < 1) {
            throw new IllegalArgumentException("elementBytes and minElements must be positive, got " + elementBytes
                    + " and " + minElements);
        }
        return Math.max(minElements, eagerBytes / elementBytes);
    }

    /** @return whether a message of {@code elements} goes in pieces of {@code piece} elements (see the class comment) */
    public static boolean inPieces(long elements, int piece) {
        return elements >= piece && elements <= (long) MAX_PIECES * piece;
    }

    /** Sends one piece (or the whole message): {@code length} elements from element {@code offset}. */
    @FunctionalInterface
    public interface PieceSender {
        void send(int offset, int length);
    }

    /**
     * Sends a message of {@code elements}: whole, or as pieces of {@code piece} elements and a
     * shorter last one ({@link #inPieces}), each through {@code sender} in order.
     */
    public static void send(int elements, int piece, PieceSender sender) {
        if (!inPieces(elements, piece)) {
            sender.send(0, elements);
            return;
        }
        for (int at = 0; ; at += piece) {
            int length = Math.min(piece, elements - at);
            sender.send(at, length);
            if (length < piece) {
                return;
            }
        }
    }

    /**
     * The receive of one message sent by {@link #send}, whole or in pieces. {@code postAt(at)}
     * starts the receive of the next piece at element {@code at} of the destination, with room for
     * the rest of it (a receive that reports its length: {@link Communicator#irecvUpTo}); it is
     * called for offset 0 at once, and for each further piece when the previous one completed
     * exactly {@code piece} elements long. At the end of the destination this posts an empty
     * receive: the sender's empty last piece fits it, a longer message fails it with the
     * transport's truncation error. Not thread-safe.
     */
    public static final class Receive implements Request {
        private final IntFunction<Request> postAt;
        private final int piece;
        private Request current;
        private int received;
        private boolean done;

        /**
         * @param postAt starts the receive of a piece at an element offset of the destination
         * @param piece  the piece length in elements, the sender's
         */
        public Receive(IntFunction<Request> postAt, int piece) {
            this.postAt = postAt;
            this.piece = piece;
            this.current = postAt.apply(0);
        }

        /** Takes the completed piece: a full one posts the next, any other ends the message. */
        private void take() {
            int got = current.receivedElements();
            received += got;
            if (got != piece) {
                done = true;
                return;
            }
            current = postAt.apply(received);
        }

        @Override
        public boolean test() {
            while (!done) {
                if (!current.test()) {
                    return false;
                }
                take();
            }
            return true;
        }

        @Override
        public void waitFor() {
            while (!done) {
                current.waitFor();
                take();
            }
        }

        /** @return the elements of the whole message; {@link IllegalStateException} until it is complete */
        @Override
        public int receivedElements() {
            if (!done) {
                throw new IllegalStateException("the message is not complete (" + received + " elements so far)");
            }
            return received;
        }

        /** @return the receive of the current piece (for its description in a stall report) */
        @Override
        public String toString() {
            return String.valueOf(current);
        }
    }
}
