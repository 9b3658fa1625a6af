package io.bluefog.optimizers.svrg;

/**
 * One worker's share of a finite-sum objective F(w) = (1/n) &Sigma;_{i=1..n} f_i(w), the problem of
 * thesis chapter 2 (Huo, "Distributed Machine Learning Framework: New Algorithms and Theoretical
 * Foundation", eq. (2.1)); the n samples are split over the workers, n_k on worker k. Any
 * regulariser belongs in every f_i. Parameters are a flat float64 vector of {@link #dimension()}
 * entries. Implementations need not be thread-safe (one worker thread calls them).
 */
public interface FiniteSum {
    /** @return d, the number of parameters */
    int dimension();

    /** @return n_k &ge; 1, the number of local samples */
    int samples();

    /**
     * Adds &Sigma;_{i &isin; rows} &nabla;f_i(w) into {@code gradient} and returns &Sigma;_{i &isin; rows} f_i(w).
     *
     * @param w        parameters, length d (not modified)
     * @param rows     local sample indices in {@code 0..samples()-1} (repeats allowed); null: every local sample
     * @param gradient length d, added to (not cleared)
     * @return the sum of the losses of {@code rows}
     */
    double addGradient(double[] w, int[] rows, double[] gradient);
}
