package io.bluefog.collectives.engine;

import static io.bluefog.collectives.engine.ExecutionContext.TAG_DATA;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Weighted pair gossip (BlueFog {@code pair_gossip(tensor, target_rank, self_weight, pair_weight)}):
 * {@code selfWeight * x_self + pairWeight * x_peer}, the lower rank's term first on both ranks, so
 * that with equal weights on both sides both hold bitwise equal results; {@code peer == rank} sits
 * the round out and keeps {@code x}.
 */
final class PairGossipOperation implements Operation {
    @Override
    public void execute(List<Op> batch, ExecutionContext ctx) {
        Op op = batch.get(0);
        INDArray in = Tensors.flat(op.input);
        long n = op.length();
        if (op.peer == ctx.rank) {
            INDArray out = ctx.resultSpace(batch, true);
            if (!Tensors.sameMemory(out, in)) {
                Tensors.copy(in, 0, out, 0, n);
            }
            ctx.unpack(batch, out);
            return;
        }
        boolean low = ctx.rank < op.peer;
        long deadline = ctx.deadline();
        INDArray other = ctx.borrow(op.dataType(), n);
        ctx.recvs.clear();
        ctx.sends.clear();
        ctx.recvs.add(ctx.comm.irecv(Tensors.nio(other), op.peer, TAG_DATA));
        ctx.sends.add(ctx.comm.isend(Tensors.nio(in), op.peer, TAG_DATA));
        ctx.waitAll(ctx.recvs, deadline, k -> "pairGossip data from rank " + op.peer);
        int[] peer = {op.peer};
        // In place, the higher rank's own tensor is the second term: combine into scratch space.
        INDArray out = op.inPlace() && !low ? ctx.borrow(op.dataType(), n) : ctx.resultSpace(batch, true);
        if (Tensors.sameMemory(out, in)) {
            ctx.waitSends(deadline, peer); // x may be overwritten once the peer has it
        }
        Combiner combiner = low
                ? ctx.combiner(op.selfWeight, new double[] {op.pairWeight}, in, out, new INDArray[] {other})
                : ctx.combiner(op.pairWeight, new double[] {op.selfWeight}, other, out, new INDArray[] {in});
        combiner.combineAll(n);
        ctx.waitSends(deadline, peer);
        ctx.unpack(batch, out);
    }
}
