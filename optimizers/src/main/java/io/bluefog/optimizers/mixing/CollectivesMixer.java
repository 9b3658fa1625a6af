package io.bluefog.optimizers.mixing;

import io.bluefog.collectives.Collectives;
import io.bluefog.comm.ReduceOp;
import io.bluefog.topology.Topology;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Objects;

/**
 * {@link Mixer} on the public {@link Collectives} API: neighbor averaging is
 * {@code neighborAllreduceInPlace(x, topology)}, global averaging {@code allreduceInPlace(x, AVG)},
 * broadcast {@code broadcastInPlace}. This gives the optimizers the collectives' checks (shape and
 * dtype matched across ranks), tensor fusion and timeline. Does not close the collectives.
 */
public final class CollectivesMixer implements Mixer {
    private final Collectives collectives;

    public CollectivesMixer(Collectives collectives) {
        this.collectives = Objects.requireNonNull(collectives, "collectives");
    }

    @Override
    public void neighborAverage(INDArray x, Topology topology) {
        collectives.neighborAllreduceInPlace(x, topology);
    }

    @Override
    public void globalAverage(INDArray x) {
        collectives.allreduceInPlace(x, ReduceOp.AVG);
    }

    @Override
    public double sum(double value) {
        INDArray v = Nd4j.scalar(DataType.DOUBLE, value).reshape(1);
        return collectives.allreduceInPlace(v, ReduceOp.SUM).getDouble(0);
    }

    @Override
    public void broadcast(INDArray x, int root) {
        collectives.broadcastInPlace(x, root);
    }

    @Override
    public int rank() {
        return collectives.rank();
    }

    @Override
    public int size() {
        return collectives.size();
    }
}
