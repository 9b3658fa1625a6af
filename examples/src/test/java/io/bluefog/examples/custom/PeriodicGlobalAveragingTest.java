package io.bluefog.examples.custom;

import io.bluefog.collectives.Collectives;
import io.bluefog.examples.data.FashionMnistData;
import io.bluefog.examples.data.Partition;
import io.bluefog.examples.data.Shard;
import io.bluefog.examples.data.ShardIterator;
import io.bluefog.local.LocalCluster;
import io.bluefog.optimizers.Algorithm;
import io.bluefog.optimizers.OptimizerConfig;
import io.bluefog.optimizers.OptimizerFactory;
import io.bluefog.optimizers.dl4j.DecentralizedTrainer;
import io.bluefog.topology.Topologies;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The user algorithm of optimizers/README.md, plugged into {@link DecentralizedTrainer} on a
 * Fashion-MNIST subset (4 ranks, ring, 9 steps of 32 images per rank, a 784-32-10 MLP with its own
 * DL4J Nesterovs updater): it steps bit for bit as the built-in {@code pga} with the same period.
 */
class PeriodicGlobalAveragingTest {
    private static final int RANKS = 4;
    private static final int H = 3;
    /** Rounds 2, 5 and 8 are global averages: after 9 steps every rank holds the same model. */
    private static final int STEPS = 9;
    private static final int BATCH = 32;
    private static final long SEED = 11;

    @Test
    void stepsBitForBitAsTheBuiltInGossipPga() {
        Assumptions.assumeTrue(Files.isReadable(FashionMnistData.DEFAULT_DIR.resolve(FashionMnistData.TRAIN_IMAGES)),
                "dataset-fashion-mnist not installed");
        OptimizerConfig custom = OptimizerConfig.builder().topology(Topologies.ring(RANKS)).build();
        List<Run> user = train(custom, PeriodicGlobalAveraging.every(H));
        List<Run> builtIn = train(OptimizerConfig.builder(Algorithm.GOSSIP_PGA).period(H).topology(Topologies.ring(RANKS)).build(),
                OptimizerFactory.builtIn());
        List<Run> atc = train(OptimizerConfig.builder(Algorithm.ATC).topology(Topologies.ring(RANKS)).build(), OptimizerFactory.builtIn());
        for (int r = 0; r < RANKS; r++) {
            assertArrayEquals(builtIn.get(r).losses, user.get(r).losses, 0.0, "rank " + r + "'s mini-batch losses");
            assertArrayEquals(builtIn.get(r).params, user.get(r).params, 0.0, "rank " + r + "'s parameters");
            assertArrayEquals(user.get(0).params, user.get(r).params, 0.0, "the last step was a global average");
        }
        assertFalse(Arrays.equals(atc.get(0).params, atc.get(1).params), "plain ATC on the ring leaves the models different");
        double first = user.get(0).losses[0];
        double last = user.get(0).losses[STEPS - 1];
        assertTrue(last < first, "rank 0's mini-batch loss went from " + first + " to " + last);
    }

    /** optimizers/README.md shows the class as it is, from its declaration to its end, without its javadoc comments. */
    @Test
    void theReadmeShowsThisClass() throws Exception {
        Path source = Path.of("src/main/java/io/bluefog/examples/custom/PeriodicGlobalAveraging.java");
        Path readme = Path.of("../optimizers/README.md");
        Assumptions.assumeTrue(Files.isReadable(source) && Files.isReadable(readme), "run from the examples module directory");
        String code = Files.readString(source);
        String body = code.substring(code.indexOf("public final class PeriodicGlobalAveraging"))
                .replaceAll("(?m)^[ \\t]*/\\*\\*(?s:.*?)\\*/\\n", "").strip();
        assertTrue(Files.readString(readme).contains(body), "optimizers/README.md must show PeriodicGlobalAveraging as in " + source);
    }

    @Test
    void aBadPeriodIsRejectedBeforeAnyCommunication() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PeriodicGlobalAveraging.every(0));
        assertEquals("h must be >= 1, got 0", e.getMessage());
    }

    private record Run(double[] losses, double[] params) {
    }

    private static List<Run> train(OptimizerConfig config, OptimizerFactory factory) {
        return LocalCluster.call(RANKS, bf -> {
            Shard shard = FashionMnistData.trainShard(FashionMnistData.DEFAULT_DIR, Partition.parse("iid"), bf.rank(), RANKS,
                    SEED, RANKS * STEPS * BATCH);
            ShardIterator batches = new ShardIterator(shard, BATCH, STEPS, SEED + bf.rank());
            MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(SEED)
                    .updater(new Nesterovs(0.05, 0.9)).weightInit(WeightInit.XAVIER).list()
                    .layer(new DenseLayer.Builder().nIn(FashionMnistData.FEATURES).nOut(32).activation(Activation.RELU).build())
                    .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(32).nOut(FashionMnistData.CLASSES)
                            .activation(Activation.SOFTMAX).build())
                    .build());
            net.init();
            try (Collectives ignored = Collectives.of(bf)) {
                DecentralizedTrainer trainer = new DecentralizedTrainer(bf, net, config, factory);
                double[] losses = new double[STEPS];
                for (int k = 0; k < STEPS; k++) {
                    losses[k] = trainer.step(batches.next());
                }
                return new Run(losses, net.params().toDoubleVector());
            }
        });
    }
}
