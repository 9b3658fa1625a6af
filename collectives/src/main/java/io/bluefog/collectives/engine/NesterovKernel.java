package io.bluefog.collectives.engine;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Nesterov momentum's local step in one native pass over memory, with the arithmetic of ND4J's
 * {@code Nesterovs} updater to the last bit (libnd4j's {@code nesterovs_updater}: with lr, &mu; and
 * &minus;&mu; &minus; 1 rounded to the element type, prev = &mu; v; v &larr; prev &minus; lr g; update =
 * prev + (&minus;&mu; &minus; 1) v, each operation rounded once). ND4J's op took about 1 ns per element
 * on the 2-core VM (0.2 to 0.3 ms for the 235k-parameter Fashion-MNIST MLP, a tenth of an
 * asynchronous step's CPU); this kernel runs at memory speed. It lives in the project's native
 * library with the engine's combine ({@link NativeKernels}, {@code src/main/c/nesterov.c}) and is
 * used by the optimizers' local updater ({@code LocalUpdater.nesterov}); where the library is absent
 * or disabled ({@code BLUEFOG_NATIVE_KERNELS=false}), or the arrays do not fit, {@link #apply}
 * declines and the caller runs ND4J's op, with the same results.
 */
public final class NesterovKernel {
    private NesterovKernel() {
    }

    /** @return true if the native kernel is loaded and enabled (then {@link #apply} runs on fitting arrays) */
    public static boolean available() {
        return NativeKernels.enabled();
    }

    /**
     * One Nesterov step, ND4J's arithmetic: advances the momentum {@code state} in place and writes
     * the update (what the caller subtracts from the parameters) into {@code gradient}, as ND4J's
     * updater does.
     *
     * @param gradient     the gradient g, overwritten by the update; float32 or float64, contiguous
     * @param state        the momentum v, the same dtype and length, contiguous, not overlapping it
     * @param learningRate lr of this iteration
     * @param momentum     &mu;
     * @return true if applied; false, with nothing changed, when the native kernel is not
     *         {@linkplain #available() available}, or the arrays are not both contiguous float32 or
     *         both contiguous float64 of one length
     */
    public static boolean apply(INDArray gradient, INDArray state, double learningRate, double momentum) {
        DataType dt = gradient.dataType();
        if (!available() || (dt != DataType.FLOAT && dt != DataType.DOUBLE) || state.dataType() != dt
                || gradient.length() != state.length() || !contiguous(gradient) || !contiguous(state)
                || gradient.wasClosed() || state.wasClosed()) {
            return false;
        }
        long g = Tensors.address(gradient); // the update is written over the gradient
        NativeKernels.nesterov(dt == DataType.DOUBLE, g, Tensors.address(state), g, gradient.length(), learningRate,
                momentum);
        return true;
    }

    private static boolean contiguous(INDArray a) {
        return a.length() == 1 || a.elementWiseStride() == 1;
    }
}
