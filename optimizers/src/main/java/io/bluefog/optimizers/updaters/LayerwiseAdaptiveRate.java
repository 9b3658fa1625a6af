package io.bluefog.optimizers.updaters;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.Objects;

/**
 * Layer-wise adaptive rates with Nesterov momentum: LARS and CLARS, one rate per
 * {@link ParameterBlocks parameter block} (a {@link io.bluefog.optimizers.dl4j.DecentralizedTrainer} makes
 * every layer of the model a block: its weights and biases together).
 *
 * <p>At iteration t, with &gamma;_t the {@link LearningRateSchedule}'s rate (&gamma;_scale in the thesis, where
 * &gamma;_scale = &gamma;_base &middot; B / B_base is the linear scaling rule), g the gradient the optimizer steps
 * with (the mini-batch mean (1/B) &Sigma;_{i&isin;I_t} &nabla; f_i(w_t)) and (w)_k, g_k the parts of layer k:
 * <ul>
 *   <li>LARS (You, Gitman and Ginsburg, "Large Batch Training of Convolutional Networks",
 *       arXiv:1708.03888, 2017; eq. (4.3) of the thesis below): &gamma;_k = &gamma;_t &middot; &eta; &middot; ‖(w_t)_k‖&#8322; / ‖g_k‖&#8322;.</li>
 *   <li>CLARS (complete layer-wise adaptive rate scaling, eq. (4.7) and Algorithm 8 of Z. Huo, "Distributed
 *       Machine Learning Framework: New Algorithms and Theoretical Foundation", PhD thesis, University of
 *       Pittsburgh, 2020, chapter 4): &gamma;_k = &gamma;_t &middot; &eta; &middot; ‖(w_t)_k‖&#8322; /
 *       ((1/B) &Sigma;_{i&isin;I_t} ‖&nabla;_k f_i(w_t)‖&#8322;), the mean of the per-sample gradient norms, estimated as
 *       the thesis's experiments do on a subset J_t of the batch: (1/|J|) &Sigma;_{j&isin;J_t} ‖&nabla;_k f_j(w_t)‖&#8322;.
 *       By the triangle inequality the denominator is at least LARS's, so CLARS's rate is LARS's times
 *       ‖mean gradient‖ / mean ‖gradient‖ &le; 1 (eq. (4.8)): small while per-sample gradients disagree, which
 *       is what replaces the warmup. (Eq. (4.7) averages norms; Algorithm 8's line 4 and &sect;4.4 write squared
 *       norms; this class follows eq. (4.7), as the issue asks.)</li>
 * </ul>
 * When ‖(w_t)_k‖ or the denominator is 0 (e.g. a layer initialised to zero) the layer's ratio is taken
 * as 1, &gamma;_k = &gamma;_t, as LARS implementations do.
 *
 * <p>The step is mini-batch Nesterov accelerated gradient with the per-layer rates (mNAG, eq. (4.6) of
 * the thesis): v_{t+1} = w_t &minus; &Sigma;_k &gamma;_k U_k g_k; w_{t+1} = v_{t+1} + &beta;(v_{t+1} &minus; v_t), v_0 = w_0. It is
 * computed in ND4J's Nesterov form, which is the same recursion written on &delta;_t = v_{t+1} &minus; v_t:
 * &delta;_t = &beta; &delta;_{t&minus;1} &minus; &gamma;_k g_k; d = &beta; &delta;_{t&minus;1} &minus; (1 + &beta;) &delta;_t; w_{t+1} = w_t &minus; d.
 *
 * <p>The state needs the parameters (and CLARS the per-sample norms), so it works only through
 * {@link State#apply(INDArray, LocalUpdater.Context)}, which every optimizer uses; CLARS without
 * {@link LocalUpdater.Context#sampleGradientNorms()} is an {@link IllegalStateException}.
 */
public final class LayerwiseAdaptiveRate extends LocalUpdater {
    private final boolean complete;
    private final double eta;
    private final double momentum;
    private final int sampleSubset;

    private LayerwiseAdaptiveRate(boolean complete, LearningRateSchedule schedule, double eta, double momentum, int sampleSubset) {
        super(schedule);
        if (!(eta > 0) || Double.isInfinite(eta)) {
            throw new IllegalArgumentException("eta (trust coefficient) must be finite and > 0, got " + eta);
        }
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
        }
        this.complete = complete;
        this.eta = eta;
        this.momentum = momentum;
        this.sampleSubset = sampleSubset;
    }

    /**
     * LARS with Nesterov momentum.
     *
     * @param schedule &gamma;_t (&gamma;_scale, e.g. with warmup and polynomial decay as You et al.)
     * @param eta      trust coefficient &eta; &gt; 0 (0.001 in You et al.)
     * @param momentum &beta; in [0, 1)
     */
    public static LayerwiseAdaptiveRate lars(LearningRateSchedule schedule, double eta, double momentum) {
        return new LayerwiseAdaptiveRate(false, schedule, eta, momentum, 0);
    }

    /**
     * CLARS with Nesterov momentum.
     *
     * @param schedule     &gamma;_t (&gamma;_scale; the thesis uses no warmup)
     * @param eta          &eta; &gt; 0 (the thesis: 0.01)
     * @param momentum     &beta; in [0, 1)
     * @param sampleSubset |J| &ge; 1: per-sample gradients per step for the norm estimate (a trainer uses the
     *                     first min(|J|, B) samples of each, shuffled, mini-batch; |J| &ge; B is the exact eq. (4.7))
     */
    public static LayerwiseAdaptiveRate clars(LearningRateSchedule schedule, double eta, double momentum, int sampleSubset) {
        if (sampleSubset < 1) {
            throw new IllegalArgumentException("CLARS sample subset |J| must be >= 1, got " + sampleSubset);
        }
        return new LayerwiseAdaptiveRate(true, schedule, eta, momentum, sampleSubset);
    }

    @Override
    public double momentum() {
        return momentum;
    }

    @Override
    public int sampleGradientsPerStep() {
        return sampleSubset;
    }

    /** @return the trust coefficient &eta; */
    public double eta() {
        return eta;
    }

    @Override
    public State newState(ParameterBlocks blocks, DataType dtype) {
        return new LayerState(Objects.requireNonNull(blocks, "blocks"), Objects.requireNonNull(dtype, "dtype"));
    }

    /**
     * The layer rates &gamma;_k of one step (exposed for tests and logging).
     *
     * @param iteration         t
     * @param blocks            the layers
     * @param parameters        w_t, flat
     * @param gradient          the mean mini-batch gradient, flat
     * @param sampleGradientNorms CLARS's per-layer mean per-sample gradient norms (ignored by LARS)
     */
    public double[] layerRates(long iteration, ParameterBlocks blocks, INDArray parameters, INDArray gradient, double[] sampleGradientNorms) {
        long n = blocks.totalLength();
        if (parameters.length() != n || gradient.length() != n) {
            throw new IllegalArgumentException("parameters and gradient must have " + n + " elements, got "
                    + parameters.length() + " and " + gradient.length());
        }
        if (complete && (sampleGradientNorms == null || sampleGradientNorms.length != blocks.count())) {
            throw new IllegalStateException("CLARS needs the mean per-sample gradient norm of each of the " + blocks.count()
                    + " layers (DecentralizedTrainer computes them; or DecentralizedOptimizer.setSampleGradientNorms), got "
                    + (sampleGradientNorms == null ? "none" : sampleGradientNorms.length + " values"));
        }
        INDArray w = parameters.reshape(n);
        INDArray g = gradient.reshape(n);
        double base = learningRate(iteration);
        double[] rates = new double[blocks.count()];
        for (int b = 0; b < rates.length; b++) {
            long from = blocks.offset(b);
            long to = from + blocks.length(b);
            double wNorm = w.get(NDArrayIndex.interval(from, to)).norm2Number().doubleValue();
            double denominator = complete ? sampleGradientNorms[b] : g.get(NDArrayIndex.interval(from, to)).norm2Number().doubleValue();
            double ratio = wNorm > 0 && denominator > 0 ? eta * wNorm / denominator : 1;
            rates[b] = base * ratio;
        }
        return rates;
    }

    @Override
    public String toString() {
        return (complete ? "clars" : "lars") + "(lr=" + (schedule().isConstant() ? Double.toString(learningRate()) : "[" + schedule() + "]")
                + ", eta=" + eta + ", momentum=" + momentum + (complete ? ", |J|=" + sampleSubset : "") + ")";
    }

    private final class LayerState implements State {
        private final ParameterBlocks blocks;
        private final INDArray delta;

        LayerState(ParameterBlocks blocks, DataType dtype) {
            this.blocks = blocks;
            this.delta = Nd4j.zeros(dtype, blocks.totalLength());
        }

        @Override
        public java.util.List<INDArray> stateArrays() {
            return java.util.List.of(delta);
        }

        @Override
        public void apply(INDArray gradient, long iteration) {
            throw new IllegalStateException((complete ? "CLARS" : "LARS") + " needs the parameters: call apply(gradient, Context)");
        }

        @Override
        public void apply(INDArray gradient, Context context) {
            long n = blocks.totalLength();
            if (gradient.length() != n) {
                throw new IllegalArgumentException("gradient has " + gradient.length() + " elements, expected " + n);
            }
            double[] rates = layerRates(context.iteration(), blocks, context.parameters(), gradient, context.sampleGradientNorms());
            INDArray g = gradient.reshape(n);
            INDArray d = Nd4j.createUninitialized(gradient.dataType(), n);
            for (int b = 0; b < rates.length; b++) {
                long from = blocks.offset(b);
                long to = from + blocks.length(b);
                INDArray gb = g.get(NDArrayIndex.interval(from, to));
                INDArray vb = delta.get(NDArrayIndex.interval(from, to));
                INDArray db = d.get(NDArrayIndex.interval(from, to));
                // d = beta * delta_prev - (1 + beta) * delta, delta = beta * delta_prev - rate * g
                db.assign(vb).muli(momentum);
                vb.muli(momentum).subi(gb.mul(rates[b]));
                db.subi(vb.mul(1 + momentum));
            }
            gradient.assign(d.reshape(gradient.shape()));
        }
    }
}
