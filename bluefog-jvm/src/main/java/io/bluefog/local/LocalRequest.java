package io.bluefog.local;

import io.bluefog.comm.Request;
import java.util.function.Supplier;

/** {@link Request} of the in-JVM transport: a {@link Completion} plus what to say on timeout. */
final class LocalRequest implements Request {
    private final World world;
    private final int rank;
    private final Completion completion;
    private final String what;
    private final Supplier<String> missing;
    private final int peer;
    /** A receive's delivered length, written before its completion; null for a send. */
    private final int[] length;

    /**
     * @param peer the rank whose matching call this request needs; if that rank's task returns
     *             before the request completes, waiting fails at once
     */
    LocalRequest(World world, int rank, int peer, Completion completion, String what, Supplier<String> missing) {
        this(world, rank, peer, completion, what, missing, null);
    }

    /** @param length a receive's delivered length, set before {@code completion} completes; null for a send */
    LocalRequest(World world, int rank, int peer, Completion completion, String what, Supplier<String> missing,
            int[] length) {
        this.length = length;
        this.world = world;
        this.rank = rank;
        this.completion = completion;
        this.what = what;
        this.missing = missing;
        this.peer = peer;
    }

    /**
     * @return true once the operation finished (successfully or not; {@link #waitFor} reports which)
     * @throws io.bluefog.CommunicationException if it is unfinished and another rank failed, so that
     *                                          polling loops end too
     */
    @Override
    public boolean test() {
        if (completion.isDone()) {
            return true;
        }
        world.throwIfFailed(rank, what);
        return false;
    }

    @Override
    public void waitFor() {
        completion.await(world, rank, what, missing,
                () -> peer != rank && world.hasExited(peer) && !completion.isDone()
                        ? "rank " + peer + " finished without making the matching call" : null);
    }

    @Override
    public int receivedElements() {
        if (length == null) {
            throw new IllegalStateException("rank " + rank + " " + what + " is a send");
        }
        if (!completion.isDone() || length[0] < 0) {
            throw new IllegalStateException("rank " + rank + " " + what + (completion.isDone() ? " failed" : " is not complete"));
        }
        return length[0];
    }

    @Override
    public String toString() {
        return "rank " + rank + " " + what + (completion.isDone() ? " (done)" : " (pending)");
    }
}
