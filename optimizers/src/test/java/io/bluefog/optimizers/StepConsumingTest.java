package io.bluefog.optimizers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.bluefog.collectives.Collectives;
import io.bluefog.local.LocalCluster;
import io.bluefog.optimizers.updaters.LocalUpdater;
import io.bluefog.topology.Topologies;
import io.bluefog.topology.Topology;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link DecentralizedOptimizer#stepConsuming} against {@link DecentralizedOptimizer#step}: the same
 * parameters bit for bit after Nesterov steps on 3 ranks (ATC, which runs the updater in the given
 * gradient, and gradient tracking, which copies), and only stepConsuming leaves the gradient changed.
 */
class StepConsumingTest {
    private static final int STEPS = 6;
    private static final int DIM = 7;

    /** @return per rank: the parameters, then 1 if the last gradient passed was modified, else 0 */
    private static List<double[]> run(Algorithm a, boolean consuming) {
        Topology ring = Topologies.ring(3);
        OptimizerConfig config = OptimizerConfig.builder(a).updater(LocalUpdater.nesterov(0.05, 0.9))
                .broadcastAtStart(false).build();
        return LocalCluster.call(3, bf -> {
            int r = bf.rank();
            INDArray x = Nd4j.zeros(DataType.FLOAT, 1, DIM);
            boolean modified = false;
            try (Collectives col = Collectives.of(bf)) {
                DecentralizedOptimizer opt = DecentralizedOptimizer.create(col, ring, x, config);
                for (int k = 0; k < STEPS; k++) {
                    // gradient of 1/2 |x - c_r|^2 with c_r[i] = r + i / 3
                    INDArray g = x.dup();
                    for (int i = 0; i < DIM; i++) {
                        g.putScalar(0, i, g.getFloat(0, i) - (r + i / 3f));
                    }
                    INDArray before = g.dup();
                    if (consuming) {
                        opt.stepConsuming(g);
                    } else {
                        opt.step(g);
                    }
                    modified = !Arrays.equals(before.toFloatVector(), g.toFloatVector());
                }
            }
            double[] out = Arrays.copyOf(x.toDoubleVector(), DIM + 1);
            out[DIM] = modified ? 1 : 0;
            return out;
        });
    }

    @Test
    void consumingStepsGiveTheSameBitsAndOnlyThenTheGradientChanges() {
        for (Algorithm a : new Algorithm[] {Algorithm.ATC, Algorithm.GRADIENT_TRACKING}) {
            List<double[]> plain = run(a, false);
            List<double[]> consuming = run(a, true);
            for (int r = 0; r < 3; r++) {
                assertArrayEquals(Arrays.copyOf(plain.get(r), DIM), Arrays.copyOf(consuming.get(r), DIM), 0.0,
                        a + " rank " + r);
                assertArrayEquals(new double[] {0}, new double[] {plain.get(r)[DIM]}, a + ": step leaves the gradient");
            }
            assertFalse(Arrays.equals(new double[DIM], Arrays.copyOf(plain.get(0), DIM)), a + ": the steps moved x");
            double consumed = consuming.get(0)[DIM];
            assertArrayEquals(new double[] {a == Algorithm.ATC ? 1 : 0}, new double[] {consumed},
                    a + ": whether stepConsuming ran the updater in the gradient");
        }
    }
}
