package io.bluefog.optimizers.pipeline;

import io.bluefog.collectives.pipeline.StageChannel;
import io.bluefog.collectives.pipeline.StageTensor;
import io.bluefog.comm.Communicator;
import io.bluefog.optimizers.updaters.LocalUpdater;
import io.bluefog.timeline.Timeline;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Synchronous pipeline-parallel training of a DL4J {@link MultiLayerNetwork}: rank s holds layers
 * {@code [bounds[s], bounds[s+1])} ({@link MultiLayerStage}), each batch is split into K
 * micro-batches that go through the stages with GPipe's schedule ({@link GPipeEngine}), and every
 * stage then applies a {@link LocalUpdater} step to its own layers with the gradient of the batch's
 * mean loss, the same gradient single-process training computes (to float rounding), so the
 * trajectory is that of one process training on the same batches.
 *
 * <p>Every rank of the pipeline holds a network built from the same configuration and seed and
 * calls {@link #fit} with the same batches (stage 0 uses the features, the last stage the labels)
 * and {@link #gatherParameters} at the same points. Not thread-safe.
 */
public final class PipelineTrainer {
    private final MultiLayerNetwork net;
    private final StageChannel channel;
    private final MultiLayerStage stage;
    private final GPipeEngine engine;
    private final int[] bounds;
    private final int microBatches;
    private final INDArray stageParams;
    private final long stageOffset;
    private final LocalUpdater.State updater;
    private long iteration;

    /**
     * @param channel      one stage per rank of the pipeline
     * @param net          an initialised network, identical on every rank
     * @param bounds       layer boundaries, length Δ + 1 ({@link MultiLayerStage#balancedSplit})
     * @param microBatches K &ge; 1
     * @param updater      the local update rule, e.g. {@code LocalUpdater.nesterov(0.05, 0.9)}
     * @param timeline     spans per stage and micro-batch
     * @throws IllegalArgumentException if bounds do not match Δ or the network, or K &lt; 1
     */
    public PipelineTrainer(StageChannel channel, MultiLayerNetwork net, int[] bounds, int microBatches, LocalUpdater updater,
            Timeline timeline) {
        if (bounds == null || bounds.length != channel.stages() + 1 || bounds[0] != 0 || bounds[bounds.length - 1] != net.getnLayers()) {
            throw new IllegalArgumentException("bounds must run from 0 to " + net.getnLayers() + " in " + channel.stages()
                    + " stages, got " + java.util.Arrays.toString(bounds));
        }
        if (microBatches < 1) {
            throw new IllegalArgumentException("microBatches = " + microBatches + " must be >= 1");
        }
        this.net = net;
        this.channel = channel;
        this.bounds = bounds.clone();
        this.microBatches = microBatches;
        int s = channel.stage();
        this.stage = new MultiLayerStage(net, bounds[s], bounds[s + 1]);
        this.engine = new GPipeEngine(channel, stage, timeline);
        long from = 0;
        for (int j = 0; j < bounds[s]; j++) {
            from += net.getLayer(j).numParams();
        }
        long to = from;
        for (int j = bounds[s]; j < bounds[s + 1]; j++) {
            to += net.getLayer(j).numParams();
        }
        this.stageOffset = from;
        INDArray all = net.params();
        INDArray flatParams = all.rank() == 1 ? all : all.reshape(all.length());
        this.stageParams = to > from ? flatParams.get(NDArrayIndex.interval(from, to)) : null;
        this.updater = to > from ? updater.newState(to - from, net.params().dataType()) : null;
    }

    /** @return this rank's stage */
    public MultiLayerStage stage() {
        return stage;
    }

    /**
     * One synchronous step on a batch of m rows split into K micro-batches of ⌈m/K⌉ or ⌊m/K⌋ rows
     * (K is reduced to m when m &lt; K).
     *
     * @param features stage 0: [m, ...] inputs; ignored elsewhere (may be null)
     * @param labels   last stage: [m, classes]; ignored elsewhere (may be null)
     * @param rows     m, the same on every rank
     * @return last stage: the batch's mean loss; other stages: NaN
     */
    public double fit(INDArray features, INDArray labels, int rows) {
        int k = Math.min(microBatches, rows);
        double[] weights = new double[k];
        List<StageTensor> inputs = channel.stage() == 0 ? new ArrayList<>() : null;
        List<INDArray> microLabels = stage.isLast() ? new ArrayList<>() : null;
        for (int i = 0; i < k; i++) {
            int from = (int) ((long) i * rows / k);
            int to = (int) ((long) (i + 1) * rows / k);
            weights[i] = (to - from) / (double) rows;
            if (inputs != null) {
                INDArray x = features.get(NDArrayIndex.interval(from, to), NDArrayIndex.all()).castTo(DataType.DOUBLE).dup('c');
                inputs.add(new StageTensor(x.shape(), x.data().asDouble()));
            }
            if (microLabels != null) {
                microLabels.add(labels.get(NDArrayIndex.interval(from, to), NDArrayIndex.all()).dup());
            }
        }
        if (microLabels != null) {
            stage.setLabels(microLabels);
        }
        GPipeEngine.Pass pass = engine.run(inputs, weights);
        if (stageParams != null) {
            INDArray flat = Nd4j.zeros(stageParams.dataType(), stageParams.length());
            for (Map.Entry<String, INDArray> e : stage.gradients().entrySet()) {
                String key = e.getKey();
                int layer = Integer.parseInt(key.substring(0, key.indexOf('_')));
                INDArray view = net.getLayer(layer).paramTable().get(key.substring(key.indexOf('_') + 1));
                long offset = view.offset() - net.params().offset() - stageOffset;
                INDArray g = Nd4j.toFlattened(view.ordering(), e.getValue().reshape(view.shape())).castTo(flat.dataType());
                flat.get(NDArrayIndex.interval(offset, offset + view.length())).assign(g);
            }
            updater.apply(flat, iteration);
            stageParams.subi(flat);
        }
        iteration++;
        double loss = Double.NaN;
        if (stage.isLast()) {
            loss = 0;
            double[] l = pass.losses();
            for (int i = 0; i < k; i++) {
                loss += weights[i] * l[i];
            }
        }
        return loss;
    }

    /**
     * Gives every rank the current parameters of every layer: stage s's layers are broadcast from
     * stage s's rank (float64 on the wire). Collective over all ranks of the communicator, which must
     * be exactly the pipeline's ranks.
     */
    public void gatherParameters(Communicator comm) {
        for (int s = 0; s < channel.stages(); s++) {
            for (int j = bounds[s]; j < bounds[s + 1]; j++) {
                Layer layer = net.getLayer(j);
                if (layer.numParams() == 0) {
                    continue;
                }
                INDArray p = layer.params();
                DoubleBuffer buf = ByteBuffer.allocateDirect((int) p.length() * Double.BYTES).order(ByteOrder.nativeOrder()).asDoubleBuffer();
                if (comm.rank() == channel.rankOf(s)) {
                    buf.put(p.castTo(DataType.DOUBLE).dup().data().asDouble()).flip();
                }
                comm.broadcast(buf, channel.rankOf(s));
                double[] v = new double[(int) p.length()];
                buf.position(0);
                buf.get(v);
                p.assign(Nd4j.create(v, p.shape(), p.ordering()).castTo(p.dataType()));
            }
        }
    }
}
