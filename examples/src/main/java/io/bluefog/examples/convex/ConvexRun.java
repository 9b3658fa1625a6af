package io.bluefog.examples.convex;

import io.bluefog.BlueFog;
import io.bluefog.collectives.Collectives;
import io.bluefog.optimizers.DecentralizedOptimizer;
import io.bluefog.optimizers.OptimizerConfig;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One rank's run of a decentralized optimizer with full local gradients on a convex problem,
 * float64, reporting the distance to the exact solution. Every rank must make the same calls
 * with the same arguments (steps and error reductions are collective). Communicates through
 * {@code Collectives.of(bf)}, which the caller closes when the job is done.
 */
public final class ConvexRun {
    private final ConvexProblem problem;
    private final LocalObjective local;
    private final Collectives collectives;
    private final INDArray x;
    private final DecentralizedOptimizer optimizer;
    private final INDArray solution;
    private final double solutionNorm;

    /**
     * Creates the optimizer on a float64 starting point; collective.
     *
     * @param bf      this rank's context; the problem must have been generated for {@code bf.size()} ranks
     * @param problem the problem
     * @param start   this rank's starting point (length d); copied
     * @param config  the optimizer configuration (the same on every rank)
     */
    public ConvexRun(BlueFog bf, ConvexProblem problem, double[] start, OptimizerConfig config) {
        if (problem.ranks() != bf.size()) {
            throw new IllegalArgumentException("problem was generated for " + problem.ranks() + " ranks, job has " + bf.size());
        }
        if (start.length != problem.dimension()) {
            throw new IllegalArgumentException("start has length " + start.length + ", expected " + problem.dimension());
        }
        this.problem = problem;
        this.local = problem.local(bf.rank());
        this.collectives = Collectives.of(bf);
        this.x = Nd4j.createFromArray(start.clone()).reshape(1, start.length);
        this.optimizer = DecentralizedOptimizer.create(collectives, bf.mixingTopology(), x, config);
        this.solution = Nd4j.createFromArray(problem.solution()).reshape(x.shape());
        this.solutionNorm = DenseMath.norm(problem.solution());
    }

    /** Takes {@code iterations} steps with full gradients. Collective. */
    public void steps(int iterations) {
        for (int k = 0; k < iterations; k++) {
            optimizer.step(local.gradient(x));
        }
    }

    /** @return ‖x_i &minus; x*‖ / ‖x*‖ on this rank (NaN or infinite once the run diverged) */
    public double localRelativeError() {
        return x.sub(solution).norm2Number().doubleValue() / solutionNorm;
    }

    /** @return max over ranks of ‖x_i &minus; x*‖ / ‖x*‖, the same on every rank. Collective. */
    public double maxRelativeError() {
        return maxOverRanks(localRelativeError());
    }

    /** @return the max over ranks of {@code value}, the same on every rank. Collective. */
    public double maxOverRanks(double value) {
        double max = Double.NEGATIVE_INFINITY;
        for (double e : gather(value)) {
            max = Double.isNaN(e) ? Double.POSITIVE_INFINITY : Math.max(max, e);
        }
        return max;
    }

    /** @return the consensus distance (1/n) &Sigma;_i ‖x_i &minus; x&#772;‖&sup2;. Collective. */
    public double consensusDistance() {
        return optimizer.consensusDistance();
    }

    /** @return every rank's value, in rank order. Collective. */
    private double[] gather(double mine) {
        INDArray one = Nd4j.createFromArray(new double[] {mine});
        return collectives.allgather(one).toDoubleVector();
    }

    /** @return this rank's iterate (a live view; the optimizer updates it) */
    public INDArray x() {
        return x;
    }

    public DecentralizedOptimizer optimizer() {
        return optimizer;
    }
}
