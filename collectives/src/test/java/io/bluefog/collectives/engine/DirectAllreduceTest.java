package io.bluefog.collectives.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.collectives.CollectivesConfig;
import io.bluefog.comm.ReduceOp;
import io.bluefog.local.LocalCluster;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link DirectAllreduce} (the point-to-point allreduce of large float tensors) against the
 * transport's own allreduce of the same data, bit for bit: the in-JVM transport sums in ascending
 * rank order in the element type ({@code io.bluefog.local.Reductions}), which is the order the
 * direct allreduce promises. Reached with small tensors by lowering the engine's threshold to 0
 * bytes and the pipeline chunk to 64 bytes, so that blocks span several chunks and lengths that
 * the rank count does not divide give blocks of unequal length.
 */
class DirectAllreduceTest {
    private static final long CHUNK_BYTES = 64;

    @ParameterizedTest(name = "n = {0}, {1} elements, {2}, {3}")
    @CsvSource({"2, 1000, FLOAT, SUM", "2, 1000, FLOAT, AVG", "2, 999, DOUBLE, SUM", "2, 999, DOUBLE, AVG", "3, 517, FLOAT, SUM", "3, 517, DOUBLE, AVG",
        "4, 4, FLOAT, AVG", "5, 1003, DOUBLE, SUM", "5, 1003, FLOAT, AVG", "7, 96, FLOAT, SUM"})
    void equalsTheTransportsRankOrderSumBitForBit(int n, int elements, String dtypeName, String opName) {
        for (Path path : Path.values()) {
            equalsTheTransportsRankOrderSum(n, elements, DataType.valueOf(dtypeName), ReduceOp.valueOf(opName), path);
        }
    }

    /**
     * The ways a large allreduce can run: as messages, or through shared memory
     * ({@link SharedMemoryAllreduce}) summing with the native kernel or in Java.
     */
    enum Path {
        MESSAGES(false, true), SHARED_NATIVE(true, true), SHARED_JAVA(true, false);

        final boolean shared;
        final boolean nativeKernel;

        Path(boolean shared, boolean nativeKernel) {
            this.shared = shared;
            this.nativeKernel = nativeKernel;
        }
    }

    private static void equalsTheTransportsRankOrderSum(int n, int elements, DataType dtype, ReduceOp op, Path path) {
        LocalCluster.run(n, bf -> {
            Engine engine = engine(bf, path);
            try {
                // Three rounds: the shared segment's counters carry over from call to call.
                for (boolean inPlace : new boolean[] {false, true, false}) {
                    INDArray x = values(bf.rank(), elements, dtype, inPlace ? 2 : 1);
                    INDArray reference = x.dup();
                    bf.communicator().allreduce(Tensors.nio(reference), op);
                    INDArray input = x.dup();
                    INDArray out = (INDArray) engine.runInCallerOrSubmit(Op.allreduce(x, op, inPlace)).future().join();
                    if (inPlace) {
                        assertSame(x, out, "in place returns the caller's array");
                    } else {
                        assertNotSame(x, out);
                        assertArrayEquals(input.data().asDouble(), x.data().asDouble(), 0, "input unchanged");
                    }
                    assertArrayEquals(reference.data().asDouble(), out.data().asDouble(), 0,
                            path + ", rank " + bf.rank() + (inPlace ? " in place" : " new array"));
                }
                assertEquals(path.shared ? 3 : 0, engine.executor().context().sharedMemoryAllreduces,
                        path + ": calls through shared memory");
            } finally {
                engine.close();
            }
        });
    }

    /** Queued allreduces are fused into one packed message; each caller gets its own sum. */
    @Test
    void fusedBatchesAreUnpackedToEachCaller() {
        int calls = 12;
        LocalCluster.run(3, bf -> {
            Engine engine = engine(bf);
            try {
                List<Op> ops = new ArrayList<>();
                List<INDArray> references = new ArrayList<>();
                for (int k = 0; k < calls; k++) {
                    INDArray x = values(bf.rank() + 10 * k, 40 + k, DataType.FLOAT, 1);
                    INDArray reference = x.dup();
                    bf.communicator().allreduce(Tensors.nio(reference), ReduceOp.SUM);
                    references.add(reference);
                    ops.add(Op.allreduce(x, ReduceOp.SUM, k % 2 == 0));
                }
                for (Op o : ops) {
                    engine.submit(o);
                }
                for (int k = 0; k < calls; k++) {
                    INDArray out = (INDArray) ops.get(k).future().join();
                    assertArrayEquals(references.get(k).data().asDouble(), out.data().asDouble(), 0, "call " + k);
                }
                assertTrue(engine.counters()[2] > 0, "some calls were fused");
            } finally {
                engine.close();
            }
        });
    }

    @Test
    void appliesOnlyToLargeFloatSumsAndAverages() {
        long mb = 1L << 20;
        assertTrue(DirectAllreduce.applies(ReduceOp.SUM, DataType.FLOAT, mb / 4, 2, mb));
        assertFalse(DirectAllreduce.applies(ReduceOp.SUM, DataType.FLOAT, mb / 4 - 1, 2, mb), "below the threshold");
        assertFalse(DirectAllreduce.applies(ReduceOp.MAX, DataType.FLOAT, mb, 2, mb), "MAX");
        assertFalse(DirectAllreduce.applies(ReduceOp.AVG, DataType.HALF, mb, 2, mb), "float16");
        assertFalse(DirectAllreduce.applies(ReduceOp.AVG, DataType.INT, mb, 2, mb), "int32");
        assertFalse(DirectAllreduce.applies(ReduceOp.SUM, DataType.DOUBLE, mb, 1, mb), "one rank");
        assertFalse(DirectAllreduce.applies(ReduceOp.SUM, DataType.DOUBLE, 3, 4, 0), "fewer elements than ranks");
    }

    private static Engine engine(io.bluefog.BlueFog bf) {
        return engine(bf, Path.MESSAGES);
    }

    private static Engine engine(io.bluefog.BlueFog bf, Path path) {
        CollectivesConfig c = CollectivesConfig.from(bf.config());
        Engine engine;
        // The engine reads the kernel setting when it starts; ranks are threads that start theirs at once.
        synchronized (DirectAllreduceTest.class) {
            String old = System.getProperty(NativeKernels.SETTING);
            System.setProperty(NativeKernels.SETTING, Boolean.toString(path.nativeKernel));
            try {
                engine = new Engine(bf.communicator(), c.fusionThresholdBytes(), c.timeoutMillis(), CHUNK_BYTES, false,
                        bf.timeline());
            } finally {
                if (old == null) {
                    System.clearProperty(NativeKernels.SETTING);
                } else {
                    System.setProperty(NativeKernels.SETTING, old);
                }
            }
        }
        engine.directAllreduceMinBytes(0);
        engine.sharedMemoryAllreduce(path.shared);
        return engine;
    }

    /** Values of mixed sign and magnitude (seeded by rank), so that the summation order shows in the bits. */
    private static INDArray values(int seed, int elements, DataType dtype, int rows) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] v = new double[elements * rows];
        for (int i = 0; i < v.length; i++) {
            v[i] = (random.nextDouble() - 0.5) * Math.pow(2, random.nextInt(-20, 20));
        }
        INDArray x = Nd4j.createFromArray(v).castTo(dtype);
        return rows == 1 ? x : x.reshape(rows, elements);
    }
}
