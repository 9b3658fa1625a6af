package io.bluefog.examples.custom;

import io.bluefog.collectives.Collectives;
import io.bluefog.collectives.Mixing;
import io.bluefog.topology.Topology;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Objects;

/**
 * How to write a new decentralized optimizer from the public collectives alone: Quasi-Global
 * Momentum (QG-DSGDm, Algorithm 1 of Lin, Karimireddy, Stich and Jaggi, "Quasi-Global Momentum:
 * Accelerating Decentralized Deep Learning on Heterogeneous Data", ICML 2021). Local momentum
 * drifts apart on heterogeneous data; QGM instead builds the momentum from the model's actual
 * displacement after gossip, an estimate of the global update direction:
 * <pre>
 *   m_i     = beta * mhat_i + g_i(x_i)
 *   x_i^+   = sum_j w_ij (x_i - lr * m_i)_j          (neighbor averaging, ATC form)
 *   d_i     = (x_i - x_i^+) / lr
 *   mhat_i  = beta * mhat_i + (1 - beta) * d_i
 * </pre>
 * Only {@link Collectives#broadcastInPlace} and {@link Collectives#neighborAllreduceInPlace(INDArray, Topology)}
 * are used. Every rank constructs one (collective: broadcast of rank 0's parameters) and calls
 * {@link #step} once per iteration (collective); parameters are updated in place.
 */
public final class QuasiGlobalMomentum {
    private final Collectives collectives;
    private final Topology topology;
    private final double learningRate;
    private final double beta;
    private final INDArray params;
    private final INDArray momentumHat;

    /**
     * @param collectives  this rank's collectives
     * @param topology     the (doubly stochastic) mixing matrix, equal on every rank
     * @param params       flat parameters (FLOAT or DOUBLE), updated in place
     * @param learningRate lr &gt; 0
     * @param beta         momentum in [0, 1)
     */
    public QuasiGlobalMomentum(Collectives collectives, Topology topology, INDArray params, double learningRate, double beta) {
        if (!(learningRate > 0) || !(beta >= 0 && beta < 1)) {
            throw new IllegalArgumentException("need learningRate > 0 and beta in [0, 1), got " + learningRate + ", " + beta);
        }
        this.collectives = Objects.requireNonNull(collectives, "collectives");
        this.topology = Objects.requireNonNull(topology, "topology");
        this.params = Objects.requireNonNull(params, "params");
        this.learningRate = learningRate;
        this.beta = beta;
        this.momentumHat = params.like();
        collectives.broadcastInPlace(params, 0);
    }

    /** One iteration with the gradient at the current parameters (not modified). Collective. */
    public void step(INDArray gradient) {
        INDArray before = params.dup();
        INDArray m = momentumHat.mul(beta).addi(gradient);
        params.subi(m.muli(learningRate));
        collectives.neighborAllreduceInPlace(params, Mixing.of(topology));
        INDArray displacement = before.subi(params).divi(learningRate);
        momentumHat.muli(beta).addi(displacement.muli(1 - beta));
    }
}
