package io.bluefog.optimizers.updaters;

import io.bluefog.collectives.Collectives;
import io.bluefog.local.LocalCluster;
import io.bluefog.optimizers.Algorithm;
import io.bluefog.optimizers.DecentralizedOptimizer;
import io.bluefog.optimizers.OptimizerConfig;
import io.bluefog.topology.Topologies;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A user's own {@link LocalUpdater} (signSGD with a per-block step counter, Bernstein et al.,
 * ICML 2018) plugged into a built-in algorithm, against the hand-computed ATC recursion.
 */
class UserUpdaterTest {
    private static final double TOLERANCE = 1e-12;

    /** d = &gamma;_k sign(g) in block 0, d = &gamma;_k g / (number of steps so far) in block 1. */
    static final class SignSgd extends LocalUpdater {
        SignSgd(LearningRateSchedule schedule) {
            super(schedule);
        }

        @Override
        public State newState(ParameterBlocks blocks, DataType dtype) {
            long[] steps = new long[1];
            return (g, k) -> {
                steps[0]++;
                INDArray flat = g.reshape(blocks.totalLength());
                long split = blocks.offset(1);
                double lr = learningRate(k);
                INDArray first = flat.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, split));
                INDArray second = flat.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(split, blocks.totalLength()));
                first.assign(Transforms.sign(first, true).muli(lr));
                second.muli(lr / steps[0]);
            };
        }
    }

    @Test
    void blocksThatDoNotCoverTheParametersAndBadSampleNormsAreNamed() {
        OptimizerConfig wrong = OptimizerConfig.builder(Algorithm.ATC).updater(LocalUpdater.sgd(0.1))
                .blocks(ParameterBlocks.of(List.of("a", "b"), 1, 1)).topology(Topologies.ring(1)).build();
        OptimizerConfig right = wrong.toBuilder().blocks(ParameterBlocks.of(List.of("a", "b"), 1, 2)).build();
        List<String> messages = LocalCluster.call(1, bf -> {
            try (Collectives c = Collectives.of(bf)) {
                IllegalArgumentException cover = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                        () -> DecentralizedOptimizer.create(c, bf.mixingTopology(), Nd4j.zeros(DataType.DOUBLE, 1, 3), wrong));
                DecentralizedOptimizer opt = DecentralizedOptimizer.create(c, bf.mixingTopology(), Nd4j.zeros(DataType.DOUBLE, 1, 3), right);
                IllegalArgumentException count = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                        () -> opt.setSampleGradientNorms(new double[] {1}));
                IllegalArgumentException negative = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                        () -> opt.setSampleGradientNorms(new double[] {1, -1}));
                return cover.getMessage() + " | " + count.getMessage() + " | " + negative.getMessage();
            }
        });
        String m = messages.get(0);
        org.junit.jupiter.api.Assertions.assertTrue(m.contains("blocks cover 2 elements, the parameters have 3"), m);
        org.junit.jupiter.api.Assertions.assertTrue(m.contains("got 1 sample gradient norms, the parameters have 2 blocks"), m);
        org.junit.jupiter.api.Assertions.assertTrue(m.contains("finite and >= 0"), m);
    }

    @Test
    void aUserUpdaterStepsInsideAtc() {
        int n = 3;
        int dim = 3;
        int steps = 4;
        LearningRateSchedule sched = LearningRateSchedule.step(0.2, 2, 0.5);
        OptimizerConfig cfg = OptimizerConfig.builder(Algorithm.ATC).updater(new SignSgd(sched))
                .blocks(ParameterBlocks.of(List.of("a", "b"), 1, 2)).topology(Topologies.ring(n)).broadcastAtStart(false).build();
        List<double[]> got = LocalCluster.call(n, bf -> {
            INDArray x = Nd4j.createFromArray(1.0 + bf.rank(), -2.0 * bf.rank(), 0.5).reshape(1, dim);
            try (Collectives c = Collectives.of(bf)) {
                DecentralizedOptimizer opt = DecentralizedOptimizer.create(c, bf.mixingTopology(), x, cfg);
                for (int k = 0; k < steps; k++) {
                    opt.step(x.mul(x)); // g = x^2 element-wise
                }
            }
            return x.toDoubleVector();
        });
        // serial reference: x_i <- sum_j w_ij (x_j - d_j); ring(3) is fully connected with weights 1/3
        double[][] x = new double[n][];
        for (int i = 0; i < n; i++) {
            x[i] = new double[] {1.0 + i, -2.0 * i, 0.5};
        }
        for (int k = 0; k < steps; k++) {
            double lr = sched.rate(k);
            double[][] y = new double[n][dim];
            for (int i = 0; i < n; i++) {
                double g0 = x[i][0] * x[i][0];
                y[i][0] = x[i][0] - lr * Math.signum(g0);
                for (int e = 1; e < dim; e++) {
                    y[i][e] = x[i][e] - lr * x[i][e] * x[i][e] / (k + 1);
                }
            }
            double[][] w = Topologies.ring(n).weightMatrix();
            for (int i = 0; i < n; i++) {
                double[] z = new double[dim];
                for (int j = 0; j < n; j++) {
                    for (int e = 0; e < dim; e++) {
                        z[e] += w[i][j] * y[j][e];
                    }
                }
                x[i] = z;
            }
        }
        for (int i = 0; i < n; i++) {
            for (int e = 0; e < dim; e++) {
                assertEquals(x[i][e], got.get(i)[e], TOLERANCE, "rank " + i + " element " + e);
            }
        }
    }
}
