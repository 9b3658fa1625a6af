package io.bluefog.examples.fashion;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelsAndOptionsTest {
    private static final double PROBABILITY_TOLERANCE = 1e-5;

    @Test
    void modelsHaveTheDocumentedSizesAndTakeFlatImages() {
        MultiLayerNetwork mlp = Models.build(Models.Kind.MLP, 1);
        MultiLayerNetwork cnn = Models.build(Models.Kind.CNN, 1);
        // 784*256+256 + 256*128+128 + 128*10+10
        assertEquals(235_146, mlp.numParams());
        // conv 5x5x1x20+20, conv 5x5x20x50+50, dense 800x500+500, out 500x10+10
        assertEquals(431_080, cnn.numParams());
        INDArray batch = Nd4j.rand(DataType.FLOAT, 3, 784);
        for (MultiLayerNetwork net : new MultiLayerNetwork[] {mlp, cnn}) {
            INDArray out = net.output(batch);
            assertArrayEquals(new long[] {3, 10}, out.shape());
            for (int r = 0; r < 3; r++) {
                assertEquals(1.0, out.getRow(r).sumNumber().doubleValue(), PROBABILITY_TOLERANCE, "softmax row sums to 1");
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Models.Kind.parse("resnet"));
    }

    /** The help lists every value of the enum options (picocli's ${COMPLETION-CANDIDATES}), as typed on the command line. */
    @Test
    void helpListsTheChoicesOfEveryEnumOption() {
        String usage = new picocli.CommandLine(new FashionMnist(System.out)).getUsageMessage();
        assertTrue(usage.contains("mlp, cnn"), usage);
        assertTrue(usage.contains("nesterov, momentum, sgd, adam"), usage);
        assertTrue(usage.contains("exact-diffusion"), usage);
        assertTrue(usage.contains("auto, local"), usage);
    }

    @Test
    void enumOptionsAreConvertedByPicocli() {
        FashionMnist job = new FashionMnist(System.out);
        new picocli.CommandLine(job).parseArgs("--model", "cnn", "--updater", "adam", "--partition", "dirichlet:0.5",
                "--optimizer", "gradient-tracking");
        assertEquals(Models.Kind.CNN, job.model);
        assertEquals(FashionMnist.Updater.ADAM, job.updater);
        assertEquals("dirichlet:0.5", job.partition.toString());
        assertEquals("gradient-tracking", job.optimizer.cliName());
        picocli.CommandLine.ParameterException bad = assertThrows(picocli.CommandLine.ParameterException.class,
                () -> new picocli.CommandLine(new FashionMnist(System.out)).parseArgs("--partition", "dirichlet:-1"));
        assertTrue(bad.getMessage().contains("--partition") && bad.getMessage().contains("alpha"), bad.getMessage());
    }
}
