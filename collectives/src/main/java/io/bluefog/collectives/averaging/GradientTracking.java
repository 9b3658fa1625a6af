package io.bluefog.collectives.averaging;

import io.bluefog.collectives.Collectives;
import io.bluefog.collectives.Handle;
import io.bluefog.topology.Topology;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The communication steps of gradient tracking (DIGing: Nedić, Olshevsky, Shi, "Achieving
 * Geometric Convergence for Distributed Optimization over Time-Varying Graphs", SIAM J. Optim.
 * 2017):
 * <pre>
 *   x_i^{k+1} = Σ_j w_ij x_j^k − γ y_i^k
 *   y_i^{k+1} = Σ_j w_ij y_j^k + g_i(x_i^{k+1}) − g_i(x_i^k),     y^0 = g(x^0)
 * </pre>
 * Use: {@link #init(INDArray)} with {@code g_i(x^0)}; then per iteration {@link #descend} (mixes x
 * and y in one fused exchange and returns {@code x^{k+1}}), compute {@code g_i(x^{k+1})}, and
 * {@link #track}. The tracker {@code y} follows the network-average gradient.
 *
 * <p>One instance per rank per parameter tensor; keeps y, W y and the previous gradient (copies).
 * Every rank calls the methods in the same order. Not thread-safe.
 */
public final class GradientTracking {
    private final Collectives collectives;
    private final Topology w;
    private INDArray y;
    private INDArray mixedY;
    private INDArray previousGradient;

    /** Uses the static topology {@code bf.topology()} at construction time. */
    public GradientTracking(Collectives collectives) {
        this(collectives, collectives.blueFog().topology());
    }

    /** @param w the mixing matrix, same on every rank */
    public GradientTracking(Collectives collectives, Topology w) {
        this.collectives = collectives;
        this.w = w;
    }

    /** Sets {@code y^0 = g0 = g_i(x^0)} (copied). */
    public void init(INDArray g0) {
        y = g0.dup();
        previousGradient = g0.dup();
        mixedY = null;
    }

    /**
     * @param x  {@code x^k} (not modified)
     * @param lr γ &gt; 0
     * @return {@code x^{k+1} = W x^k − γ y^k}, a new array
     * @throws IllegalStateException before {@link #init} or twice without {@link #track} in between
     */
    public INDArray descend(INDArray x, double lr) {
        if (y == null) {
            throw new IllegalStateException("call init(g0) before descend");
        }
        if (mixedY != null) {
            throw new IllegalStateException("descend called twice without track(gradient) in between");
        }
        Handle<INDArray> wx = collectives.neighborAllreduceAsync(x, w);
        Handle<INDArray> wy = collectives.neighborAllreduceAsync(y, w);
        INDArray next = wx.join().subi(y.mul(lr));
        mixedY = wy.join();
        return next;
    }

    /**
     * @param gradient {@code g_i(x^{k+1})} (copied)
     * @return {@code y^{k+1} = W y^k + g_i(x^{k+1}) − g_i(x^k)} (the tracker; do not modify)
     * @throws IllegalStateException if {@link #descend} was not called first
     */
    public INDArray track(INDArray gradient) {
        if (mixedY == null) {
            throw new IllegalStateException("call descend(x, lr) before track");
        }
        y = mixedY.addi(gradient).subi(previousGradient);
        previousGradient = gradient.dup();
        mixedY = null;
        return y;
    }

    /** @return the current tracker {@code y^k} (null before init); not a copy */
    public INDArray tracker() {
        return y;
    }
}
