package io.bluefog.optimizers.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.collectives.pipeline.StageChannel;
import io.bluefog.local.LocalCluster;
import io.bluefog.optimizers.updaters.LocalUpdater;
import io.bluefog.timeline.Timeline;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Pipeline-parallel training takes the same steps as single-process training on the same batches:
 * after three Nesterov steps the gathered parameters equal those of one process applying the same
 * updater to {@code computeGradientAndScore()}'s gradient / m.
 */
class PipelineTrainerTest {
    /** float64 networks: rounding only (micro-batch sums against one batch). */
    private static final double RELATIVE_TOLERANCE = 1e-10;
    private static final int STEPS = 3;
    private static final int BATCH = MultiLayerPipelineTest.BATCH;

    @ParameterizedTest(name = "{0} over {1} stages, K = {2}")
    @CsvSource({"mlp, 2, 3", "mlp, 4, 5", "cnn, 3, 2"})
    void pipelineTrainingFollowsTheSingleProcessTrajectory(String model, int stages, int k) {
        boolean cnn = model.equals("cnn");
        INDArray x = MultiLayerPipelineTest.features(cnn ? 36 : 6);
        INDArray y = MultiLayerPipelineTest.labels();
        LocalUpdater rule = LocalUpdater.nesterov(0.1, 0.9);

        MultiLayerNetwork reference = cnn ? MultiLayerPipelineTest.cnn() : MultiLayerPipelineTest.mlp();
        LocalUpdater.State state = rule.newState(reference.numParams(), reference.params().dataType());
        for (int step = 0; step < STEPS; step++) {
            reference.setInput(x);
            reference.setLabels(y);
            reference.computeGradientAndScore();
            INDArray g = reference.gradient().gradient().dup().divi(BATCH).reshape(1, reference.numParams());
            state.apply(g, step);
            reference.params().subi(g.reshape(reference.params().shape()));
        }
        INDArray expected = reference.params().dup();

        List<INDArray> got = LocalCluster.call(stages, bf -> {
            MultiLayerNetwork net = cnn ? MultiLayerPipelineTest.cnn() : MultiLayerPipelineTest.mlp();
            StageChannel ch = StageChannel.oneStagePerRank(bf.communicator(), 60_000);
            PipelineTrainer trainer = new PipelineTrainer(ch, net, MultiLayerStage.balancedSplit(net, stages), k, rule,
                    Timeline.disabled());
            for (int step = 0; step < STEPS; step++) {
                double loss = trainer.fit(x, y, BATCH);
                assertEquals(trainer.stage().isLast(), !Double.isNaN(loss));
            }
            trainer.gatherParameters(bf.communicator());
            return net.params().dup();
        });
        INDArray start = (cnn ? MultiLayerPipelineTest.cnn() : MultiLayerPipelineTest.mlp()).params();
        assertTrue(expected.sub(start).norm2Number().doubleValue() > 1e-3, "the reference moved");
        for (int r = 0; r < stages; r++) {
            double err = got.get(r).sub(expected).norm2Number().doubleValue();
            assertTrue(err <= RELATIVE_TOLERANCE * expected.norm2Number().doubleValue(), "rank " + r + ": error " + err);
        }
    }
}
