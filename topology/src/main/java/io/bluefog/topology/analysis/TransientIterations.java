package io.bluefog.topology.analysis;

/**
 * Transient-iteration estimates of D-SGD: the number of iterations before decentralized SGD
 * reaches the linear speedup of parallel SGD (Pu, Olshevsky, Paschalidis, "A sharp estimate on
 * the transient time of distributed stochastic gradient descent", 2020), in the form of lecture
 * {@code 004} ("Transient iterations"), derived from the D-SGD rate of Koloskova et al., ICML 2020.
 * These are orders of magnitude (constants dropped), meant for comparing topologies.
 */
public final class TransientIterations {
    private TransientIterations() {
    }

    /**
     * i.i.d. data: {@code rho^4 n^3 / (1 - rho)^2}.
     *
     * @param rho {@code ||W - 11^T/n||_2} in [0, 1]
     * @param n   number of ranks, &ge; 1
     * @return the estimate; {@code +Infinity} when {@code rho >= 1}
     */
    public static double iid(double rho, int n) {
        return estimate(rho, n, 2);
    }

    /**
     * Heterogeneous (non-i.i.d.) data: {@code rho^4 n^3 / (1 - rho)^4}.
     *
     * @param rho {@code ||W - 11^T/n||_2} in [0, 1]
     * @param n   number of ranks, &ge; 1
     * @return the estimate; {@code +Infinity} when {@code rho >= 1}
     */
    public static double nonIid(double rho, int n) {
        return estimate(rho, n, 4);
    }

    private static double estimate(double rho, int n, int gapPower) {
        if (!(rho >= 0) || n < 1) {
            throw new IllegalArgumentException("need rho >= 0 and n >= 1, got rho = " + rho + ", n = " + n);
        }
        if (rho >= 1) {
            return Double.POSITIVE_INFINITY;
        }
        double n3 = (double) n * n * n;
        return Math.pow(rho, 4) * n3 / Math.pow(1 - rho, gapPower);
    }
}
