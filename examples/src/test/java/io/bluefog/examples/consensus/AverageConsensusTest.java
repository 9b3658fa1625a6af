package io.bluefog.examples.consensus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.local.LocalCluster;
import io.bluefog.topology.Topologies;
import io.bluefog.topology.analysis.Spectral;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine;

/** The consensus example's claims, on LocalCluster. */
class AverageConsensusTest {
    /** float32 unit roundoff times a few: "float precision". */
    private static final double FLOAT_PRECISION = 1e-6;

    static AverageConsensus parse(PrintStream out, String... args) {
        AverageConsensus app = new AverageConsensus(out);
        new CommandLine(app).parseArgs(args);
        return app;
    }

    @Test
    void onePeerExponentialReachesTheAverageInLog2NIterations() {
        for (int n : new int[] {4, 8}) {
            AverageConsensus app = parse(System.out, "--dynamic", "--iterations", "4", "--size", "256");
            List<double[]> errors = LocalCluster.call(n, app::run);
            int log2n = Integer.numberOfTrailingZeros(n);
            double[] e = errors.get(0);
            assertTrue(e[log2n - 1] > 1e-3, "not there one step early: " + e[log2n - 1]);
            assertTrue(e[log2n] < FLOAT_PRECISION, "n = " + n + " after log2 n steps: " + e[log2n]);
            double[] byName = LocalCluster.call(n, parse(System.out, "--topology", "one-peer-exponential",
                    "--iterations", "4", "--size", "256")::run).get(0);
            assertEquals(e[log2n], byName[log2n], 0.0, "--topology one-peer-exponential is exponential --dynamic");
        }
    }

    /**
     * Base-(k+1) graphs (Takezawa et al., NeurIPS 2023) reach the exact average after one period
     * for sizes that are not powers of 2, where the one-peer exponential graph does not. float64:
     * the error left is rounding of weights such as 8/12 (a few ulps of the values).
     */
    @Test
    void base2GraphReachesTheExactAverageForSizesThatAreNotPowersOfTwo() {
        double float64Exact = 1e-12;
        for (int n : new int[] {6, 12, 24}) {
            int period = io.bluefog.topology.dynamic.Schedules.baseGraph(n, 1).period();
            double[] base = LocalCluster.call(n, parse(System.out, "--topology", "base-2", "--iterations",
                    String.valueOf(period), "--size", "64", "--dtype", "float64")::run).get(0);
            assertTrue(base[period - 1] > 1e-3, "n = " + n + ": not there one step early: " + base[period - 1]);
            assertTrue(base[period] < float64Exact, "n = " + n + " after " + period + " steps: " + base[period]);
            double[] exp = LocalCluster.call(n, parse(System.out, "--topology", "one-peer-exponential", "--iterations",
                    String.valueOf(period), "--size", "64", "--dtype", "float64")::run).get(0);
            assertTrue(exp[period] > 1e-6, "n = " + n + ": one-peer exponential after " + period + " steps: "
                    + exp[period]);
        }
    }

    @Test
    void ringDecaysLikeRhoToTheK() {
        int n = 8;
        double rho = Spectral.rho(Topologies.ring(n));
        AverageConsensus app = parse(System.out, "--topology", "ring", "--iterations", "20", "--dtype", "float64");
        double[] e = LocalCluster.call(n, app::run).get(0);
        for (int k = 1; k < e.length; k++) {
            assertTrue(e[k] <= Math.pow(rho, k) * e[0] * (1 + 1e-9), "k = " + k + ": " + e[k]);
        }
        assertEquals(rho, e[20] / e[19], 1e-3, "asymptotic rate is rho");
    }

    /** Relative tolerance between the simulated errors and the serial float64 reference (summation order differs). */
    private static final double SERIAL_TOLERANCE = 1e-12;

    /**
     * The error table (every iteration's local squared distances averaged by one allreduce after the
     * loop) against a serial float64 reference of the same consensus: x_r from seed 1 + r,
     * x_r <- w_rr x_r + sum_s w_rs x_s over the ring's weights, error_k = sqrt((1/n) sum_r
     * |x_r - xbar|^2) / |xbar|. Every rank returns the same table.
     */
    @Test
    void errorTableMatchesASerialReferenceOnEveryRank() {
        int n = 5;
        int d = 300;
        int iterations = 6;
        AverageConsensus app = parse(System.out, "--topology", "ring", "--iterations", String.valueOf(iterations),
                "--dtype", "float64", "--size", String.valueOf(d), "--seed", "1");
        List<double[]> all = LocalCluster.call(n, app::run);
        for (int r = 1; r < n; r++) {
            assertTrue(java.util.Arrays.equals(all.get(0), all.get(r)), "rank " + r + " has rank 0's table");
        }
        var w = Topologies.ring(n);
        double[][] x = new double[n][];
        for (int r = 0; r < n; r++) {
            Nd4j.getRandom().setSeed(1 + r);
            x[r] = Nd4j.rand(DataType.DOUBLE, d).toDoubleVector();
        }
        double[] xbar = new double[d];
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < d; i++) {
                xbar[i] += x[r][i] / n;
            }
        }
        double[] e = all.get(0);
        assertEquals(iterations + 1, e.length);
        for (int k = 0; k <= iterations; k++) {
            double sq = 0;
            double norm = 0;
            for (int r = 0; r < n; r++) {
                for (int i = 0; i < d; i++) {
                    sq += (x[r][i] - xbar[i]) * (x[r][i] - xbar[i]);
                }
            }
            for (int i = 0; i < d; i++) {
                norm += xbar[i] * xbar[i];
            }
            double expected = Math.sqrt(sq / n) / Math.sqrt(norm);
            assertEquals(expected, e[k], SERIAL_TOLERANCE * expected, "iteration " + k);
            double[][] next = new double[n][d];
            for (int r = 0; r < n; r++) {
                int[] in = w.inNeighbors(r);
                double[] wr = w.recvWeights(r);
                for (int i = 0; i < d; i++) {
                    double v = w.selfWeight(r) * x[r][i];
                    for (int j = 0; j < in.length; j++) {
                        v += wr[j] * x[in[j]][i];
                    }
                    next[r][i] = v;
                }
            }
            x = next;
        }
    }

    @Test
    void jsonOutputOnRankZeroOnly() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        int status = new CommandLine(new AverageConsensus(out)).execute("--transport", "local", "--ranks", "4",
                "--topology", "ring", "--iterations", "3", "--json");
        assertEquals(0, status);
        String text = bytes.toString(StandardCharsets.UTF_8).trim();
        assertEquals(1, text.lines().count(), text);
        assertTrue(text.startsWith("{\"topology\":\"ring\",\"dynamic\":false,\"ranks\":4"), text);
        assertTrue(text.contains("\"relative_error\":["), text);
    }

    @Test
    void badArgumentsAreRejected() {
        PrintStream devNull = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        CommandLine cl = new CommandLine(new AverageConsensus(devNull)).setErr(new java.io.PrintWriter(devNull));
        assertNotEquals(0, cl.execute("--transport", "local", "--ranks", "2", "--topology", "moebius"));
        assertNotEquals(0, cl.execute("--size", "0"));
    }

    @Test
    void aScheduleThatIsNotDoublyStochasticFailsBeforeTheFirstStep() {
        // the one-peer rotation over a star is only row stochastic: consensus would drift off the average
        AverageConsensus app = parse(System.out, "--topology", "star", "--dynamic", "--iterations", "2");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> app.validatedSchedule(4));
        assertTrue(e.getMessage().startsWith("iteration 0: rank 0: column sum"), e.getMessage());
    }
}
