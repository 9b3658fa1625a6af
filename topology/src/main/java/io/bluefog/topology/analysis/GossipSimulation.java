package io.bluefog.topology.analysis;

import io.bluefog.topology.Topology;
import io.bluefog.topology.dynamic.DynamicTopology;
import java.util.SplittableRandom;

/**
 * Simulated average consensus: every rank starts from one scalar and repeats
 * {@code x_i <- w_ii x_i + sum_j w_ij x_j} with the schedule's matrix of each iteration.
 */
public final class GossipSimulation {
    private GossipSimulation() {
    }

    /**
     * Relative consensus error after each requested number of gossip steps,
     * {@code ||x^k - xbar^0 1||_2 / ||x^0 - xbar^0 1||_2}, where {@code x^0} has i.i.d. standard
     * normal entries drawn from {@code seed} and {@code xbar^0} is its average (the value exact
     * averaging would reach).
     *
     * @param schedule the mixing matrices, iterations 0, 1, ...
     * @param steps    non-decreasing step counts, each &ge; 0
     * @param seed     seed of the initial values
     * @return one error per entry of {@code steps}; 0 for n = 1
     * @throws IllegalArgumentException if {@code steps} is not non-decreasing and non-negative
     */
    public static double[] relativeError(DynamicTopology schedule, int[] steps, long seed) {
        int n = schedule.size();
        SplittableRandom random = new SplittableRandom(seed);
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = gaussian(random);
        }
        double mean = 0;
        for (double v : x) {
            mean += v;
        }
        mean /= n;
        double initial = deviation(x, mean);
        double[] result = new double[steps.length];
        double[] next = new double[n];
        long k = 0;
        for (int s = 0; s < steps.length; s++) {
            if (steps[s] < k) {
                throw new IllegalArgumentException("steps must be non-decreasing and >= 0, got " + steps[s]
                        + " at position " + s);
            }
            for (; k < steps[s]; k++) {
                Topology w = schedule.at(k);
                for (int i = 0; i < n; i++) {
                    double v = w.selfWeight(i) * x[i];
                    int[] in = w.inNeighbors(i);
                    double[] wi = w.recvWeights(i);
                    for (int m = 0; m < in.length; m++) {
                        v += wi[m] * x[in[m]];
                    }
                    next[i] = v;
                }
                double[] t = x;
                x = next;
                next = t;
            }
            result[s] = initial == 0 ? 0 : deviation(x, mean) / initial;
        }
        return result;
    }

    private static double deviation(double[] x, double mean) {
        double s = 0;
        for (double v : x) {
            s += (v - mean) * (v - mean);
        }
        return Math.sqrt(s);
    }

    /** Box–Muller; SplittableRandom has no nextGaussian in Java 17. */
    private static double gaussian(SplittableRandom random) {
        double u = 1.0 - random.nextDouble(); // (0, 1]
        double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
