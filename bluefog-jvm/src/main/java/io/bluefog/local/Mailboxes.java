package io.bluefog.local;

import io.bluefog.CommunicationException;
import io.bluefog.comm.DType;
import io.bluefog.comm.Request;
import java.nio.Buffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Point-to-point matching of the in-JVM transport, with MPI's rules: a receive from
 * {@code source} with {@code tag} matches the oldest unmatched send from {@code source} to the
 * receiving rank with that tag (messages of one (source, dest, tag) channel are non-overtaking).
 *
 * <p>Protocols, as in MPI implementations: a message of at most {@code eagerLimitBytes} that finds
 * no posted receive is copied once into a private heap buffer and its send completes at once
 * (eager); a larger one waits for its receive and is then copied directly from the sender's buffer
 * into the receiver's (rendezvous: one bulk memcpy, no intermediate copy). Whichever thread makes
 * the match performs the copy, outside every lock.
 */
final class Mailboxes {
    private record Key(int source, int dest, int tag) { }

    /** A posted, not yet matched send. {@code sent} is null for an eager copy (already complete). */
    private record Message(Buffer data, DType dtype, Completion sent) { }

    /**
     * A posted, not yet matched receive; {@code upTo}: any message of at most the target's length
     * is accepted, and its length is left in {@code length[0]}.
     */
    private record Receive(Buffer target, DType dtype, Completion received, boolean upTo, int[] length) { }

    private static final class Channel {
        final ArrayDeque<Message> sends = new ArrayDeque<>();
        final ArrayDeque<Receive> receives = new ArrayDeque<>();
    }

    private final World world;
    private final ConcurrentHashMap<Key, Channel> channels = new ConcurrentHashMap<>();

    Mailboxes(World world) {
        this.world = world;
    }

    private Channel channel(int source, int dest, int tag) {
        return channels.computeIfAbsent(new Key(source, dest, tag), k -> new Channel());
    }

    /**
     * Posts a send of {@code data} (a slice: position 0, limit = element count) from
     * {@code source} to {@code dest}.
     */
    Request send(int source, int dest, int tag, Buffer data, DType dtype) {
        Completion sent = new Completion();
        String what = "isend to rank " + dest + " tag " + tag;
        Channel ch = channel(source, dest, tag);
        Receive match;
        synchronized (ch) {
            match = ch.receives.poll();
            if (match == null) {
                if ((long) data.remaining() * dtype.bytes() <= world.eagerLimitBytes()) {
                    ch.sends.add(new Message(heapCopy(data, dtype), dtype, null));
                    sent.complete();
                } else {
                    ch.sends.add(new Message(data, dtype, sent));
                }
            }
        }
        if (match != null) {
            deliver(source, dest, tag, new Message(data, dtype, sent), match);
        }
        return new LocalRequest(world, source, dest, sent, what,
                () -> "rank " + dest + " posted no matching irecv from rank " + source + " with tag " + tag);
    }

    /**
     * Posts a receive into {@code target} (a slice) at {@code dest} of a message from {@code source}:
     * of exactly the target's length, or with {@code upTo} of at most that.
     */
    Request receive(int source, int dest, int tag, Buffer target, DType dtype, boolean upTo) {
        Completion received = new Completion();
        int[] length = {-1};
        String what = "irecv from rank " + source + " tag " + tag;
        Channel ch = channel(source, dest, tag);
        Message match;
        synchronized (ch) {
            match = ch.sends.poll();
            if (match == null) {
                ch.receives.add(new Receive(target, dtype, received, upTo, length));
            }
        }
        if (match != null) {
            deliver(source, dest, tag, match, new Receive(target, dtype, received, upTo, length));
        }
        return new LocalRequest(world, dest, source, received, what,
                () -> "rank " + source + " posted no matching isend to rank " + dest + " with tag " + tag, length);
    }

    /**
     * Copies a matched message. A dtype or element-count mismatch fails the receive (as MPI reports
     * truncation at the receiver); the send completes either way because its message was consumed.
     */
    private static void deliver(int source, int dest, int tag, Message m, Receive r) {
        try {
            int have = m.data().remaining();
            int room = r.target().remaining();
            if (m.dtype() != r.dtype() || (r.upTo() ? have > room : have != room)) {
                r.received().fail(new CommunicationException("rank " + dest + ": irecv from rank " + source
                        + " tag " + tag + " expected " + (r.upTo() ? "at most " : "") + room + " x "
                        + r.dtype().label() + " but the message has " + have + " x " + m.dtype().label()));
            } else {
                copy(r.target(), m.data(), r.dtype());
                r.length()[0] = have; // published to the receiver by the completion
                r.received().complete();
            }
        } finally {
            if (m.sent() != null) {
                m.sent().complete();
            }
        }
    }

    /** Bulk copy of all remaining elements of {@code src} into {@code dst} (a memcpy for direct, same-order buffers). */
    static void copy(Buffer dst, Buffer src, DType dtype) {
        switch (dtype) {
            case FLOAT32 -> ((FloatBuffer) dst).duplicate().put(((FloatBuffer) src).duplicate());
            case FLOAT64 -> ((DoubleBuffer) dst).duplicate().put(((DoubleBuffer) src).duplicate());
            case FLOAT16 -> ((ShortBuffer) dst).duplicate().put(((ShortBuffer) src).duplicate());
            case INT32 -> ((IntBuffer) dst).duplicate().put(((IntBuffer) src).duplicate());
            case INT64 -> ((LongBuffer) dst).duplicate().put(((LongBuffer) src).duplicate());
        }
    }

    private static Buffer heapCopy(Buffer data, DType dtype) {
        int n = data.remaining();
        Buffer copy = switch (dtype) {
            case FLOAT32 -> FloatBuffer.allocate(n);
            case FLOAT64 -> DoubleBuffer.allocate(n);
            case FLOAT16 -> ShortBuffer.allocate(n);
            case INT32 -> IntBuffer.allocate(n);
            case INT64 -> LongBuffer.allocate(n);
        };
        copy(copy, data, dtype);
        return copy;
    }
}
