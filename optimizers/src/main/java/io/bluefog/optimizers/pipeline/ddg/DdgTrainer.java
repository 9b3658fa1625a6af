package io.bluefog.optimizers.pipeline.ddg;

import io.bluefog.BlueFog;
import io.bluefog.collectives.Collectives;
import io.bluefog.collectives.pipeline.StageChannel;
import io.bluefog.collectives.pipeline.StageTensor;
import io.bluefog.comm.ReduceOp;
import io.bluefog.optimizers.pipeline.MultiLayerStage;
import io.bluefog.optimizers.pipeline.ddg.DdgEngine.Method;
import java.util.Arrays;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Trains a Deeplearning4j {@link MultiLayerNetwork} split into K = world size modules, module k on
 * rank k − 1, with decoupled parallel backpropagation ({@link Method#DDG}) or features replay
 * ({@link Method#FEATURES_REPLAY}) through a {@link DdgEngine}; see there for the algorithm and its
 * sources. The layers are cut with {@link MultiLayerStage#balancedSplit} (parameter counts as equal
 * as a greedy cut allows). The network's own DL4J updater is not used: module k updates with its
 * {@link DdgUpdater}.
 *
 * <p>Contract: every rank builds the same network (same configuration and seed) and calls every
 * method the same number of times with iterators that yield the same batches in the same order (rank
 * 0 uses the features, the last rank the labels); {@link #fitEpoch} and {@link #synchronizeNetwork}
 * are collective. K must not exceed the number of layers. Errors: see {@link DdgEngine}.
 */
public final class DdgTrainer implements AutoCloseable {
    /**
     * One epoch as seen by every rank (the loss and times are all-reduced).
     *
     * @param epoch                       1-based
     * @param iterations                  batches in the epoch
     * @param trainLoss                   mean over the epoch of the last module's loss of iteration t at w^t
     * @param seconds                     wall-clock seconds of the epoch on this rank
     * @param staleness                   staleness K − k of module k, index k − 1
     * @param forwardSecondsPerIteration  per module: mean forward seconds per iteration
     * @param backwardSecondsPerIteration per module: mean backward seconds per iteration (includes the
     *                                    recomputed forward)
     * @param waitSecondsPerIteration     per module: mean seconds waiting for activations and error gradients
     */
    public record Epoch(int epoch, long iterations, double trainLoss, double seconds, int[] staleness,
            double[] forwardSecondsPerIteration, double[] backwardSecondsPerIteration, double[] waitSecondsPerIteration) {
        public Epoch {
            staleness = staleness.clone();
            forwardSecondsPerIteration = forwardSecondsPerIteration.clone();
            backwardSecondsPerIteration = backwardSecondsPerIteration.clone();
            waitSecondsPerIteration = waitSecondsPerIteration.clone();
        }

        /** @return seconds per iteration */
        public double secondsPerIteration() {
            return iterations == 0 ? 0 : seconds / iterations;
        }
    }

    private final BlueFog bf;
    private final Collectives collectives;
    private final MultiLayerNetwork net;
    private final MultiLayerModule module;
    private final DdgEngine engine;
    private final int[] bounds;
    private final long offset;
    private int epochs;
    private boolean failed;

    /**
     * @param bf            this rank's BlueFog (its timeline gets the engine's spans)
     * @param collectives   the rank's collectives (for the epoch's all-reduces)
     * @param net           the whole network, initialised identically on every rank
     * @param method        DDG or features replay
     * @param updater       the update rule of this rank's module
     * @param timeoutMillis deadline of every wait for another module
     * @throws IllegalArgumentException if the world size exceeds the number of layers
     */
    public DdgTrainer(BlueFog bf, Collectives collectives, MultiLayerNetwork net, Method method, DdgUpdater updater,
            long timeoutMillis) {
        this(bf, collectives, net, method, updater, timeoutMillis, null);
    }

    /**
     * As {@link #DdgTrainer(BlueFog, Collectives, MultiLayerNetwork, Method, DdgUpdater, long)} with
     * the layer boundaries given.
     *
     * @param bounds b_0 = 0 &lt; b_1 &lt; … &lt; b_K = number of layers, K = world size (module k holds
     *               layers [b_{k−1}, b_k)); null: {@link MultiLayerStage#balancedSplit}
     * @throws IllegalArgumentException if the bounds are not such a sequence
     */
    public DdgTrainer(BlueFog bf, Collectives collectives, MultiLayerNetwork net, Method method, DdgUpdater updater,
            long timeoutMillis, int[] bounds) {
        if (bf == null || collectives == null || net == null) {
            throw new IllegalArgumentException("bf, collectives and net must not be null");
        }
        this.bf = bf;
        this.collectives = collectives;
        this.net = net;
        if (bounds == null) {
            bounds = MultiLayerStage.balancedSplit(net, bf.size());
        } else {
            boolean ok = bounds.length == bf.size() + 1 && bounds[0] == 0 && bounds[bf.size()] == net.getnLayers();
            for (int j = 0; ok && j < bf.size(); j++) {
                ok = bounds[j] < bounds[j + 1];
            }
            if (!ok) {
                throw new IllegalArgumentException("layer bounds " + Arrays.toString(bounds) + " must run 0 < ... < "
                        + net.getnLayers() + " with " + (bf.size() + 1) + " entries (one module per rank)");
            }
            bounds = bounds.clone();
        }
        this.bounds = bounds;
        int k = bf.rank();
        this.module = new MultiLayerModule(net, bounds[k], bounds[k + 1]);
        long off = 0;
        for (int j = 0; j < bounds[k]; j++) {
            off += net.getLayer(j).numParams();
        }
        this.offset = off;
        this.engine = new DdgEngine(StageChannel.oneStagePerRank(bf.communicator(), timeoutMillis), module, updater, method,
                bf.timeline());
    }

    /** @return layer boundaries b_0 = 0 &lt; … &lt; b_K: module k holds layers [b_{k−1}, b_k) */
    public int[] bounds() {
        return bounds.clone();
    }

    /** @return the engine of this rank's module */
    public DdgEngine engine() {
        return engine;
    }

    /**
     * One pass over {@code train} (reset first if it supports it). Collective.
     *
     * @return the epoch's loss and per-module times, the same on every rank
     */
    public Epoch fitEpoch(DataSetIterator train) {
        return fitEpoch(train, null);
    }

    /** Called on the last rank after every iteration of {@link #fitEpoch(DataSetIterator, IterationListener)}. */
    @FunctionalInterface
    public interface IterationListener {
        /**
         * @param iteration 1-based within the epoch
         * @param loss      the last module's loss of this iteration's batch (mean over its rows)
         */
        void iteration(long iteration, double loss);
    }

    /**
     * As {@link #fitEpoch(DataSetIterator)}, and on the last rank (module K, which alone knows the
     * loss) calls {@code listener} after every iteration; other ranks ignore it. Collective.
     *
     * @param listener null for none
     */
    public Epoch fitEpoch(DataSetIterator train, IterationListener listener) {
        if (train.resetSupported()) {
            train.reset();
        }
        int k = bf.rank();
        int modules = bf.size();
        boolean first = k == 0;
        boolean last = k == modules - 1;
        double f0 = engine.forwardSeconds();
        double b0 = engine.backwardSeconds();
        double w0 = engine.waitSeconds();
        long start = System.nanoTime();
        long iterations = 0;
        double lossSum = 0;
        try {
            while (train.hasNext()) {
                DataSet batch = train.next();
                StageTensor x = first ? tensor(batch.getFeatures()) : null;
                StageTensor y = last ? tensor(batch.getLabels()) : null;
                DdgEngine.Step step = engine.step(x, y);
                iterations++;
                if (last) {
                    lossSum += step.loss();
                    if (listener != null) {
                        listener.iteration(iterations, step.loss());
                    }
                }
            }
        } catch (RuntimeException | Error e) {
            failed = true;
            throw e;
        }
        double seconds = (System.nanoTime() - start) * 1e-9;
        // slot layout: [loss sum, iterations, forward s (K), backward s (K), wait s (K)]
        double[] mine = new double[2 + 3 * modules];
        if (last) {
            mine[0] = lossSum;
            mine[1] = iterations;
        }
        mine[2 + k] = engine.forwardSeconds() - f0;
        mine[2 + modules + k] = engine.backwardSeconds() - b0;
        mine[2 + 2 * modules + k] = engine.waitSeconds() - w0;
        double[] all = collectives.allreduce(Nd4j.createFromArray(mine), ReduceOp.SUM).data().asDouble();
        if ((long) all[1] != iterations) {
            throw new IllegalStateException("rank " + k + " ran " + iterations + " iterations this epoch but the last module "
                    + (long) all[1] + ": the ranks' iterators yield different numbers of batches");
        }
        double per = Math.max(iterations, 1);
        int[] staleness = new int[modules];
        Arrays.setAll(staleness, j -> modules - 1 - j);
        double[] fwd = new double[modules];
        double[] bwd = new double[modules];
        double[] wait = new double[modules];
        for (int j = 0; j < modules; j++) {
            fwd[j] = all[2 + j] / per;
            bwd[j] = all[2 + modules + j] / per;
            wait[j] = all[2 + 2 * modules + j] / per;
        }
        epochs++;
        return new Epoch(epochs, iterations, all[0] / per, seconds, staleness, fwd, bwd, wait);
    }

    /**
     * Copies every module's current weights into the whole network on every rank (a sum
     * all-reduce of each rank's slice, zeros elsewhere: exact), e.g. before evaluating it.
     * Collective.
     */
    public void synchronizeNetwork() {
        INDArray flat = net.params();
        double[] mine = new double[Math.toIntExact(flat.length())];
        double[] w = module.parameters();
        System.arraycopy(w, 0, mine, (int) offset, w.length);
        INDArray sum = collectives.allreduce(Nd4j.createFromArray(mine), ReduceOp.SUM);
        flat.assign(sum.castTo(flat.dataType()).reshape(flat.shape()));
    }

    /**
     * Ends the pipeline on this rank ({@link DdgEngine#finish}). Collective. After an epoch that
     * failed it does nothing (the other modules are gone: waiting for them would only add a timeout).
     */
    @Override
    public void close() {
        if (!failed) {
            engine.finish();
        }
    }

    private static StageTensor tensor(INDArray a) {
        INDArray d = a.castTo(DataType.DOUBLE).dup('c');
        return new StageTensor(d.shape(), d.data().asDouble());
    }
}
