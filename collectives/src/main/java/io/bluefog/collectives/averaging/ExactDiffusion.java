package io.bluefog.collectives.averaging;

import io.bluefog.collectives.Collectives;
import io.bluefog.topology.Topologies;
import io.bluefog.topology.Topology;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The combine step of Exact Diffusion / D² (Yuan, Ying, Zhao, Sayed, "Exact Diffusion for
 * Distributed Optimization and Learning", IEEE TSP 2019; Tang et al., "D²: Decentralized Training
 * over Decentralized Data", ICML 2018). With {@code W̄ = (I + W)/2}:
 * <pre>
 *   ψ_i^{k+1} = x_i^k − γ g_i(x_i^k)                (the caller's local step)
 *   φ_i^{k+1} = ψ_i^{k+1} + x_i^k − ψ_i^k           (correction)
 *   x_i^{k+1} = Σ_j w̄_ij φ_j^{k+1}                  (this class)
 * </pre>
 * with {@code ψ^0 = x^0}, so the first step is plain diffusion; W̄ is {@link Topologies#lazy(Topology)}. The correction removes the bias
 * that heterogeneous data causes in D-SGD.
 *
 * <p>Lifecycle: one instance per rank per parameter tensor; it keeps {@code ψ^k} (a copy, same
 * shape and dtype). Every rank calls {@link #step} once per iteration. Not thread-safe.
 */
public final class ExactDiffusion {
    private final Collectives collectives;
    private final Topology halfLazy;
    private INDArray psiPrev;

    /** Uses the static topology {@code bf.topology()} at construction time. */
    public ExactDiffusion(Collectives collectives) {
        this(collectives, collectives.blueFog().topology());
    }

    /** @param w the mixing matrix W (doubly stochastic for the method's guarantees), same on every rank */
    public ExactDiffusion(Collectives collectives, Topology w) {
        this.collectives = collectives;
        this.halfLazy = Topologies.lazy(w);
    }

    /** @return the matrix this instance mixes with, W̄ */
    public Topology mixing() {
        return halfLazy;
    }

    /**
     * One combine step.
     *
     * @param psi {@code ψ^{k+1}}, the locally updated parameters (not modified)
     * @param x   {@code x^k}, the parameters the local step started from (not modified)
     * @return {@code x^{k+1} = W̄ (ψ^{k+1} + x^k − ψ^k)}, a new array
     */
    public INDArray step(INDArray psi, INDArray x) {
        INDArray phi = psiPrev == null ? psi.dup() : psi.add(x).subi(psiPrev);
        if (psiPrev == null || !java.util.Arrays.equals(psiPrev.shape(), psi.shape())
                || psiPrev.dataType() != psi.dataType()) {
            psiPrev = psi.dup();
        } else {
            psiPrev.assign(psi); // reuse the buffer: one model-sized allocation per step (phi) instead of two
        }
        return collectives.neighborAllreduceInPlace(phi, halfLazy);
    }

    /** @return {@code ψ^k}, the previous local iterate (null before the first step); not a copy */
    public INDArray previousPsi() {
        return psiPrev;
    }
}
