package io.bluefog.examples.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.BlueFog;
import io.bluefog.collectives.pipeline.StageChannel;
import io.bluefog.collectives.pipeline.StageTensor;
import io.bluefog.optimizers.pipeline.ChainFunction;
import io.bluefog.optimizers.pipeline.ChainFunctions;
import io.bluefog.optimizers.pipeline.FunctionStage;
import io.bluefog.optimizers.pipeline.GPipeEngine;
import io.bluefog.optimizers.pipeline.MultiLayerStage;
import io.bluefog.optimizers.pipeline.Pprs;
import io.bluefog.optimizers.pipeline.PprsConfig;
import io.bluefog.testing.ContractSuite;
import io.bluefog.testing.RankCheck;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Pipeline parallelism on any transport, one stage per rank (Δ = world size): GPipe's input
 * gradients equal the serial chain rule, PPRS's iterates equal its serial run, and a DL4J MLP's
 * stage gradients equal the single-process gradient. Run on LocalCluster by
 * {@code PipelineLocalClusterTest} and under mpirun by mpi-launch's {@code PipelineMpiTest}.
 */
public class PipelineContractSuite implements ContractSuite {
    private static final long TIMEOUT_MILLIS = 60_000;
    private static final int D = 6;
    private static final int K = 4;
    /** float64 MLP; micro-batch sums against one batch: rounding only. */
    private static final double RELATIVE_TOLERANCE = 1e-10;
    private static final int BATCH = 12;

    @Override
    public Map<String, RankCheck> checks() {
        Map<String, RankCheck> m = new LinkedHashMap<>();
        m.put("gpipeInputGradientsEqualTheSerialChainRule", PipelineContractSuite::gpipeGradients);
        m.put("pprsIteratesEqualTheSerialRun", PipelineContractSuite::pprsIterates);
        m.put("mlpStageGradientsEqualTheSingleProcessGradient", PipelineContractSuite::mlpGradients);
        return m;
    }

    /** f(θ) = ‖A_Δ⋯A_1θ − b‖₁ with A_i = I + small noise, fixed seed; Δ links. */
    static List<ChainFunction> l1Chain(int stages) {
        SplittableRandom rnd = new SplittableRandom(99);
        List<ChainFunction> chain = new ArrayList<>();
        for (int s = 0; s < stages; s++) {
            double[][] a = new double[D][D];
            for (int i = 0; i < D; i++) {
                for (int j = 0; j < D; j++) {
                    a[i][j] = (i == j ? 1 : 0) + 0.3 * (rnd.nextDouble() * 2 - 1) / Math.sqrt(D);
                }
            }
            double[] b = new double[D];
            Arrays.setAll(b, i -> rnd.nextDouble() * 2 - 1);
            chain.add(s == stages - 1 ? ChainFunctions.l1Residual(a, b) : ChainFunctions.linear(a));
        }
        return chain;
    }

    static double[] point(int k) {
        SplittableRandom rnd = new SplittableRandom(7 + k);
        double[] x = new double[D];
        Arrays.setAll(x, i -> rnd.nextDouble() * 2 - 1);
        return x;
    }

    static void gpipeGradients(BlueFog bf) {
        int stages = bf.size();
        List<ChainFunction> chain = l1Chain(stages);
        StageChannel ch = StageChannel.oneStagePerRank(bf.communicator(), TIMEOUT_MILLIS);
        GPipeEngine engine = new GPipeEngine(ch, new FunctionStage(chain.get(ch.stage()), D), bf.timeline());
        List<StageTensor> inputs = new ArrayList<>();
        double[] weights = new double[K];
        for (int k = 0; k < K; k++) {
            inputs.add(StageTensor.vector(point(k)));
            weights[k] = 1.0 / K;
        }
        GPipeEngine.Pass pass = engine.run(ch.stage() == 0 ? inputs : null, weights);
        if (ch.stage() == 0) {
            assertEquals(2L * (K + stages - 1), pass.stageSteps());
            for (int k = 0; k < K; k++) {
                // serial chain rule: forward, then vector-Jacobian products backwards from the seed 1/K
                List<double[]> hs = new ArrayList<>();
                double[] h = point(k);
                for (ChainFunction f : chain) {
                    hs.add(h);
                    h = f.apply(h);
                }
                double[] g = {1.0 / K};
                for (int s = stages - 1; s >= 0; s--) {
                    g = chain.get(s).vjp(hs.get(s), g);
                }
                assertArrayEquals(g, pass.inputGradients().get(k).values(), 0.0, "micro-batch " + k);
            }
        }
        if (ch.stage() == stages - 1) {
            for (int k = 0; k < K; k++) {
                assertEquals(Pprs.value(chain, point(k)), pass.losses()[k], 0.0);
            }
        }
    }

    static void pprsIterates(BlueFog bf) {
        List<ChainFunction> chain = l1Chain(bf.size());
        PprsConfig config = PprsConfig.theorem3(12, D, 2.0, 3.0 * Math.sqrt(D), 3);
        StageChannel ch = StageChannel.oneStagePerRank(bf.communicator(), TIMEOUT_MILLIS);
        GPipeEngine engine = new GPipeEngine(ch, new FunctionStage(chain.get(ch.stage()), D), bf.timeline());
        Pprs.Result r = new Pprs(config).run(engine, ch.stage() == 0 ? new double[D] : null);
        if (ch.stage() == 0) {
            Pprs.Result serial = new Pprs(config).runSerial(chain, new double[D], (t, g, y) -> { });
            assertArrayEquals(serial.y(), r.y(), 0.0);
            assertTrue(Pprs.value(chain, r.y()) < Pprs.value(chain, new double[D]), "PPRS made progress");
        }
    }

    static MultiLayerNetwork mlp() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(42).dataType(DataType.DOUBLE)
                .weightInit(WeightInit.XAVIER).list()
                .layer(new DenseLayer.Builder().nIn(6).nOut(8).activation(Activation.TANH).build())
                .layer(new DenseLayer.Builder().nIn(8).nOut(7).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().nIn(7).nOut(5).activation(Activation.SIGMOID).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(5).nOut(3).activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    static void mlpGradients(BlueFog bf) {
        SplittableRandom rnd = new SplittableRandom(5);
        double[] v = new double[BATCH * 6];
        Arrays.setAll(v, i -> rnd.nextDouble() * 2 - 1);
        INDArray x = Nd4j.create(v, new long[] {BATCH, 6}, 'c');
        INDArray y = Nd4j.zeros(DataType.DOUBLE, BATCH, 3);
        for (int i = 0; i < BATCH; i++) {
            y.putScalar(i, (i * 7) % 3, 1.0);
        }
        MultiLayerNetwork reference = mlp();
        reference.setInput(x);
        reference.setLabels(y);
        reference.computeGradientAndScore();
        Map<String, INDArray> expected = reference.gradient().gradientForVariable();

        MultiLayerNetwork net = mlp();
        int stages = Math.min(bf.size(), net.getnLayers());
        if (bf.size() > net.getnLayers()) {
            throw new IllegalStateException("this check needs at most " + net.getnLayers() + " ranks, got " + bf.size());
        }
        int[] bounds = MultiLayerStage.balancedSplit(net, stages);
        StageChannel ch = StageChannel.oneStagePerRank(bf.communicator(), TIMEOUT_MILLIS);
        int s = ch.stage();
        MultiLayerStage stage = new MultiLayerStage(net, bounds[s], bounds[s + 1]);
        int k = 3;
        List<StageTensor> inputs = new ArrayList<>();
        List<INDArray> labels = new ArrayList<>();
        double[] weights = new double[k];
        for (int i = 0; i < k; i++) {
            int from = i * BATCH / k;
            int to = (i + 1) * BATCH / k;
            weights[i] = (to - from) / (double) BATCH;
            INDArray xi = x.get(NDArrayIndex.interval(from, to), NDArrayIndex.all()).dup('c');
            inputs.add(new StageTensor(xi.shape(), xi.data().asDouble()));
            labels.add(y.get(NDArrayIndex.interval(from, to), NDArrayIndex.all()).dup());
        }
        if (stage.isLast()) {
            stage.setLabels(labels);
        }
        new GPipeEngine(ch, stage, bf.timeline()).run(s == 0 ? inputs : null, weights);
        Map<String, INDArray> got = stage.gradients();
        assertTrue(!got.isEmpty(), "stage " + s + " has parameters");
        for (Map.Entry<String, INDArray> e : got.entrySet()) {
            INDArray want = expected.get(e.getKey()).reshape(e.getValue().shape()).div(BATCH);
            double err = e.getValue().sub(want).norm2Number().doubleValue();
            double scale = want.norm2Number().doubleValue();
            assertTrue(err <= RELATIVE_TOLERANCE * scale, "rank " + bf.rank() + " " + e.getKey() + ": relative error " + err / scale);
        }
    }
}
