package io.bluefog.collectives.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.bluefog.BlueFog;
import io.bluefog.collectives.Collectives;
import io.bluefog.comm.ReduceOp;
import io.bluefog.testing.ContractSuite;
import io.bluefog.testing.RankCheck;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Allreduce of tensors above 1 MiB (where the MPI transport's collectives reduce over
 * point-to-point messages, {@code DirectAllreduce}) against a serial reference, bit for bit: the
 * sum in ascending rank order in the element type, {@code ((x_0 + x_1) + x_2) + ...}, and for the
 * average that sum divided once by n. Every rank regenerates every rank's seeded input, so each
 * checks its own result. Large broadcasts ({@code BroadcastOperation}'s chain) against the root's
 * tensor, likewise. Run on {@code LocalCluster} by {@code LargeAllreduceContractTest} and
 * under mpirun by mpi-launch's {@code CollectivesMpiTest}.
 */
public final class LargeAllreduceContract implements ContractSuite {
    /** Just above 1 MiB of float32 (and of float64), lengths that 2, 3 and 4 ranks do not divide evenly. */
    static final int FLOATS = (1 << 18) + 7;
    static final int DOUBLES = (1 << 17) + 3;

    @Override
    public Map<String, RankCheck> checks() {
        Map<String, RankCheck> m = new LinkedHashMap<>();
        m.put("largeAllreduceIsTheRankOrderSum", LargeAllreduceContract::largeAllreduceIsTheRankOrderSum);
        m.put("largeBroadcastIsTheRootsTensor", LargeAllreduceContract::largeBroadcastIsTheRootsTensor);
        return m;
    }

    static void largeAllreduceIsTheRankOrderSum(BlueFog bf) {
        int n = bf.size();
        try (Collectives c = Collectives.of(bf)) {
            for (ReduceOp op : new ReduceOp[] {ReduceOp.SUM, ReduceOp.AVG}) {
                float[] f = new float[FLOATS];
                double[] d = new double[DOUBLES];
                for (int r = 0; r < n; r++) {
                    float[] xf = floats(r);
                    double[] xd = doubles(r);
                    for (int i = 0; i < FLOATS; i++) {
                        f[i] = r == 0 ? xf[i] : f[i] + xf[i];
                    }
                    for (int i = 0; i < DOUBLES; i++) {
                        d[i] = r == 0 ? xd[i] : d[i] + xd[i];
                    }
                }
                if (op == ReduceOp.AVG) {
                    for (int i = 0; i < FLOATS; i++) {
                        f[i] /= n;
                    }
                    for (int i = 0; i < DOUBLES; i++) {
                        d[i] /= n;
                    }
                }
                String what = "rank " + bf.rank() + " " + op;
                INDArray xf = Nd4j.createFromArray(floats(bf.rank()));
                INDArray rf = c.allreduce(xf, op);
                assertNotSame(xf, rf);
                assertArrayEquals(f, rf.toFloatVector(), 0f, what + " float32 new array");
                assertArrayEquals(floats(bf.rank()), xf.toFloatVector(), 0f, what + " float32 input unchanged");
                rf.close();
                assertSame(xf, c.allreduceInPlace(xf, op));
                assertArrayEquals(f, xf.toFloatVector(), 0f, what + " float32 in place");
                INDArray xd = Nd4j.createFromArray(doubles(bf.rank())).reshape(5, DOUBLES / 5);
                assertArrayEquals(d, c.allreduce(xd, op).data().asDouble(), 0, what + " float64 new array [5, m]");
                c.allreduceInPlace(xd, op);
                assertArrayEquals(d, xd.data().asDouble(), 0, what + " float64 in place");
            }
        }
    }

    /**
     * Broadcast of tensors above 1 MiB (where the MPI transport's engine broadcasts as a pipelined
     * chain of point-to-point messages) from every root: every rank gets the root's tensor bit for
     * bit, in place, as a new array (the root's input unchanged), and mixed (in place on even ranks).
     */
    static void largeBroadcastIsTheRootsTensor(BlueFog bf) {
        int n = bf.size();
        int rank = bf.rank();
        try (Collectives c = Collectives.of(bf)) {
            for (int root = 0; root < n; root++) {
                String what = "rank " + rank + " root " + root;
                INDArray xf = Nd4j.createFromArray(floats(rank));
                INDArray rf = c.broadcast(xf, root);
                assertNotSame(xf, rf);
                assertArrayEquals(floats(root), rf.toFloatVector(), 0f, what + " float32 new array");
                assertArrayEquals(floats(rank), xf.toFloatVector(), 0f, what + " float32 input unchanged");
                rf.close();
                assertSame(xf, c.broadcastInPlace(xf, root));
                assertArrayEquals(floats(root), xf.toFloatVector(), 0f, what + " float32 in place");
                INDArray xd = Nd4j.createFromArray(doubles(rank)).reshape(5, DOUBLES / 5);
                INDArray rd = rank % 2 == 0 ? c.broadcastInPlace(xd, root) : c.broadcast(xd, root);
                assertArrayEquals(doubles(root), rd.data().asDouble(), 0, what + " float64 [5, m], mixed forms");
                long[] l = new long[DOUBLES];
                for (int i = 0; i < l.length; i++) {
                    l[i] = (long) i * 1_000_003L + rank;
                }
                long[] got = c.broadcast(Nd4j.createFromArray(l), root).data().asLong();
                for (int i = 0; i < l.length; i++) {
                    l[i] = (long) i * 1_000_003L + root;
                }
                assertArrayEquals(l, got, what + " int64 new array");
            }
        }
    }

    /** Mixed signs and magnitudes, so that the summation order shows in the bits. */
    private static float[] floats(int rank) {
        SplittableRandom random = new SplittableRandom(31 + rank);
        float[] v = new float[FLOATS];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((random.nextDouble() - 0.5) * Math.scalb(1.0, random.nextInt(-12, 12)));
        }
        return v;
    }

    private static double[] doubles(int rank) {
        SplittableRandom random = new SplittableRandom(77 + rank);
        double[] v = new double[DOUBLES];
        for (int i = 0; i < v.length; i++) {
            v[i] = (random.nextDouble() - 0.5) * Math.scalb(1.0, random.nextInt(-30, 30));
        }
        return v;
    }
}
