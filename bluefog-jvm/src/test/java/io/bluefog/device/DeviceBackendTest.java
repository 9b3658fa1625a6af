package io.bluefog.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.comm.DType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * {@link CpuBackend}'s combine and SGD update against closed forms and a serial reference, the
 * kernels' PTX resource, and {@link CudaBackend} against {@link CpuBackend} bit for bit (skipped
 * without a CUDA device).
 */
class DeviceBackendTest {
    private static final long SEED = 2026;

    @Test
    void uniformFloat32AverageIsTheCorrectlyRoundedQuotient() {
        // The collectives engine's documented example: (50 + 51 + 51) / 3 = 50.666668f, not 50.66667175f.
        try (CpuBackend be = new CpuBackend()) {
            DeviceBuffer a = up(be, new float[] {50f});
            DeviceBuffer b = up(be, new float[] {51f});
            DeviceBuffer c = up(be, new float[] {51f});
            DeviceBuffer out = be.allocate(DType.FLOAT32, 1);
            be.combine(out, new DeviceBuffer[] {a, b, c}, new double[] {1, 1, 1}, 3);
            assertEquals(50.666668f, floats(be, out)[0]);
            assertEquals((float) (152.0 / 3.0), floats(be, out)[0]);
        }
    }

    @Test
    void weightedCombineAccumulatesInFloat64AndRoundsOnce() {
        // 1 + 2^-24 + 2^-24: accumulated in float32, each 1 + 2^-24 is a tie that rounds (to even) back to 1,
        // giving 1.0f; accumulated in float64 and rounded once it is 1 + 2^-23, a float32.
        try (CpuBackend be = new CpuBackend()) {
            DeviceBuffer x = up(be, new float[] {1f, 3f});
            DeviceBuffer y = up(be, new float[] {0x1p-24f, 5f});
            DeviceBuffer z = up(be, new float[] {0x1p-24f, -7f});
            DeviceBuffer out = be.allocate(DType.FLOAT32, 2);
            be.combine(out, new DeviceBuffer[] {x, y, z}, new double[] {1, 1, 1}, 0);
            assertEquals(1f + 0x1p-23f, floats(be, out)[0]);
            assertEquals(1f, floats(be, out)[1]);
            be.combine(out, new DeviceBuffer[] {x, y, z}, new double[] {0.5, 0.25, 0.25}, 0);
            assertEquals((float) (0.5 * 3 + 0.25 * 5 + 0.25 * -7), floats(be, out)[1]);
        }
    }

    @Test
    void combineMatchesSerialReferenceInPlaceAndOnRanges() {
        Random rnd = new Random(SEED);
        try (CpuBackend be = new CpuBackend()) {
            for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                for (int ns = 1; ns <= 7; ns++) {
                    int n = 1 + rnd.nextInt(300);
                    double[][] data = new double[ns][n];
                    double[] w = new double[ns];
                    DeviceBuffer[] src = new DeviceBuffer[ns];
                    for (int k = 0; k < ns; k++) {
                        w[k] = rnd.nextDouble() - 0.3;
                        for (int j = 0; j < n; j++) {
                            data[k][j] = dt == DType.FLOAT32 ? (float) rnd.nextGaussian() : rnd.nextGaussian();
                        }
                        src[k] = upload(be, dt, data[k]);
                    }
                    double div = ns % 2 == 0 ? ns : 0;
                    int off = n / 3;
                    int cnt = n - off - n / 5;
                    try (DeviceBackend.CombinePlan p = be.plan(src[0], src, w, div)) { // in place into source 0
                        be.combineAsync(p, off, cnt);
                    }
                    double[] got = download(be, src[0]);
                    for (int j = 0; j < n; j++) {
                        double expect = data[0][j];
                        if (j >= off && j < off + cnt) {
                            double acc = w[0] * data[0][j];
                            for (int k = 1; k < ns; k++) {
                                acc += w[k] * data[k][j];
                            }
                            if (div != 0) {
                                acc /= div;
                            }
                            expect = dt == DType.FLOAT32 ? (float) acc : acc;
                        }
                        assertEquals(expect, got[j], 0.0, dt + " ns " + ns + " element " + j);
                    }
                }
            }
        }
    }

    @Test
    void sgdUpdateWithAndWithoutMomentum() {
        try (CpuBackend be = new CpuBackend()) {
            DeviceBuffer x = upload(be, DType.FLOAT64, new double[] {1.0, -2.0});
            DeviceBuffer g = upload(be, DType.FLOAT64, new double[] {0.5, 4.0});
            be.sgdUpdate(x, g, null, 0.25, 0.0);
            assertArrayEquals(new double[] {0.875, -3.0}, download(be, x));
            DeviceBuffer v = upload(be, DType.FLOAT64, new double[] {0.0, 0.0});
            be.sgdUpdate(x, g, v, 0.25, 0.5); // v = g; x -= g / 4
            assertArrayEquals(new double[] {0.5, 4.0}, download(be, v));
            assertArrayEquals(new double[] {0.75, -4.0}, download(be, x));
            be.sgdUpdate(x, g, v, 0.25, 0.5); // v = 0.5 v + g = 1.5 g; x -= 1.5 g / 4
            assertArrayEquals(new double[] {0.75, 6.0}, download(be, v));
            assertArrayEquals(new double[] {0.5625, -5.5}, download(be, x));
            DeviceBuffer xf = upload(be, DType.FLOAT32, new double[] {1.0});
            DeviceBuffer gf = upload(be, DType.FLOAT32, new double[] {(float) 0.1});
            be.sgdUpdate(xf, gf, null, 0.1, 0);
            assertEquals((float) (1.0 - 0.1 * (double) (float) 0.1), floats(be, xf)[0]);
        }
    }

    @Test
    void badArgumentsAreRejectedBeforeWork() {
        try (CpuBackend be = new CpuBackend(); CpuBackend other = new CpuBackend()) {
            DeviceBuffer a = be.allocate(DType.FLOAT32, 4);
            DeviceBuffer b = be.allocate(DType.FLOAT64, 4);
            DeviceBuffer c = other.allocate(DType.FLOAT32, 4);
            assertThrows(IllegalArgumentException.class, () -> be.allocate(DType.INT32, 4));
            assertThrows(IllegalArgumentException.class, () -> be.combine(a, new DeviceBuffer[0], new double[0], 0));
            assertThrows(IllegalArgumentException.class, () -> be.combine(a, new DeviceBuffer[] {b}, new double[] {1}, 0));
            assertThrows(IllegalArgumentException.class, () -> be.combine(a, new DeviceBuffer[] {c}, new double[] {1}, 0));
            assertThrows(IllegalArgumentException.class,
                    () -> be.combine(a, new DeviceBuffer[] {a}, new double[] {Double.NaN}, 0));
            assertThrows(IllegalArgumentException.class, () -> be.sgdUpdate(a, b, null, 0.1, 0));
            assertThrows(IllegalArgumentException.class, () -> be.toHostAsync(a, 2, 3, be.stage(DType.FLOAT32, 8)));
            assertThrows(IllegalArgumentException.class, () -> be.toHostAsync(a, 0, 4, be.stage(DType.FLOAT32, 3)));
            assertThrows(IllegalArgumentException.class, () -> be.recordIn(DeviceBackend.MARKS));
        }
    }

    @Test
    void ptxResourceDefinesTheKernelsWithoutFusedMultiplyAdds() {
        String ptx = new String(CudaBackend.ptx(), StandardCharsets.US_ASCII);
        assertEquals(0, ptx.charAt(ptx.length() - 1), "NUL-terminated for cuModuleLoadData");
        for (String k : new String[] {"bf_combine_f32", "bf_combine_f64", "bf_sgd_f32", "bf_sgd_f64"}) {
            assertTrue(ptx.contains(".visible .entry " + k + "("), k);
        }
        String code = ptx.replaceAll("//[^\n]*", "");
        assertFalse(code.contains("fma"), "no fused multiply-add");
        for (String op : new String[] {"mul.", "add.", "sub.", "div."}) {
            for (String line : code.split("\n")) {
                String t = line.trim();
                if (t.matches("(@!?%p\\d+ )?" + op.replace(".", "\\.") + "f(32|64).*")) {
                    throw new AssertionError("floating-point op without explicit .rn rounding: " + t);
                }
            }
        }
    }

    @Test
    void cudaBackendMatchesCpuBitForBit() {
        Assumptions.assumeTrue(Devices.cudaAvailable(),
                "no CUDA device on this machine (JCuda probe found none); mpi-launch/gpu-check runs this on a GPU");
        Random rnd = new Random(SEED);
        try (CpuBackend cpu = new CpuBackend(); CudaBackend gpu = CudaBackend.open(0)) {
            for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                for (int ns = 1; ns <= 7; ns++) {
                    int n = 1 + rnd.nextInt(100_000);
                    double[][] data = new double[ns][];
                    double[] w = new double[ns];
                    DeviceBuffer[] cs = new DeviceBuffer[ns];
                    DeviceBuffer[] gs = new DeviceBuffer[ns];
                    for (int k = 0; k < ns; k++) {
                        data[k] = rnd.doubles(n).map(v -> v - 0.5).toArray();
                        w[k] = rnd.nextDouble();
                        cs[k] = upload(cpu, dt, data[k]);
                        gs[k] = upload(gpu, dt, data[k]);
                    }
                    DeviceBuffer co = cpu.allocate(dt, n);
                    DeviceBuffer go = gpu.allocate(dt, n);
                    cpu.combine(co, cs, w, ns % 2 == 0 ? ns : 0);
                    gpu.combine(go, gs, w, ns % 2 == 0 ? ns : 0);
                    assertArrayEquals(download(cpu, co), download(gpu, go), 0.0, dt + " ns " + ns);
                    cpu.sgdUpdate(cs[0], cs[ns - 1], ns > 1 ? cs[1] : null, 0.01, 0.9);
                    gpu.sgdUpdate(gs[0], gs[ns - 1], ns > 1 ? gs[1] : null, 0.01, 0.9);
                    assertArrayEquals(download(cpu, cs[0]), download(gpu, gs[0]), 0.0, dt + " sgd ns " + ns);
                    for (DeviceBuffer b : gs) {
                        b.close();
                    }
                    go.close();
                }
            }
        }
    }

    static DeviceBuffer up(DeviceBackend be, float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return upload(be, DType.FLOAT32, d);
    }

    static float[] floats(DeviceBackend be, DeviceBuffer b) {
        double[] d = download(be, b);
        float[] out = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            out[i] = (float) d[i];
        }
        return out;
    }

    static DeviceBuffer upload(DeviceBackend be, DType dt, double[] v) {
        DeviceBuffer b = be.allocate(dt, v.length);
        ByteBuffer bb = ByteBuffer.allocateDirect(v.length * dt.bytes()).order(ByteOrder.nativeOrder());
        if (dt == DType.FLOAT32) {
            FloatBuffer f = bb.asFloatBuffer();
            for (double d : v) {
                f.put((float) d);
            }
            be.upload(f.flip(), b);
        } else {
            be.upload(bb.asDoubleBuffer().put(v).flip(), b);
        }
        return b;
    }

    static double[] download(DeviceBackend be, DeviceBuffer b) {
        ByteBuffer bb = ByteBuffer.allocateDirect(b.length() * b.dtype().bytes()).order(ByteOrder.nativeOrder());
        double[] out = new double[b.length()];
        if (b.dtype() == DType.FLOAT32) {
            FloatBuffer f = bb.asFloatBuffer();
            be.download(b, f);
            for (int i = 0; i < out.length; i++) {
                out[i] = f.get(i);
            }
        } else {
            DoubleBuffer d = bb.asDoubleBuffer();
            be.download(b, d);
            d.get(0, out);
        }
        return out;
    }
}
