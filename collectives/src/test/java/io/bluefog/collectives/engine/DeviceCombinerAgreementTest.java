package io.bluefog.collectives.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.bluefog.comm.DType;
import io.bluefog.device.CpuBackend;
import io.bluefog.device.DeviceBuffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The device data path's combine ({@link io.bluefog.device.DeviceBackend#combine}, which the CUDA
 * kernels compute in the same order) gives the same bits as the engine's {@link Combiner} on host
 * arrays, for float32 and float64, 0 to 6 sources, explicit and uniform weights (uniform passed to
 * the device path as weights 1 and divisor m, as DeviceGossip does).
 */
class DeviceCombinerAgreementTest {
    @Test
    void cpuBackendCombineEqualsEngineCombinerBitForBit() {
        Random rnd = new Random(41);
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            DType dd = dt == DataType.FLOAT ? DType.FLOAT32 : DType.FLOAT64;
            for (int sources = 0; sources <= 6; sources++) {
                for (boolean uniform : new boolean[] {false, true}) {
                    int n = 1 + rnd.nextInt(3 * Combiner.BLOCK);
                    int m = sources + 1;
                    double self = uniform ? 1.0 / m : rnd.nextDouble();
                    double[] w = new double[sources];
                    for (int k = 0; k < sources; k++) {
                        w[k] = uniform ? 1.0 / m : rnd.nextDouble() - 0.2;
                    }
                    INDArray in = Nd4j.rand(dt, 1, n).subi(0.5).muli(1 + rnd.nextInt(1000));
                    INDArray[] recv = new INDArray[sources];
                    for (int k = 0; k < sources; k++) {
                        recv[k] = Nd4j.rand(dt, 1, n).subi(0.5).muli(1 + rnd.nextInt(1000));
                    }
                    INDArray out = Nd4j.create(dt, 1, n);
                    Combiner.weighted(false, self, w, in, out, recv).combineAll(n);

                    try (CpuBackend be = new CpuBackend()) {
                        DeviceBuffer[] src = new DeviceBuffer[m];
                        src[0] = upload(be, dd, in);
                        for (int k = 0; k < sources; k++) {
                            src[k + 1] = upload(be, dd, recv[k]);
                        }
                        double[] dw = new double[m];
                        dw[0] = self;
                        System.arraycopy(w, 0, dw, 1, sources);
                        double div = 0;
                        if (uniform) {
                            Arrays.fill(dw, 1.0);
                            div = m;
                        }
                        DeviceBuffer dout = be.allocate(dd, n);
                        be.combine(dout, src, dw, div);
                        double[] expect = out.toDoubleVector();
                        ByteBuffer got = ByteBuffer.allocateDirect(n * dd.bytes()).order(ByteOrder.nativeOrder());
                        if (dd == DType.FLOAT32) {
                            be.download(dout, got.asFloatBuffer());
                        } else {
                            be.download(dout, got.asDoubleBuffer());
                        }
                        for (int j = 0; j < n; j++) {
                            double g = dd == DType.FLOAT32 ? got.getFloat(4 * j) : got.getDouble(8 * j);
                            assertEquals(expect[j], g, 0.0, dt + " sources " + sources + (uniform ? " uniform" : "")
                                    + " element " + j);
                        }
                    }
                }
            }
        }
    }

    private static DeviceBuffer upload(CpuBackend be, DType dd, INDArray a) {
        int n = (int) a.length();
        DeviceBuffer b = be.allocate(dd, n);
        ByteBuffer bb = ByteBuffer.allocateDirect(n * dd.bytes()).order(ByteOrder.nativeOrder());
        if (dd == DType.FLOAT32) {
            be.upload(bb.asFloatBuffer().put(a.toFloatVector()).flip(), b);
        } else {
            be.upload(bb.asDoubleBuffer().put(a.toDoubleVector()).flip(), b);
        }
        return b;
    }
}
