package io.bluefog.collectives.engine;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Hierarchical neighbor allreduce (BlueFog {@code hierarchical_neighbor_allreduce}): the ranks of
 * each machine average their tensors at the machine's leader (its lowest rank, summing in ascending
 * rank order), the leaders mix the machine averages with the machine-level {@link NeighborPlan}
 * (a neighborAllreduce among leaders, where node m of the plan is machine m), and every rank of a
 * machine receives its machine's result: {@code x_i <- s * avg_{m(i)} + sum_m' w_m' avg_m'}. The
 * leader's plan is the one used (BlueFog asks every rank of a machine to pass the same weights).
 */
final class HierarchicalNeighborAllreduceOperation implements Operation {
    private static final String NAME = "hierarchicalNeighborAllreduce";

    @Override
    public void execute(List<Op> batch, ExecutionContext ctx) {
        Op op = batch.get(0);
        ExecutionContext.Machines ms = ctx.machines();
        NeighborPlan plan = op.plan;
        int me = ms.machineOf()[ctx.rank];
        checkMachines(plan, ms.count());
        if (plan.needsSetExchange()) {
            ctx.exchangeSets(plan, me, ms.leader(), "machine", NAME);
        }
        INDArray in = Tensors.flat(op.input);
        INDArray out = ctx.resultSpace(batch, true); // in place: x itself, overwritten only after it was sent
        if (ms.leader()[me] != ctx.rank) {
            ctx.reduceAtLeader(in, true, NAME);
            ctx.shareFromLeader(out, NAME);
            ctx.unpack(batch, out);
            return;
        }
        INDArray avg = ctx.borrow(op.dataType(), op.length());
        Tensors.copy(in, 0, avg, 0, op.length());
        ctx.reduceAtLeader(avg, true, NAME);
        NeighborAllreduceOperation.exchangeAndCombine(ctx, plan, ms.leader(), avg, out, NAME);
        ctx.shareFromLeader(out, NAME);
        ctx.unpack(batch, out);
    }

    private static void checkMachines(NeighborPlan plan, int machines) {
        for (int[] nodes : new int[][] {plan.sources, plan.destinations == null ? new int[0] : plan.destinations}) {
            for (int m : nodes) {
                if (m >= machines) {
                    throw new IllegalArgumentException(NAME + ": the machine plan names machine " + m
                            + " but the job runs on " + machines + " machines");
                }
            }
        }
    }
}
