package io.bluefog.examples.convex;

import io.bluefog.BlueFog;
import io.bluefog.collectives.Collectives;
import io.bluefog.optimizers.Algorithm;
import io.bluefog.optimizers.DecentralizedOptimizer;
import io.bluefog.optimizers.OptimizerConfig;
import io.bluefog.optimizers.algorithms.ChocoSgd;
import io.bluefog.optimizers.compression.Compressor;
import io.bluefog.optimizers.updaters.LocalUpdater;
import io.bluefog.testing.ContractSuite;
import io.bluefog.testing.RankCheck;
import io.bluefog.topology.Topologies;
import io.bluefog.topology.Topology;
import io.bluefog.topology.analysis.Spectral;
import io.bluefog.topology.dynamic.Schedules;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.IntFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The known behaviour of the decentralized algorithms on convex problems with heterogeneous data,
 * as contract checks that run on {@code LocalCluster} (any size) and under {@code mpirun}:
 * <ul>
 *   <li>Exact Diffusion and gradient tracking reach the exact minimiser (relative error &lt; 1e-8,
 *       float64, full gradients) of least squares and logistic regression, on the ring and the
 *       exponential graph;</li>
 *   <li>D-SGD stalls at a bias that shrinks with the step size, ATC's below AWC's;</li>
 *   <li>at a large step (1.5/L) AWC diverges on the ring while ATC converges;</li>
 *   <li>ring consensus contracts by exactly &rho; per step asymptotically; one-peer exponential consensus
 *       is exact after log2(n) steps when n is a power of two.</li>
 * </ul>
 * Sizes: the AWC divergence check relies on the ring's eigenvalue &minus;1/3, so it needs an even n &ge; 4.
 * Every check communicates through {@code Collectives.of(bf)} and closes it at its end.
 */
public class ConvexContractSuite implements ContractSuite {
    /** Required accuracy of the bias-free algorithms. */
    static final double EXACT_TOLERANCE = 1e-8;
    /** Iteration budget of the bias-free algorithms. */
    static final int EXACT_MAX_ITERATIONS = 4000;
    /** Iterations checked between tests of the error while running the bias-free algorithms. */
    static final int CHUNK = 100;
    static final int DIMENSION = 5;
    static final int ROWS_PER_RANK = 100;
    static final double HETEROGENEITY = 1.0;
    static final double LOGISTIC_LAMBDA = 0.1;
    static final long SEED = 20261121L;
    /** D-SGD iteration budget; runs stop earlier once successive iterates agree to {@link #FIXED_POINT_MOVE}. */
    static final int DSGD_ITERATIONS = 3000;
    /** Largest last move (relative to ‖x*‖) at which a D-SGD run counts as converged to its fixed point. */
    static final double FIXED_POINT_MOVE = 1e-10;
    /** Relative error beyond which a run counts as diverged. */
    static final double DIVERGED = 1e6;
    /** D-SGD step sizes of the bias check, in units of 1/L. */
    static final double BIAS_STEP = 0.2;
    /** The large step of the stability check, in units of 1/L: below 2/L (ATC stable), above (1 + lambda_min(W))/L = (2/3)/L (AWC unstable on the ring). */
    static final double LARGE_STEP = 1.5;
    /** Exact Diffusion's step in units of 1/L. */
    static final double ED_STEP = 1.0;
    /** Gradient tracking's step in units of 1/L (DIGing needs a smaller step than ED on the 16-ring). */
    static final double GT_STEP = 0.2;
    /** Halving the step must cut D-SGD's bias by at least this factor (theory: ~2, O(step)). */
    static final double BIAS_SHRINK_FACTOR = 1.5;
    /** Relative precision of the measured ring contraction rate against rho. */
    static final double RATE_TOLERANCE = 1e-3;
    /** Relative consensus distance that counts as exact. */
    static final double EXACT_CONSENSUS = 1e-24;
    /** Ring consensus rates are measured while the distance is above this fraction of the start. */
    static final double CONSENSUS_FLOOR = 1e-9;

    @Override
    public Map<String, RankCheck> checks() {
        Map<String, RankCheck> c = new LinkedHashMap<>();
        for (Algorithm a : new Algorithm[] {Algorithm.EXACT_DIFFUSION, Algorithm.GRADIENT_TRACKING}) {
            c.put(a.cliName() + "-least-squares-ring", bf -> exact(bf, a, leastSquares(bf), Topologies::ring));
            c.put(a.cliName() + "-least-squares-exponential", bf -> exact(bf, a, leastSquares(bf), Topologies::exponential));
            c.put(a.cliName() + "-logistic-ring", bf -> exact(bf, a, logistic(bf), Topologies::ring));
            c.put(a.cliName() + "-logistic-exponential", bf -> exact(bf, a, logistic(bf), Topologies::exponential));
        }
        c.put("dsgd-bias-shrinks-with-step-atc-below-awc", ConvexContractSuite::dsgdBias);
        c.put("awc-diverges-where-atc-converges", ConvexContractSuite::largeStep);
        c.put("ring-consensus-decays-like-rho", ConvexContractSuite::ringConsensus);
        c.put("one-peer-exponential-consensus-exact", ConvexContractSuite::onePeerConsensus);
        c.put("base-2-consensus-exact", ConvexContractSuite::base2Consensus);
        c.put("choco-identity-equals-atc-least-squares", ConvexContractSuite::chocoIdentityIsAtc);
        c.replaceAll((name, check) -> closingCollectives(check));
        return c;
    }

    /** Runs {@code check} and closes the rank's shared collectives after it, pass or fail. */
    private static RankCheck closingCollectives(RankCheck check) {
        return bf -> {
            try (Collectives ignored = Collectives.of(bf)) {
                check.run(bf);
            }
        };
    }

    static ConvexProblem leastSquares(BlueFog bf) {
        return LeastSquares.generate(bf.size(), DIMENSION, ROWS_PER_RANK, HETEROGENEITY, SEED);
    }

    static ConvexProblem logistic(BlueFog bf) {
        return LogisticRegression.generate(bf.size(), DIMENSION, ROWS_PER_RANK, LOGISTIC_LAMBDA, SEED);
    }

    private static ConvexRun run(BlueFog bf, ConvexProblem p, Algorithm a, Topology t, double step) {
        OptimizerConfig config = OptimizerConfig.builder(a).updater(LocalUpdater.sgd(step)).topology(t).build();
        return new ConvexRun(bf, p, new double[p.dimension()], config);
    }

    static void exact(BlueFog bf, Algorithm a, ConvexProblem p, IntFunction<Topology> graph) {
        // ED is stable up to ~2/L with the lazy matrix; DIGing needs a smaller step on poorly connected graphs.
        double step = (a == Algorithm.EXACT_DIFFUSION ? ED_STEP : GT_STEP) / p.smoothness();
        ConvexRun r = run(bf, p, a, graph.apply(bf.size()), step);
        double err = r.maxRelativeError();
        int k = 0;
        while (k < EXACT_MAX_ITERATIONS && err >= EXACT_TOLERANCE / 10) {
            r.steps(CHUNK);
            k += CHUNK;
            err = r.maxRelativeError();
        }
        assertTrue(err < EXACT_TOLERANCE, a + " relative error " + err + " after " + k + " iterations");
    }

    /**
     * Runs until the iterates stop moving (relative move below {@link #FIXED_POINT_MOVE}), the run diverges,
     * or {@link #DSGD_ITERATIONS}; returns the max relative error to x*. Collective.
     */
    static double toFixedPoint(ConvexRun r, double solutionNorm) {
        for (int k = 0; k < DSGD_ITERATIONS; k += CHUNK) {
            r.steps(CHUNK - 1);
            INDArray before = r.x().dup();
            r.steps(1);
            double move = r.maxOverRanks(r.x().sub(before).norm2Number().doubleValue()) / solutionNorm;
            double err = r.maxRelativeError();
            if (move < FIXED_POINT_MOVE || !(err < DIVERGED)) {
                return err;
            }
        }
        return r.maxRelativeError();
    }

    /** D-SGD on the exponential graph, where the bias is in its O(step) regime at these steps. */
    private static double dsgdBias(BlueFog bf, ConvexProblem p, Algorithm a, double step) {
        ConvexRun r = run(bf, p, a, Topologies.exponential(bf.size()), step);
        return toFixedPoint(r, norm(p.solution()));
    }

    static double norm(double[] v) {
        double s = 0;
        for (double e : v) {
            s += e * e;
        }
        return Math.sqrt(s);
    }

    static void dsgdBias(BlueFog bf) {
        ConvexProblem p = leastSquares(bf);
        double step = BIAS_STEP / p.smoothness();
        double atc = dsgdBias(bf, p, Algorithm.ATC, step);
        double atcHalf = dsgdBias(bf, p, Algorithm.ATC, step / 2);
        double awc = dsgdBias(bf, p, Algorithm.AWC, step);
        double awcHalf = dsgdBias(bf, p, Algorithm.AWC, step / 2);
        String msg = "ATC bias " + atc + " (half step " + atcHalf + "), AWC bias " + awc + " (half step " + awcHalf + ")";
        assertTrue(atcHalf > 1e3 * EXACT_TOLERANCE, "D-SGD should stall at a visible bias: " + msg);
        assertTrue(atcHalf * BIAS_SHRINK_FACTOR < atc, msg);
        assertTrue(awcHalf * BIAS_SHRINK_FACTOR < awc, msg);
        assertTrue(atc < awc, msg);
        assertTrue(atcHalf < awcHalf, msg);
    }

    static void largeStep(BlueFog bf) {
        ConvexProblem p = leastSquares(bf);
        double step = LARGE_STEP / p.smoothness();
        double atcErr = toFixedPoint(run(bf, p, Algorithm.ATC, Topologies.ring(bf.size()), step), norm(p.solution()));
        double awcErr = toFixedPoint(run(bf, p, Algorithm.AWC, Topologies.ring(bf.size()), step), norm(p.solution()));
        assertTrue(atcErr < 1, "ATC at step " + LARGE_STEP + "/L should converge on the ring: error " + atcErr);
        assertTrue(!(awcErr < DIVERGED), "AWC at step " + LARGE_STEP + "/L should diverge on the ring: error " + awcErr);
    }

    static void ringConsensus(BlueFog bf) {
        int n = bf.size();
        Topology ring = Topologies.ring(n);
        double rho = Spectral.rho(ring);
        INDArray x = Nd4j.createFromArray(new Random(SEED + bf.rank()).doubles(DIMENSION).toArray()).reshape(1, DIMENSION);
        OptimizerConfig config = OptimizerConfig.builder(Algorithm.ATC).updater(LocalUpdater.sgd(1)).topology(ring).broadcastAtStart(false).build();
        DecentralizedOptimizer opt = DecentralizedOptimizer.create(Collectives.of(bf), ring, x, config);
        INDArray zero = Nd4j.zeros(DataType.DOUBLE, 1, DIMENSION);
        double previous = Math.sqrt(opt.consensusDistance());
        double ratio = 0;
        double initial = previous;
        int steps = 80;
        // stop before rounding noise (relative 1e-16) dominates the measured rate
        for (int k = 0; k < steps && previous > CONSENSUS_FLOOR * initial; k++) {
            opt.step(zero);
            double now = Math.sqrt(opt.consensusDistance());
            ratio = now / previous;
            assertTrue(ratio <= rho * (1 + RATE_TOLERANCE), "step " + k + ": contraction " + ratio + " > rho " + rho);
            previous = now;
        }
        if (n > 2) {
            assertEquals(rho, ratio, RATE_TOLERANCE * rho, "asymptotic contraction per step on ring(" + n + ")");
        }
    }

    static void onePeerConsensus(BlueFog bf) {
        int n = bf.size();
        int tau = 32 - Integer.numberOfLeadingZeros(Math.max(1, n - 1));
        INDArray x = Nd4j.createFromArray(new Random(SEED + bf.rank()).doubles(DIMENSION).toArray()).reshape(1, DIMENSION);
        OptimizerConfig config = OptimizerConfig.builder(Algorithm.ATC).updater(LocalUpdater.sgd(1)).topology(Schedules.onePeerExponential(n))
                .broadcastAtStart(false).build();
        DecentralizedOptimizer opt = DecentralizedOptimizer.create(Collectives.of(bf), bf.mixingTopology(), x, config);
        INDArray zero = Nd4j.zeros(DataType.DOUBLE, 1, DIMENSION);
        double start = opt.consensusDistance();
        for (int k = 0; k < tau; k++) {
            opt.step(zero);
        }
        double end = opt.consensusDistance();
        if (Integer.bitCount(n) == 1) {
            assertTrue(end <= EXACT_CONSENSUS * start, "after " + tau + " one-peer steps on " + n
                    + " ranks the consensus distance is " + end + " (start " + start + ")");
        } else {
            assertTrue(end < start, "one-peer steps must reduce the consensus distance: " + start + " -> " + end);
        }
    }

    /**
     * Base-(k+1) graph with k = 1 (Takezawa et al., NeurIPS 2023): ATC with zero gradients reaches
     * exact consensus after one period, for any number of ranks.
     */
    static void base2Consensus(BlueFog bf) {
        io.bluefog.topology.dynamic.DynamicTopology schedule = Schedules.baseGraph(bf.size(), 1);
        INDArray x = Nd4j.createFromArray(new Random(SEED + bf.rank()).doubles(DIMENSION).toArray()).reshape(1, DIMENSION);
        OptimizerConfig config = OptimizerConfig.builder(Algorithm.ATC).updater(LocalUpdater.sgd(1)).topology(schedule)
                .broadcastAtStart(false).build();
        DecentralizedOptimizer opt = DecentralizedOptimizer.create(Collectives.of(bf), bf.mixingTopology(), x, config);
        INDArray zero = Nd4j.zeros(DataType.DOUBLE, 1, DIMENSION);
        double start = opt.consensusDistance();
        for (int k = 0; k < schedule.period(); k++) {
            opt.step(zero);
        }
        double end = opt.consensusDistance();
        assertTrue(end <= EXACT_CONSENSUS * start, "after " + schedule.period() + " steps of " + schedule
                + " the consensus distance is " + end + " (start " + start + ")");
    }

    /** CHOCO sends float32 differences: the identity compressor's rounding, relative to the parameters. */
    static final double CHOCO_FLOAT32_MESSAGES = 1e-5;

    /**
     * CHOCO-SGD with the identity compressor and consensus step 1 (Koloskova et al., ICML 2019) takes
     * the ATC D-SGD steps on the least-squares problem, up to the float32 rounding of its messages.
     */
    static void chocoIdentityIsAtc(BlueFog bf) {
        ConvexProblem p = leastSquares(bf);
        LocalObjective f = p.local(bf.rank());
        Topology ring = Topologies.ring(bf.size());
        OptimizerConfig config = OptimizerConfig.builder(Algorithm.CHOCO).updater(LocalUpdater.sgd(BIAS_STEP / p.smoothness()))
                .topology(ring).build();
        INDArray xc = Nd4j.zeros(DataType.DOUBLE, 1, p.dimension());
        INDArray xa = Nd4j.zeros(DataType.DOUBLE, 1, p.dimension());
        DecentralizedOptimizer choco = ChocoSgd.factory(Compressor.parse("identity"), 1.0, SEED)
                .create(Collectives.of(bf), ring, xc, config);
        DecentralizedOptimizer atc = DecentralizedOptimizer.create(Collectives.of(bf), ring, xa,
                OptimizerConfig.builder(Algorithm.ATC).updater(LocalUpdater.sgd(BIAS_STEP / p.smoothness())).topology(ring).build());
        for (int k = 0; k < CHUNK; k++) {
            choco.step(f.gradient(xc));
            atc.step(f.gradient(xa));
            double scale = Math.max(1, xa.amaxNumber().doubleValue());
            double diff = xc.sub(xa).amaxNumber().doubleValue();
            assertTrue(diff <= CHOCO_FLOAT32_MESSAGES * scale, "step " + k + ": CHOCO identity differs from ATC by " + diff);
        }
    }
}
