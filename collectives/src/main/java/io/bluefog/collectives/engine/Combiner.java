package io.bluefog.collectives.engine;

import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Computes out[from..from+count) = self * in[..] + sum_k w_k * received_k[..], self term first and
 * then the sources in ascending rank order, so that results are bitwise reproducible run to run:
 * in one pass with the native kernel when it is loaded, else with BLAS scal and axpy.
 */
final class Combiner {
    private final boolean useNativeKernel;
    private final double self;
    private final double[] weights;
    private final boolean aliased;
    private final int width;
    private final boolean dbl;
    private final long inAddress;
    private final long outAddress;
    private final long[] recvAddress;
    private final long[] chunkAddress;
    private final Pointer inP;
    private final Pointer outP;
    private final Pointer[] recvP;

    /**
     * For out = self * in + sum_k weights[k] * received[k], flat arrays of one dtype; out may be in
     * (but no received array may be out).
     *
     * @param useNativeKernel combine with the one-pass native kernel (else BLAS)
     */
    Combiner(boolean useNativeKernel, double self, double[] weights, INDArray in, INDArray out, INDArray[] received) {
        this.useNativeKernel = useNativeKernel;
        this.self = self;
        this.weights = weights;
        this.aliased = Tensors.sameMemory(out, in);
        this.width = in.dataType().width();
        this.dbl = in.dataType() == DataType.DOUBLE;
        int ns = received.length;
        if (useNativeKernel) {
            inAddress = Tensors.address(in);
            outAddress = Tensors.address(out);
            recvAddress = new long[ns];
            for (int k = 0; k < ns; k++) {
                recvAddress[k] = Tensors.address(received[k]);
            }
            chunkAddress = new long[ns];
            inP = outP = null;
            recvP = null;
        } else {
            inAddress = outAddress = 0;
            recvAddress = chunkAddress = null;
            inP = FlatBlas.pointer(in);
            outP = aliased ? inP : FlatBlas.pointer(out);
            recvP = new Pointer[ns];
            for (int k = 0; k < ns; k++) {
                recvP[k] = FlatBlas.pointer(received[k]);
            }
        }
    }

    /** The whole length {@code n}, in pieces that fit the kernels' int counts. */
    void combineAll(long n) {
        for (long from = 0; from < n; from += Integer.MAX_VALUE) {
            combine(from, (int) Math.min(Integer.MAX_VALUE, n - from));
        }
    }

    void combine(long from, int count) {
        if (useNativeKernel) {
            long offset = from * width;
            for (int k = 0; k < chunkAddress.length; k++) {
                chunkAddress[k] = recvAddress[k] + offset;
            }
            NativeKernels.weightedSum(dbl, outAddress + offset, inAddress + offset, self, chunkAddress, weights,
                    chunkAddress.length, count);
            return;
        }
        if (!aliased) {
            FlatBlas.copy(count, inP, from, outP, from);
        }
        if (self != 1.0) {
            FlatBlas.scal(count, self, outP, from);
        }
        for (int k = 0; k < recvP.length; k++) {
            FlatBlas.axpy(count, weights[k], recvP[k], from, outP, from);
        }
    }

    /**
     * Turns a sum of {@code count} terms (flat, float32 or float64) into their average, in place: the
     * one place where averages are finished (allreduce AVG, machine averages).
     */
    static void average(INDArray sum, int count) {
        if (count != 1) {
            FlatBlas.scalAll(sum, 1.0 / count);
        }
    }
}
