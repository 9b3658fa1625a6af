package io.bluefog.examples.custom;

import io.bluefog.collectives.Collectives;
import io.bluefog.local.LocalCluster;
import io.bluefog.topology.Topologies;
import io.bluefog.topology.Topology;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** QGM on f_i(x) = ½‖x − c_i‖² against a dense serial simulation of its four equations. */
class QuasiGlobalMomentumTest {
    private static final double TOLERANCE = 1e-12;
    private static final int N = 4;
    private static final int STEPS = 8;
    private static final double LR = 0.2;
    private static final double BETA = 0.9;

    private static double center(int rank) {
        return rank * rank - 1.5;
    }

    @Test
    void matchesItsEquations() {
        Topology ring = Topologies.ring(N);
        double[][] w = ring.weightMatrix();
        // serial reference, scalar parameter per rank, all starting from rank 0's value 1.0
        double[] x = {1, 1, 1, 1};
        double[] mhat = new double[N];
        for (int k = 0; k < STEPS; k++) {
            double[] half = new double[N];
            double[] m = new double[N];
            for (int i = 0; i < N; i++) {
                m[i] = BETA * mhat[i] + (x[i] - center(i));
                half[i] = x[i] - LR * m[i];
            }
            double[] next = new double[N];
            for (int i = 0; i < N; i++) {
                for (int j = 0; j < N; j++) {
                    next[i] += w[i][j] * half[j];
                }
                mhat[i] = BETA * mhat[i] + (1 - BETA) * (x[i] - next[i]) / LR;
            }
            x = next;
        }
        List<Double> got = LocalCluster.call(N, bf -> {
            INDArray p = Nd4j.createFromArray(new double[] {bf.rank() == 0 ? 1.0 : 42.0});
            try (Collectives c = Collectives.of(bf)) {
                QuasiGlobalMomentum qgm = new QuasiGlobalMomentum(c, ring, p, LR, BETA);
                for (int k = 0; k < STEPS; k++) {
                    qgm.step(p.sub(center(bf.rank())));
                }
            }
            return p.getDouble(0);
        });
        for (int i = 0; i < N; i++) {
            assertEquals(x[i], got.get(i), TOLERANCE * Math.max(1, Math.abs(x[i])), "rank " + i);
        }
    }
}
