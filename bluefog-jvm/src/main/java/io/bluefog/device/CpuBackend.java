package io.bluefog.device;

import io.bluefog.comm.DType;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * {@link DeviceBackend} on the CPU: buffers are direct native-order host buffers, every operation
 * runs to completion in the calling thread, and the combine and SGD loops compute exactly the
 * float64 operations, in the order, that {@link CudaBackend}'s kernels compute (see
 * {@link DeviceBackend#combine}); this is the reference the GPU is checked against.
 */
public final class CpuBackend extends DeviceBackend {
    @Override
    public Device device() {
        return Device.CPU;
    }

    @Override
    public DeviceBuffer allocate(DType dtype, int length) {
        checkDType(dtype);
        if (length < 0) {
            throw new IllegalArgumentException("length = " + length + " must be >= 0");
        }
        ByteBuffer b = ByteBuffer.allocateDirect(Math.multiplyExact(length, dtype.bytes())).order(ByteOrder.nativeOrder());
        return new DeviceBuffer(this, dtype, length, b);
    }

    @Override
    public HostStage stage(DType dtype, int capacity) {
        checkDType(dtype);
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity = " + capacity + " must be >= 0");
        }
        ByteBuffer b = ByteBuffer.allocateDirect(Math.multiplyExact(capacity, dtype.bytes())).order(ByteOrder.nativeOrder());
        return new HostStage(this, dtype, capacity, b, b);
    }

    @Override
    public void upload(Buffer host, DeviceBuffer dst) {
        checkOwn(dst, "dst");
        checkHost(host, dst, false);
        if (dst.dtype() == DType.FLOAT32) {
            floats(dst).put(0, ((FloatBuffer) host).slice(), 0, dst.length());
        } else {
            doubles(dst).put(0, ((DoubleBuffer) host).slice(), 0, dst.length());
        }
    }

    @Override
    public void download(DeviceBuffer src, Buffer host) {
        checkOwn(src, "src");
        checkHost(host, src, true);
        if (src.dtype() == DType.FLOAT32) {
            ((FloatBuffer) host).slice().put(0, floats(src), 0, src.length());
        } else {
            ((DoubleBuffer) host).slice().put(0, doubles(src), 0, src.length());
        }
    }

    @Override
    public void copy(DeviceBuffer src, DeviceBuffer dst) {
        checkOwn(src, "src");
        checkOwn(dst, "dst");
        checkSame(src, "src", dst, "dst");
        bytes(dst).put(0, bytes(src), 0, (int) src.bytes());
    }

    @Override
    public void toHostAsync(DeviceBuffer src, int offset, int count, HostStage stage) {
        checkOwn(src, "src");
        checkRange(src, offset, count);
        checkStage(stage, src.dtype(), count);
        int w = src.dtype().bytes();
        stage.bytes().put(0, bytes(src), offset * w, count * w);
    }

    @Override
    public void awaitOut() {
    }

    @Override
    public void toDeviceAsync(HostStage stage, int count, DeviceBuffer dst, int offset) {
        checkOwn(dst, "dst");
        checkRange(dst, offset, count);
        checkStage(stage, dst.dtype(), count);
        int w = dst.dtype().bytes();
        bytes(dst).put(offset * w, stage.bytes(), 0, count * w);
    }

    @Override
    public void recordIn(int slot) {
        Mark.check(slot);
    }

    @Override
    public void awaitIn(int slot) {
        Mark.check(slot);
    }

    @Override
    public void synchronize() {
    }

    @Override
    public CombinePlan plan(DeviceBuffer out, DeviceBuffer[] sources, double[] weights, double divisor) {
        checkPlan(out, sources, weights, divisor);
        return new CombinePlan(out, sources, weights, divisor) {
        };
    }

    @Override
    public void combineAsync(CombinePlan plan, int offset, int count) {
        if (plan == null || plan.out.backend() != this) {
            throw new IllegalArgumentException("plan must come from this backend");
        }
        checkRange(plan.out, offset, count);
        int ns = plan.sources.length;
        double[] w = plan.weights;
        double div = plan.divisor;
        if (plan.out.dtype() == DType.FLOAT32) {
            FloatBuffer out = floats(plan.out);
            FloatBuffer[] s = new FloatBuffer[ns];
            for (int k = 0; k < ns; k++) {
                s[k] = floats(plan.sources[k]);
            }
            for (int j = offset; j < offset + count; j++) {
                double acc = w[0] * (double) s[0].get(j);
                for (int k = 1; k < ns; k++) {
                    acc = acc + w[k] * (double) s[k].get(j);
                }
                if (div != 0) {
                    acc = acc / div;
                }
                out.put(j, (float) acc);
            }
        } else {
            DoubleBuffer out = doubles(plan.out);
            DoubleBuffer[] s = new DoubleBuffer[ns];
            for (int k = 0; k < ns; k++) {
                s[k] = doubles(plan.sources[k]);
            }
            for (int j = offset; j < offset + count; j++) {
                double acc = w[0] * s[0].get(j);
                for (int k = 1; k < ns; k++) {
                    acc = acc + w[k] * s[k].get(j);
                }
                if (div != 0) {
                    acc = acc / div;
                }
                out.put(j, acc);
            }
        }
    }

    @Override
    public void sgdUpdate(DeviceBuffer x, DeviceBuffer g, DeviceBuffer velocity, double lr, double momentum) {
        checkSgd(x, g, velocity, lr, momentum);
        int n = x.length();
        if (x.dtype() == DType.FLOAT32) {
            FloatBuffer xs = floats(x);
            FloatBuffer gs = floats(g);
            FloatBuffer vs = velocity == null ? null : floats(velocity);
            for (int j = 0; j < n; j++) {
                double d = gs.get(j);
                if (vs != null) {
                    float v = (float) (momentum * (double) vs.get(j) + d);
                    vs.put(j, v);
                    d = v;
                }
                xs.put(j, (float) ((double) xs.get(j) - lr * d));
            }
        } else {
            DoubleBuffer xs = doubles(x);
            DoubleBuffer gs = doubles(g);
            DoubleBuffer vs = velocity == null ? null : doubles(velocity);
            for (int j = 0; j < n; j++) {
                double d = gs.get(j);
                if (vs != null) {
                    d = momentum * vs.get(j) + d;
                    vs.put(j, d);
                }
                xs.put(j, xs.get(j) - lr * d);
            }
        }
    }

    @Override
    public void close() {
        closeWorkspace();
    }

    @Override
    void free(Object memory) {
        // direct buffers are freed by the garbage collector
    }

    @Override
    void freeStage(Object handle) {
    }

    private static ByteBuffer bytes(DeviceBuffer b) {
        return (ByteBuffer) b.memory();
    }

    private static FloatBuffer floats(DeviceBuffer b) {
        return bytes(b).duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    private static DoubleBuffer doubles(DeviceBuffer b) {
        return bytes(b).duplicate().order(ByteOrder.nativeOrder()).asDoubleBuffer();
    }

    /** Slot checks shared by the backends. */
    static final class Mark {
        private Mark() {
        }

        static void check(int slot) {
            if (slot < 0 || slot >= MARKS) {
                throw new IllegalArgumentException("slot = " + slot + " must be in [0, " + MARKS + ")");
            }
        }
    }
}
