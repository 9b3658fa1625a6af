package io.bluefog.collectives.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.BlueFogTimeoutException;
import io.bluefog.comm.ReduceOp;
import io.bluefog.local.LocalCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link ReduceSegment} and {@link SharedMemoryAllreduce} on their own (their results, bit for bit,
 * are checked by {@link DirectAllreduceTest} on every path): the segment's file is gone once it is
 * made, its chunks fit its budget, and a rank whose peer never comes times out naming that peer
 * instead of hanging.
 */
class SharedMemoryAllreduceTest {
    /** Engine timeout of the timeout test: long enough for the segment's own collectives. */
    private static final long TIMEOUT_MILLIS = 2_000;

    @Test
    void segmentFileIsUnlinkedOnceEveryRankHasMappedIt() {
        LocalCluster.run(3, bf -> {
            ExecutionContext ctx = new ExecutionContext(bf.communicator(), TIMEOUT_MILLIS, 64);
            ReduceSegment segment = ReduceSegment.open(ctx, 64);
            assertNotNull(segment, "/dev/shm is usable on the test machine");
            bf.communicator().barrier();
            String mine = ReduceSegment.PREFIX + ProcessHandle.current().pid() + "-";
            try (Stream<java.nio.file.Path> files = Files.list(SharedFiles.DIRECTORY)) {
                assertEquals(0, files.filter(f -> f.getFileName().toString().startsWith(mine)).count(),
                        "no segment file of this process is left under " + SharedFiles.DIRECTORY);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
    }

    @Test
    void chunksShrinkToKeepTheSegmentWithinItsBudget() {
        long mb = 1L << 20;
        assertEquals(mb, ReduceSegment.chunkBytes(2, mb), "2 ranks: the whole pipeline chunk");
        for (int n = 2; n <= ReduceSegment.MAX_RANKS; n++) {
            long chunk = ReduceSegment.chunkBytes(n, mb);
            assertEquals(0, chunk % 64, "whole cache lines, n = " + n);
            assertTrue(((long) n * n + n) * ReduceSegment.SLOTS * chunk <= ReduceSegment.MAX_DATA_BYTES, "n = " + n);
        }
        assertEquals(64, ReduceSegment.chunkBytes(4, 8), "at least one cache line");
    }

    /**
     * Slots and new arrays written with streaming stores (from 0 bytes here), over lengths and
     * offsets that leave the stores' 16-byte alignment at every phase, new array and in place: the
     * transport's rank-order sum, bit for bit.
     */
    @ParameterizedTest(name = "n = {0}, {1}")
    @CsvSource({"2, FLOAT", "2, DOUBLE", "3, FLOAT", "4, DOUBLE"})
    void streamingStoresGiveTheSameBits(int n, String dtypeName) {
        DataType dtype = DataType.valueOf(dtypeName);
        LocalCluster.run(n, bf -> {
            ExecutionContext ctx = new ExecutionContext(bf.communicator(), TIMEOUT_MILLIS, 64);
            ReduceSegment segment = ReduceSegment.open(ctx, 64);
            assertNotNull(segment);
            SharedMemoryAllreduce allreduce = new SharedMemoryAllreduce(0);
            for (int elements : new int[] {1001, 37, 4099}) {
                for (ReduceOp op : new ReduceOp[] {ReduceOp.SUM, ReduceOp.AVG}) {
                    SplittableRandom random = new SplittableRandom(31L * elements + bf.rank());
                    double[] v = new double[elements];
                    for (int i = 0; i < elements; i++) {
                        v[i] = (random.nextDouble() - 0.5) * Math.pow(2, random.nextInt(-20, 20));
                    }
                    INDArray x = Nd4j.createFromArray(v).castTo(dtype);
                    INDArray reference = x.dup();
                    bf.communicator().allreduce(Tensors.nio(reference), op);
                    INDArray out = Nd4j.createUninitializedDetached(dtype, elements);
                    allreduce.run(ctx, segment, x, out, op);
                    assertArrayEquals(reference.data().asDouble(), out.data().asDouble(), 0,
                            "rank " + bf.rank() + ", " + elements + " elements, " + op + ", new array");
                    allreduce.run(ctx, segment, x, x, op); // in place: streaming slots, cached result
                    assertArrayEquals(reference.data().asDouble(), x.data().asDouble(), 0,
                            "rank " + bf.rank() + ", " + elements + " elements, " + op + ", in place");
                }
            }
        });
    }

    @Test
    void aPeerThatNeverComesTimesOutNamingIt() {
        LocalCluster.run(2, bf -> {
            ExecutionContext ctx = new ExecutionContext(bf.communicator(), TIMEOUT_MILLIS, 64);
            ReduceSegment segment = ReduceSegment.open(ctx, 64);
            assertNotNull(segment);
            SharedMemoryAllreduce allreduce = new SharedMemoryAllreduce();
            INDArray x = Nd4j.ones(DataType.FLOAT, 100);
            // One call together: the counters move past their start.
            allreduce.run(ctx, segment, x, x, ReduceOp.SUM);
            assertArrayEquals(new float[100], x.sub(2).toFloatVector(), 0f, "rank " + bf.rank());
            if (bf.rank() == 0) {
                BlueFogTimeoutException e = assertThrows(BlueFogTimeoutException.class,
                        () -> allreduce.run(ctx, segment, x, x, ReduceOp.SUM));
                assertTrue(e.getMessage().contains("at rank 0") && e.getMessage().contains("rank 1"), e.getMessage());
            }
            bf.communicator().barrier();
        });
    }
}
