package io.bluefog.examples.convex;

/**
 * A distributed problem min_x (1/n) &Sigma;_i f_i(x) with per-rank objectives f_i and a known
 * minimiser. Generated deterministically from a seed, so every rank builds the same problem (and
 * the same serial reference) without communicating, then uses only its own f_i.
 */
public interface ConvexProblem {
    /** @return the number of ranks n the data was generated for */
    int ranks();

    /** @return d */
    int dimension();

    /** @return rank i's objective f_i */
    LocalObjective local(int rank);

    /** @return the exact minimiser x* of (1/n) &Sigma;_i f_i, computed serially */
    double[] solution();

    /** @return L = max_i (largest eigenvalue of &nabla;&sup2;f_i) over the problem's domain (an upper bound) */
    double smoothness();
}
