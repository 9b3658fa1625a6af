package io.bluefog.optimizers.pipeline.ddg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.collectives.Collectives;
import io.bluefog.local.LocalCluster;
import io.bluefog.optimizers.pipeline.ddg.DdgEngine.Method;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

/**
 * {@link DdgTrainer} on LocalCluster: with one rank an epoch equals DL4J's {@code fit} with its Sgd
 * updater batch for batch; with two ranks the modules have staleness 1 and 0, the epoch loss is
 * the mean of the last module's losses, and {@link DdgTrainer#synchronizeNetwork} gives every rank
 * the same network, made of each rank's module.
 */
class DdgTrainerTest {
    private static final double RELATIVE_TOLERANCE = 1e-10;
    private static final long TIMEOUT_MILLIS = 60_000;

    static List<DataSet> batches() {
        List<DataSet> out = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
            out.add(new DataSet(MultiLayerModuleTest.features("mlp", t), MultiLayerModuleTest.labels(t)));
        }
        return out;
    }

    @Test
    void oneRankIsDl4jBackpropagation() {
        double[] got = LocalCluster.call(1, bf -> {
            MultiLayerNetwork net = MultiLayerModuleTest.mlp();
            try (Collectives c = Collectives.of(bf);
                    DdgTrainer trainer = new DdgTrainer(bf, c, net, Method.DDG, DdgUpdater.sgd(0.1), TIMEOUT_MILLIS)) {
                DdgTrainer.Epoch e = trainer.fitEpoch(new ListDataSetIterator<>(batches(), 1));
                assertEquals(6, e.iterations());
                assertArrayEquals(new int[] {0}, e.staleness());
                trainer.synchronizeNetwork();
                return net.params().dup().data().asDouble();
            }
        }).get(0);
        MultiLayerNetwork reference = MultiLayerModuleTest.mlp();
        for (DataSet d : batches()) {
            reference.fit(d);
        }
        MultiLayerModuleTest.assertClose(reference.params().dup().data().asDouble(), got, 0, got.length, "after one epoch");
    }

    @Test
    void twoRanksShareOneSynchronizedNetwork() {
        List<Object[]> runs = LocalCluster.call(2, bf -> {
            MultiLayerNetwork net = MultiLayerModuleTest.mlp();
            try (Collectives c = Collectives.of(bf);
                    DdgTrainer trainer = new DdgTrainer(bf, c, net, Method.FEATURES_REPLAY, DdgUpdater.momentum(0.05, 0.9),
                            TIMEOUT_MILLIS)) {
                DdgTrainer.Epoch e = trainer.fitEpoch(new ListDataSetIterator<>(batches(), 1));
                double[] module = new MultiLayerModule(net, trainer.bounds()[bf.rank()], trainer.bounds()[bf.rank() + 1]).parameters();
                trainer.synchronizeNetwork();
                return new Object[] {e, net.params().dup().data().asDouble(), module, trainer.bounds()};
            }
        });
        DdgTrainer.Epoch e0 = (DdgTrainer.Epoch) runs.get(0)[0];
        DdgTrainer.Epoch e1 = (DdgTrainer.Epoch) runs.get(1)[0];
        assertArrayEquals(new int[] {1, 0}, e0.staleness());
        assertEquals(e0.trainLoss(), e1.trainLoss(), 0.0, "the epoch loss is all-reduced");
        assertTrue(Double.isFinite(e0.trainLoss()) && e0.trainLoss() > 0, "loss " + e0.trainLoss());
        double[] net0 = (double[]) runs.get(0)[1];
        assertArrayEquals(net0, (double[]) runs.get(1)[1], 0.0, "every rank holds the same network");
        double[] m0 = (double[]) runs.get(0)[2];
        double[] m1 = (double[]) runs.get(1)[2];
        assertEquals(net0.length, m0.length + m1.length);
        for (int i = 0; i < m0.length; i++) {
            assertEquals(m0[i], net0[i], 0.0);
        }
        for (int i = 0; i < m1.length; i++) {
            assertEquals(m1[i], net0[m0.length + i], 0.0);
        }
    }

    @Test
    void layerBoundsAreCheckedBeforeWork() {
        LocalCluster.run(2, bf -> {
            MultiLayerNetwork net = MultiLayerModuleTest.mlp();
            try (Collectives c = Collectives.of(bf)) {
                for (int[] bad : new int[][] {{0, 4}, {0, 2, 3}, {0, 0, 4}, {1, 2, 4}}) {
                    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                            () -> new DdgTrainer(bf, c, net, Method.DDG, DdgUpdater.sgd(0.1), TIMEOUT_MILLIS, bad));
                    assertTrue(e.getMessage().contains(java.util.Arrays.toString(bad)), e.getMessage());
                }
                try (DdgTrainer t = new DdgTrainer(bf, c, net, Method.DDG, DdgUpdater.sgd(0.1), TIMEOUT_MILLIS, new int[] {0, 3, 4})) {
                    assertArrayEquals(new int[] {0, 3, 4}, t.bounds());
                }
            }
        });
    }
}
