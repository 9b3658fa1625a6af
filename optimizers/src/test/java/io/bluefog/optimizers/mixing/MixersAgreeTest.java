package io.bluefog.optimizers.mixing;

import io.bluefog.collectives.Collectives;
import io.bluefog.local.LocalCluster;
import io.bluefog.optimizers.Algorithm;
import io.bluefog.optimizers.DecentralizedOptimizer;
import io.bluefog.optimizers.OptimizerConfig;
import io.bluefog.optimizers.updaters.LocalUpdater;
import io.bluefog.topology.Topologies;
import io.bluefog.topology.dynamic.Schedules;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The transport-level {@link CommunicatorMixer} and the {@link CollectivesMixer} give the same
 * iterates for every algorithm on LocalCluster (closed-form gradients x − c_r), including on a
 * DL4J-like parameter view (an interval of a larger buffer) in float32.
 */
class MixersAgreeTest {
    private static final double TOLERANCE = 1e-12;
    private static final double FLOAT_TOLERANCE = 1e-6;
    private static final int N = 4;
    private static final int DIM = 6;
    private static final int STEPS = 6;

    private static double[] run(boolean collectives, Algorithm a, DataType dt, int rank, io.bluefog.BlueFog bf) {
        // parameters as a view into a larger buffer, as DL4J's params() views its flat array
        INDArray backing = Nd4j.zeros(dt, 1, DIM + 3);
        INDArray x = backing.get(NDArrayIndex.point(0), NDArrayIndex.interval(2, 2 + DIM));
        for (int k = 0; k < DIM; k++) {
            x.putScalar(k, Math.sin(rank + 3.0 * k));
        }
        INDArray c = Nd4j.zeros(dt, DIM);
        for (int k = 0; k < DIM; k++) {
            c.putScalar(k, rank * (k + 1.0));
        }
        Collectives col = collectives ? Collectives.of(bf) : null;
        Mixer m = collectives ? new CollectivesMixer(col) : new CommunicatorMixer(bf.communicator());
        OptimizerConfig config = OptimizerConfig.builder(a).updater(LocalUpdater.nesterov(0.1, 0.5))
                .topology(a == Algorithm.PUSH_SUM ? Schedules.onePeerExponential(N) : Schedules.staticTopology(Topologies.ring(N)))
                .broadcastAtStart(false).period(2).build();
        DecentralizedOptimizer opt = DecentralizedOptimizer.create(m, bf.topology(), x, config);
        for (int k = 0; k < STEPS; k++) {
            opt.step(x.sub(c));
        }
        double[] out = x.toDoubleVector();
        double[] withCd = java.util.Arrays.copyOf(out, DIM + 1);
        withCd[DIM] = opt.consensusDistance();
        if (col != null) {
            col.close();
        }
        return withCd;
    }

    @Test
    void everyAlgorithmGivesTheSameIteratesOnBothMixers() {
        for (DataType dt : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            double tol = dt == DataType.DOUBLE ? TOLERANCE : FLOAT_TOLERANCE;
            for (Algorithm a : Algorithm.values()) {
                List<double[]> p2p = LocalCluster.call(N, bf -> run(false, a, dt, bf.rank(), bf));
                List<double[]> col = LocalCluster.call(N, bf -> run(true, a, dt, bf.rank(), bf));
                for (int r = 0; r < N; r++) {
                    for (int k = 0; k <= DIM; k++) {
                        double e = p2p.get(r)[k];
                        assertEquals(e, col.get(r)[k], tol * Math.max(1, Math.abs(e)), a + " " + dt + " rank " + r + " element " + k);
                    }
                }
            }
        }
    }
}
