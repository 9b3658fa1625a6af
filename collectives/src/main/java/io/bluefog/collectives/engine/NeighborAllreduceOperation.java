package io.bluefog.collectives.engine;

import static io.bluefog.collectives.engine.ExecutionContext.TAG_DATA;
import static io.bluefog.collectives.engine.ExecutionContext.TAG_PEER_HEADER;

import io.bluefog.CollectiveMismatchException;
import io.bluefog.CommunicationException;
import io.bluefog.comm.Request;
import io.bluefog.comm.SharedMemoryExchange;
import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Weighted neighbor average (BlueFog {@code neighbor_allreduce}): every rank sends its tensor
 * (scaled by the destination weight, if any) to its destinations and computes
 * {@code self * x + sum_k w_k x_{source k}}, the sources in ascending rank order, pipelined in
 * chunks; fused batches travel packed. Also the exchange step of the hierarchical variant
 * ({@link #exchangeAndCombine}) and the variant checked between neighbors when negotiation is
 * skipped ({@link #executePeerChecked}).
 *
 * <p>On a transport whose ranks share memory ({@link SharedMemoryExchange}, the in-JVM
 * LocalCluster), an agreed call reads the sources' payloads in place instead of receiving copies
 * ({@link #shareAndCombine}): the same kernel, weights and summation order, so bit-identical results.
 */
final class NeighborAllreduceOperation implements Operation {
    private final DoubleBuffer ownHeader = Coordinator.direct(Headers.LENGTH);
    private DoubleBuffer peerHeaders;

    /** A batch every rank agreed on (negotiated): every rank of the job executes it. */
    @Override
    public void execute(List<Op> batch, ExecutionContext ctx) {
        execute(batch, ctx, true);
    }

    /**
     * @param everyRank true if every rank of the job executes this batch now (after negotiation),
     *                  which a job-wide {@link SharedMemoryExchange} round needs; false when only
     *                  neighbors agreed (negotiation skipped)
     */
    private void execute(List<Op> batch, ExecutionContext ctx, boolean everyRank) {
        NeighborPlan plan = batch.get(0).plan;
        if (plan.needsSetExchange()) {
            ctx.exchangeSets(plan, ctx.rank, ctx.everyRank, "rank", "neighborAllreduce");
        }
        INDArray in = ctx.pack(batch);
        INDArray out = ctx.resultSpace(batch, true);
        if (everyRank && ctx.comm instanceof SharedMemoryExchange shm) {
            shareAndCombine(ctx, shm, plan, in, out, "neighborAllreduce");
        } else {
            exchangeAndCombine(ctx, plan, ctx.everyRank, in, out, "neighborAllreduce");
        }
        ctx.unpack(batch, out);
    }

    /** What a rank publishes in a {@link SharedMemoryExchange} round: its peers and per-destination payloads. */
    private record Published(int[] sources, int[] destinations, INDArray[] payloads) {
    }

    /**
     * {@link #exchangeAndCombine} for a rank-level plan on a shared-memory transport, every rank of
     * the job taking part: each rank publishes its payload for each destination (the input itself,
     * or the input scaled by the destination weight and rounded to the dtype, as the message path
     * sends), one phase barrier, then each rank combines {@code self * in + sum_k w_k payload_k}
     * reading its sources' payloads where they lie (same {@link Combiner}, sources ascending), and
     * a second barrier before any rank may overwrite what it published. In place, the result is
     * combined into pooled scratch and copied into {@code in} after the second barrier.
     *
     * @throws CommunicationException if a source does not list this rank as a destination or a
     *         destination does not list it as a source (possible only with unchecked dynamic
     *         neighbors; the message path would wait for data that never comes)
     */
    static void shareAndCombine(ExecutionContext ctx, SharedMemoryExchange shm, NeighborPlan plan, INDArray in,
            INDArray out, String opName) {
        long n = in.length();
        DataType dtype = in.dataType();
        int rank = ctx.rank;
        int ns = plan.sources.length;
        int nd = plan.destinations.length;
        INDArray[] payload = payloads(ctx, plan, in);
        boolean aliased = Tensors.sameMemory(out, in);
        INDArray target = aliased ? ctx.borrow(dtype, n) : out;
        SharedMemoryExchange.Shared round = shm.share(new Published(plan.sources, plan.destinations, payload), opName,
                ctx.timeoutMillis(), ctx.failures::check, absent -> "ranks " + absent + " did not take part in the "
                        + opName + " every rank agreed on");
        String unmatched = null;
        try {
            INDArray[] received = new INDArray[ns];
            for (int k = 0; k < ns && unmatched == null; k++) {
                int s = plan.sources[k];
                Published p = (Published) round.of(s);
                int i = indexOf(p.destinations(), rank);
                if (i < 0) {
                    unmatched = "rank " + rank + ": " + opName + " expects data from rank " + s + ", but rank " + s
                            + " does not send to rank " + rank + " (its destinations: " + Arrays.toString(p.destinations())
                            + ")";
                } else {
                    received[k] = p.payloads()[i];
                }
            }
            for (int k = 0; k < nd && unmatched == null; k++) {
                int d = plan.destinations[k];
                if (indexOf(((Published) round.of(d)).sources(), rank) < 0) {
                    unmatched = "rank " + rank + ": " + opName + " sends to rank " + d + ", but rank " + d
                            + " does not receive from rank " + rank + " (its sources: "
                            + Arrays.toString(((Published) round.of(d)).sources()) + ")";
                }
            }
            if (unmatched == null) {
                ctx.combiner(plan.selfWeight, plan.sourceWeights, in, target, received).combineAll(n);
            }
        } catch (RuntimeException e) {
            // Announced before this rank releases the round, so every other rank learns of it before
            // its own release returns (they check below), as its peers would on the message path.
            ctx.failures.announce(ctx.comm, e);
            round.flagFailure();
            try {
                round.release();
            } catch (RuntimeException r) {
                e.addSuppressed(r);
            }
            throw e;
        }
        round.release(); // runs ctx.failures.check() if a rank failed inside the round
        if (unmatched != null) {
            throw new CommunicationException(unmatched + "; the neighbor sets disagree (dynamic neighbors with"
                    + " checkConsistency(false) are not checked)");
        }
        if (aliased) {
            Tensors.copy(target, 0, out, 0, n);
        }
    }

    /**
     * out = self * in + sum over sources of w * (their in), flat arrays of one dtype; out may be in.
     *
     * @param rankOf the rank that speaks for each node of {@code plan} (the identity for a rank-level
     *               plan, the machines' leaders for a machine-level plan)
     */
    static void exchangeAndCombine(ExecutionContext ctx, NeighborPlan plan, int[] rankOf, INDArray in, INDArray out,
            String opName) {
        boolean aliased = Tensors.sameMemory(out, in);
        long n = in.length();
        DataType dtype = in.dataType();
        long deadline = ctx.deadline();
        int ns = plan.sources.length;
        int nd = plan.destinations.length;
        long chunk = ctx.chunkElements(dtype);
        int chunks = (int) Math.max(1, (n + chunk - 1) / chunk);
        int rank = ctx.rank;
        int[] from = new int[ns];
        for (int k = 0; k < ns; k++) {
            from[k] = rankOf[plan.sources[k]];
        }
        int[] to = new int[nd];
        for (int k = 0; k < nd; k++) {
            to[k] = rankOf[plan.destinations[k]];
        }

        INDArray[] received = new INDArray[ns];
        for (int k = 0; k < ns; k++) {
            received[k] = ctx.borrow(dtype, n);
        }
        INDArray[] payload = payloads(ctx, plan, in);
        // Every chunk's receives first, then its sends (chunk-major: the non-overtaking rule matches
        // chunk c of a source with receive c), then combine each chunk as soon as it is complete.
        List<Request> recvs = ctx.recvs;
        List<Request> sends = ctx.sends;
        recvs.clear();
        sends.clear();
        ByteBuffer[] recvBase = new ByteBuffer[ns];
        for (int k = 0; k < ns; k++) {
            recvBase[k] = Tensors.base(received[k]);
        }
        ByteBuffer[] sendBase = new ByteBuffer[nd];
        for (int k = 0; k < nd; k++) {
            sendBase[k] = k > 0 && payload[k] == payload[k - 1] ? sendBase[k - 1] : Tensors.base(payload[k]);
        }
        for (int c = 0; c < chunks; c++) {
            long at = c * chunk;
            long count = Math.min(chunk, n - at);
            for (int k = 0; k < ns; k++) {
                recvs.add(ctx.comm.irecv(Tensors.nio(recvBase[k], dtype, at, count), from[k], TAG_DATA));
            }
        }
        for (int c = 0; c < chunks; c++) {
            long at = c * chunk;
            long count = Math.min(chunk, n - at);
            for (int k = 0; k < nd; k++) {
                sends.add(ctx.comm.isend(Tensors.nio(sendBase[k], dtype, at, count), to[k], TAG_DATA));
            }
        }
        Combiner combiner = ctx.combiner(plan.selfWeight, plan.sourceWeights, in, out, received);
        for (int c = 0; c < chunks; c++) {
            long at = c * chunk;
            int count = (int) Math.min(chunk, n - at);
            ctx.waitRange(recvs, c * ns, ns, deadline, k -> opName + " data from rank " + from[k] + " at rank " + rank
                    + " (does rank " + from[k] + " send to " + rank + "?)");
            if (aliased) {
                // In place: chunk c of the input may be overwritten once every destination has it.
                ctx.waitRange(sends, c * nd, nd, deadline, k -> "rank " + to[k] + " to receive " + opName
                        + " data from rank " + rank);
            }
            combiner.combine(at, count);
        }
        ctx.waitSends(deadline, to);
    }

    /** @return the first index of {@code value} in {@code a} (not necessarily sorted), or -1 */
    private static int indexOf(int[] a, int value) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == value) {
                return i;
            }
        }
        return -1;
    }

    /**
     * @return per destination, what it receives: {@code in} itself, or for a destination weight other
     *         than 1 a scratch copy scaled by it (rounded to the dtype by the sender, as BlueFog's
     *         {@code dst_weights} do)
     */
    private static INDArray[] payloads(ExecutionContext ctx, NeighborPlan plan, INDArray in) {
        INDArray[] payload = new INDArray[plan.destinations.length];
        for (int k = 0; k < payload.length; k++) {
            double w = plan.destinationWeight(k);
            payload[k] = in;
            if (w != 1.0) {
                payload[k] = ctx.borrow(in.dataType(), in.length());
                ctx.scaled(in, w, payload[k]);
            }
        }
        return payload;
    }

    /** @return true if {@code op} can run checked by its neighbors alone (its peers are known locally) */
    static boolean peerCheckable(Op op) {
        return op.kind == OpKind.NEIGHBOR_ALLREDUCE && !op.plan.needsSetExchange();
    }

    /**
     * Runs a {@link #peerCheckable} neighborAllreduce agreed with its neighbors only: every rank sends
     * its header to each peer (sources and destinations) and compares the headers it receives with
     * its own. An edge whose two ends agree carries data as usual, so neighbors of a disagreeing rank
     * never wait for data that will not come; a rank with a disagreeing peer moves its data on the
     * other edges, then fails with {@link CollectiveMismatchException} naming the peers and what
     * each called. Both ends of an edge compare the same two headers, so they decide alike.
     */
    void executePeerChecked(Op op, ExecutionContext ctx) {
        int rank = ctx.rank;
        if (peerHeaders == null) {
            peerHeaders = Coordinator.direct(Headers.LENGTH * Math.max(1, ctx.size));
        }
        int[] peers = op.plan.peers();
        double[] own = new double[Headers.LENGTH];
        Headers.encode(op, own, 0);
        ownHeader.clear().put(0, own, 0, Headers.LENGTH);
        long deadline = ctx.deadline();
        ctx.recvs.clear();
        ctx.sends.clear();
        for (int k = 0; k < peers.length; k++) {
            ctx.recvs.add(ctx.comm.irecv(peerHeaders.duplicate().position(k * Headers.LENGTH)
                    .limit((k + 1) * Headers.LENGTH).slice(), peers[k], TAG_PEER_HEADER));
            ctx.sends.add(ctx.comm.isend(ownHeader, peers[k], TAG_PEER_HEADER));
        }
        ctx.waitAll(ctx.recvs, deadline, k -> "rank " + peers[k] + " to make the same neighborAllreduce call as rank "
                + rank + " (negotiation is skipped: a neighbor that called another collective, or none, ends here)");
        ctx.waitAll(ctx.sends, deadline, k -> "rank " + peers[k] + " to receive rank " + rank
                + "'s neighborAllreduce header");
        double[] theirs = new double[Headers.LENGTH * peers.length];
        peerHeaders.get(0, theirs, 0, theirs.length);
        Set<Integer> disagree = new TreeSet<>();
        for (int k = 0; k < peers.length; k++) {
            if (!Headers.sameCall(own, 0, theirs, k * Headers.LENGTH)) {
                disagree.add(peers[k]);
            }
        }
        if (disagree.isEmpty()) {
            execute(List.of(op), ctx, false);
            return;
        }
        // Move data on the agreeing edges (their other ends expect it), into scratch space.
        NeighborPlan agreeing = op.plan.restrictedTo(p -> !disagree.contains(p));
        INDArray in = Tensors.flat(op.input);
        exchangeAndCombine(ctx, agreeing, ctx.everyRank, in, ctx.borrow(op.dataType(), op.length()),
                "neighborAllreduce");
        StringBuilder sb = new StringBuilder("rank " + rank + " called " + Headers.describeCall(own, 0));
        for (int k = 0; k < peers.length; k++) {
            if (disagree.contains(peers[k])) {
                sb.append("; its neighbor rank ").append(peers[k]).append(" called ")
                        .append(Headers.describeCall(theirs, k * Headers.LENGTH));
            }
        }
        throw new CollectiveMismatchException(sb.append(" (checked between neighbors: negotiation is skipped)")
                .toString());
    }
}
