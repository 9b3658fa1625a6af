package io.bluefog.collectives.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.comm.Communicator;
import io.bluefog.local.LocalCluster;
import io.bluefog.timeline.Timeline;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The chain broadcast ({@link BroadcastOperation#chain}, the MPI transport's path for single large
 * broadcasts), reached on LocalCluster with small tensors by lowering the engine's threshold to 0
 * bytes and the pipeline chunk to 64 bytes: every rank ends with the root's tensor bit for bit, for
 * every dtype, lengths that the chunk does not divide (1031 elements: more chunks than
 * BroadcastOperation.COPY_FIRST_MIN_CHUNKS, so the root of the new-array form sends from its copy;
 * 7: fewer, it sends from its input), several roots and rank counts, in place, new
 * array and the two mixed across ranks; the root's input of the new-array form is unchanged; and a
 * communicator that counts the transport's broadcasts shows the chain ran (none) and that the
 * default threshold on LocalCluster keeps the transport's broadcast (one per call).
 */
class ChainBroadcastTest {
    private static final long CHUNK_BYTES = 64;
    private static final DataType[] DTYPES = {DataType.FLOAT, DataType.DOUBLE, DataType.HALF, DataType.INT,
        DataType.LONG};
    private static final int[] LENGTHS = {1, 7, 1031};

    /** A communicator that forwards every call to {@code c} and counts the calls of {@code broadcast}. */
    static Communicator countingBroadcasts(Communicator c, AtomicInteger broadcasts) {
        return (Communicator) Proxy.newProxyInstance(Communicator.class.getClassLoader(),
                new Class<?>[] {Communicator.class}, (proxy, method, args) -> {
                    if (method.getName().equals("broadcast")) {
                        broadcasts.incrementAndGet();
                    }
                    try {
                        return method.invoke(c, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private static final long TIMEOUT_MILLIS = 60_000;

    private static Engine engine(Communicator comm, boolean chain) {
        Engine engine = new Engine(comm, 1 << 20, TIMEOUT_MILLIS, CHUNK_BYTES, false, Timeline.disabled());
        if (chain) {
            engine.chainBroadcastMinBytes(0);
        }
        return engine;
    }

    private static INDArray input(DataType dtype, int length, int rank) {
        return TestTensors.random(dtype, length, 7919L * rank + length);
    }

    /** form 0: in place everywhere; 1: new array everywhere; 2: in place on even ranks, new array on odd. */
    @ParameterizedTest(name = "n = {0}, root {1}")
    @CsvSource({"2, 0", "2, 1", "3, 1", "4, 3", "5, 2"})
    void everyRankEndsWithTheRootsTensorBitForBit(int n, int root) {
        LocalCluster.run(n, bf -> {
            AtomicInteger broadcasts = new AtomicInteger();
            Engine engine = engine(countingBroadcasts(bf.communicator(), broadcasts), true);
            int r = bf.rank();
            try {
                for (DataType dtype : DTYPES) {
                    for (int length : LENGTHS) {
                        for (int form = 0; form < 3; form++) {
                            boolean inPlace = form == 0 || (form == 2 && r % 2 == 0);
                            INDArray x = input(dtype, length, r);
                            byte[] before = TestTensors.bits(x);
                            byte[] expected = TestTensors.bits(input(dtype, length, root));
                            INDArray out = (INDArray) engine.runInCallerOrSubmit(Op.broadcast(x, root, inPlace))
                                    .future().join();
                            String what = "rank " + r + ", " + dtype + ", length " + length + ", form " + form;
                            if (inPlace) {
                                assertSame(x, out, what);
                            } else {
                                assertNotSame(x, out, what);
                                assertArrayEquals(before, TestTensors.bits(x), what + ": input unchanged");
                            }
                            assertArrayEquals(expected, TestTensors.bits(out), what);
                            if (!inPlace) {
                                out.close();
                            }
                        }
                    }
                }
            } finally {
                engine.close();
            }
            assertEquals(0, broadcasts.get(), "rank " + r + ": the transport's broadcast was called");
        });
    }

    @Test
    void theDefaultThresholdOnLocalClusterKeepsTheTransportsBroadcast() {
        LocalCluster.run(3, bf -> {
            AtomicInteger broadcasts = new AtomicInteger();
            Engine engine = engine(countingBroadcasts(bf.communicator(), broadcasts), false);
            try {
                INDArray x = input(DataType.FLOAT, 1031, bf.rank());
                INDArray out = (INDArray) engine.runInCallerOrSubmit(Op.broadcast(x, 1, false)).future().join();
                assertArrayEquals(TestTensors.bits(input(DataType.FLOAT, 1031, 1)), TestTensors.bits(out));
            } finally {
                engine.close();
            }
            assertTrue(broadcasts.get() >= 1, "rank " + bf.rank() + ": transport broadcasts " + broadcasts.get());
        });
    }

    @Test
    void chunksAreAtMostAShareOfTheTensorPerRank() {
        assertEquals(256, BroadcastOperation.chunkElements(1024, 4, 1 << 18));
        assertEquals(1 << 18, BroadcastOperation.chunkElements(25L << 18, 2, 1 << 18), "pipeline chunk");
        assertEquals(1, BroadcastOperation.chunkElements(1, 5, 16), "at least one element");
        assertEquals(3, BroadcastOperation.chunkElements(7, 3, 16), "rounded up");
    }
}
