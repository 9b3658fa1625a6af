package io.bluefog.examples.ddg;

import io.bluefog.BlueFog;
import io.bluefog.collectives.pipeline.StageChannel;
import io.bluefog.collectives.pipeline.StageTensor;
import io.bluefog.optimizers.pipeline.MultiLayerStage;
import io.bluefog.optimizers.pipeline.ddg.DdgEngine;
import io.bluefog.optimizers.pipeline.ddg.DdgEngine.Method;
import io.bluefog.optimizers.pipeline.ddg.DdgModule;
import io.bluefog.optimizers.pipeline.ddg.DdgUpdater;
import io.bluefog.optimizers.pipeline.ddg.MultiLayerModule;
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
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * DDG and features replay on any transport, module k on rank k − 1 (K = min(world size, 4)
 * layers of a float64 DL4J MLP): DDG's weights after every iteration equal a serial run of
 * Algorithm 9 with DL4J's whole-network gradient at w^s, s = t − K + k; features replay's equal a
 * serial run of Algorithm 11 with the same modules in one process (Adam-DDG, Algorithm 10, as the
 * update). Run on LocalCluster by {@code DdgLocalClusterTest} and under mpirun by mpi-launch's
 * {@code DdgMpiTest}.
 */
public class DdgContractSuite implements ContractSuite {
    private static final long TIMEOUT_MILLIS = 60_000;
    /** float64; the modules sum in another order than DL4J's whole-network pass: rounding only. */
    private static final double RELATIVE_TOLERANCE = 1e-10;
    private static final int ROWS = 6;
    private static final int ITERATIONS = 6;
    private static final double LEARNING_RATE = 0.05;

    @Override
    public Map<String, RankCheck> checks() {
        Map<String, RankCheck> m = new LinkedHashMap<>();
        m.put("ddgEqualsTheSerialDelayedGradient", DdgContractSuite::ddg);
        m.put("featuresReplayEqualsTheSerialReplay", DdgContractSuite::featuresReplay);
        return m;
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

    static INDArray features(long t) {
        SplittableRandom rnd = new SplittableRandom(300 + t);
        double[] v = new double[ROWS * 6];
        Arrays.setAll(v, i -> rnd.nextDouble(-1, 1));
        return Nd4j.create(v, new long[] {ROWS, 6}, 'c');
    }

    static INDArray labels(long t) {
        INDArray y = Nd4j.zeros(DataType.DOUBLE, ROWS, 3);
        for (int i = 0; i < ROWS; i++) {
            y.putScalar(i, (i * 5 + t) % 3, 1.0);
        }
        return y;
    }

    static StageTensor tensor(INDArray a) {
        INDArray c = a.dup('c');
        return new StageTensor(c.shape(), c.data().asDouble());
    }

    /** Runs this rank's module; returns its parameters after every iteration. Ranks ≥ K idle. */
    static List<double[]> run(BlueFog bf, int[] bounds, Method method) {
        int modules = bounds.length - 1;
        int[] ranks = new int[modules];
        Arrays.setAll(ranks, i -> i);
        List<double[]> out = new ArrayList<>();
        if (bf.rank() >= modules) {
            return out;
        }
        MultiLayerNetwork net = mlp();
        StageChannel ch = new StageChannel(bf.communicator(), ranks, TIMEOUT_MILLIS);
        int s = ch.stage();
        MultiLayerModule m = new MultiLayerModule(net, bounds[s], bounds[s + 1]);
        DdgEngine engine = new DdgEngine(ch, m, DdgUpdater.adam(LEARNING_RATE), method, bf.timeline());
        for (long t = 0; t < ITERATIONS; t++) {
            engine.step(s == 0 ? tensor(features(t)) : null, m.isLast() ? tensor(labels(t)) : null);
            out.add(m.parameters());
        }
        engine.finish();
        return out;
    }

    static void check(double[] want, double[] got, String what) {
        double err = 0;
        double scale = 0;
        for (int i = 0; i < want.length; i++) {
            err += (got[i] - want[i]) * (got[i] - want[i]);
            scale += want[i] * want[i];
        }
        if (!(Math.sqrt(err) <= RELATIVE_TOLERANCE * Math.sqrt(scale))) {
            throw new AssertionError(what + ": relative error " + Math.sqrt(err / scale));
        }
    }

    static int[] bounds(BlueFog bf) {
        return MultiLayerStage.balancedSplit(mlp(), Math.min(bf.size(), 4));
    }

    static int offset(MultiLayerNetwork net, int[] bounds, int j) {
        int off = 0;
        for (int l = 0; l < bounds[j]; l++) {
            off += (int) net.getLayer(l).numParams();
        }
        return off;
    }

    /**
     * Algorithm 9 with Adam-DDG's update (Algorithm 10), serially: module j at iteration t takes
     * block j of DL4J's gradient of the mean loss of batch s = t − K + j at the whole weight vector
     * w^s (0 if s &lt; 0).
     *
     * @return w^{t+1} (all modules) for t = 0..ITERATIONS−1
     */
    static List<double[]> serialDdg(int[] bounds) {
        int modules = bounds.length - 1;
        MultiLayerNetwork reference = mlp();
        List<double[]> w = new ArrayList<>();
        w.add(reference.params().dup().data().asDouble());
        DdgUpdater[] adam = new DdgUpdater[modules];
        Arrays.setAll(adam, j -> DdgUpdater.adam(LEARNING_RATE));
        for (int t = 0; t < ITERATIONS; t++) {
            double[] next = w.get(t).clone();
            for (int j = 0; j < modules; j++) {
                int from = offset(reference, bounds, j);
                int to = offset(reference, bounds, j + 1);
                int s = t - (modules - 1 - j);
                double[] g = new double[to - from];
                if (s >= 0) {
                    reference.setParams(Nd4j.createFromArray(w.get(s)).reshape(1, w.get(s).length));
                    reference.setInput(features(s));
                    reference.setLabels(labels(s));
                    reference.computeGradientAndScore();
                    double[] full = reference.gradient().gradient().dup().data().asDouble();
                    for (int i = from; i < to; i++) {
                        g[i - from] = full[i] / ROWS;
                    }
                }
                double[] block = Arrays.copyOfRange(next, from, to);
                adam[j].update(block, g, t);
                System.arraycopy(block, 0, next, from, block.length);
            }
            w.add(next);
        }
        return w.subList(1, w.size());
    }

    /**
     * Algorithm 11 serially with the same modules in one process: module j at iteration t replays
     * its stored input of iteration s = t − K + j with w_j^t and backpropagates the error gradient
     * module j + 1 produced at iteration t − 1 (equation 6.7).
     *
     * @return each module's weights after each iteration, [t][j]
     */
    static double[][][] serialReplay(int[] bounds) {
        int modules = bounds.length - 1;
        MultiLayerNetwork reference = mlp();
        DdgModule[] ms = new DdgModule[modules];
        DdgUpdater[] adam = new DdgUpdater[modules];
        double[][][] w = new double[ITERATIONS + 1][modules][];
        for (int j = 0; j < modules; j++) {
            ms[j] = new MultiLayerModule(reference, bounds[j], bounds[j + 1]);
            adam[j] = DdgUpdater.adam(LEARNING_RATE);
            w[0][j] = ms[j].parameters();
        }
        StageTensor[][] stored = new StageTensor[modules][ITERATIONS];
        StageTensor[][] deltaFor = new StageTensor[modules][ITERATIONS + 1];
        for (int t = 0; t < ITERATIONS; t++) {
            StageTensor h = tensor(features(t));
            for (int j = 0; j < modules; j++) {
                ms[j].setParameters(w[t][j]);
                stored[j][t] = h;
                if (j < modules - 1) {
                    h = ms[j].forward(h, null);
                }
            }
            for (int j = 0; j < modules; j++) {
                int s = t - (modules - 1 - j);
                double[] g = new double[ms[j].parameterCount()];
                if (s >= 0) {
                    boolean last = j == modules - 1;
                    DdgModule.Gradients gj = ms[j].backward(stored[j][s], last ? tensor(labels(s)) : null,
                            last ? null : deltaFor[j][t]);
                    g = gj.parameterGradient();
                    if (j > 0) {
                        deltaFor[j - 1][t + 1] = gj.inputGradient();
                    }
                }
                double[] next = w[t][j].clone();
                adam[j].update(next, g, t);
                w[t + 1][j] = next;
            }
        }
        return Arrays.copyOfRange(w, 1, ITERATIONS + 1);
    }

    static void ddg(BlueFog bf) {
        int[] bounds = bounds(bf);
        List<double[]> got = run(bf, bounds, Method.DDG);
        int k = bf.rank();
        if (k >= bounds.length - 1) {
            return;
        }
        MultiLayerNetwork net = mlp();
        int from = offset(net, bounds, k);
        int to = offset(net, bounds, k + 1);
        List<double[]> want = serialDdg(bounds);
        for (int t = 0; t < ITERATIONS; t++) {
            check(Arrays.copyOfRange(want.get(t), from, to), got.get(t), "DDG module " + (k + 1) + " after iteration " + t);
        }
    }

    static void featuresReplay(BlueFog bf) {
        int[] bounds = bounds(bf);
        List<double[]> got = run(bf, bounds, Method.FEATURES_REPLAY);
        int k = bf.rank();
        if (k >= bounds.length - 1) {
            return;
        }
        double[][][] want = serialReplay(bounds);
        for (int t = 0; t < ITERATIONS; t++) {
            check(want[t][k], got.get(t), "features replay module " + (k + 1) + " after iteration " + t);
        }
    }
}
