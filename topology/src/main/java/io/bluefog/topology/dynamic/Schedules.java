package io.bluefog.topology.dynamic;

import io.bluefog.topology.Topology;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Factories of dynamic topologies (schedules). Each returns an immutable {@link DynamicTopology}.
 * Bad input throws {@link IllegalArgumentException} naming the parameter.
 *
 * <p>One-peer schedules: at every iteration each rank sends to at most one peer. A rank that
 * receives from {@code m} peers weighs itself and each of them by {@code 1/(m + 1)} (BlueFog's
 * convention for its dynamic send/receive generators). When the senders form a permutation, as
 * in every schedule here except {@link #onePeerRotation(Topology)} over an irregular graph, the
 * matrix is {@code (I + P)/2}: doubly stochastic.
 */
public final class Schedules {
    private Schedules() {
    }

    /**
     * The same topology at every iteration (period 1).
     *
     * @param topology the static topology
     * @throws NullPointerException if {@code topology} is null
     */
    public static DynamicTopology staticTopology(Topology topology) {
        if (topology == null) {
            throw new NullPointerException("topology");
        }
        return new PeriodicSchedule("static", topology.size(), 1, k -> topology);
    }

    /**
     * One-peer exponential graph (Ying et al., NeurIPS 2021; BlueFog's dynamic exponential
     * topology): with {@code tau = ceil(log2 n)}, at iteration k rank i sends to
     * {@code i + 2^(k mod tau) mod n} with weight 1/2 and keeps 1/2. For {@code n = 2^tau} the
     * product of tau consecutive matrices is exactly {@code 11^T/n}. Period {@code max(tau, 1)}.
     *
     * @param n number of ranks, &ge; 1 (n = 1 gives W = [1] at every iteration)
     */
    public static DynamicTopology onePeerExponential(int n) {
        requireSize(n, "n");
        int tau = ceilLog2(n);
        if (tau == 0) {
            return staticTopology(Topology.fromWeightMatrix(new double[][] {{1.0}}));
        }
        return new PeriodicSchedule("onePeerExponential", n, tau, k -> {
            int shift = 1 << (int) (k % tau);
            int[] target = new int[n];
            for (int i = 0; i < n; i++) {
                target[i] = (i + shift) % n;
            }
            return onePeer(target);
        });
    }

    /**
     * Base-(k+1) graph (Takezawa, Sato, Bao, Niwa, Yamada, "Beyond Exponential Graph:
     * Communication-Efficient Topologies for Decentralized Learning via Finite-time Convergence",
     * NeurIPS 2023): a schedule of symmetric, doubly stochastic matrices in which every rank has at
     * most {@code maxDegree} = k neighbors per iteration, and the product of the matrices of one
     * period is exactly {@code 11^T/n} (up to floating-point rounding of the weights) for
     * <em>every</em> n, not only powers of 2 as {@link #onePeerExponential(int)}.
     *
     * <p>Construction, following the paper's Simple Base-(k+1) and Base-(k+1) graphs (our own
     * formulation, verified by the tests): when every prime factor of n is &le; k+1, the k-peer
     * hyper-hypercube (ranks as mixed-radix numbers with radices &le; k+1; at each iteration the
     * ranks differing in one digit average as a clique). Otherwise n is written in base k+1,
     * {@code n = sum_l a_l (k+1)^{p_l}}; the ranks are split into consecutive groups of
     * {@code a_l (k+1)^{p_l}}, which first average themselves by hyper-hypercubes; then, from the
     * largest group down, every rank of the remaining smaller groups exchanges with one rank in each
     * of the {@code a_l} blocks of the current group (weight {@code (k+1)^{p_l}/(ranks left)} per
     * edge), and each block re-averages by its hyper-hypercube while the next groups are combined.
     * As in the paper, when n = s r with s the (k+1)-smooth part, the construction inside blocks of
     * r ranks followed by a hyper-hypercube across blocks is used when it is shorter. The period
     * (the steps to the exact average) is at most {@code 2 floor(log_{k+1} n) + 2}.
     *
     * @param n         number of ranks, &ge; 1 (n = 1 gives W = [1], period 1)
     * @param maxDegree k, the most neighbors of a rank at one iteration, &ge; 1
     * @throws IllegalArgumentException if {@code n < 1} or {@code maxDegree < 1}
     */
    public static DynamicTopology baseGraph(int n, int maxDegree) {
        requireSize(n, "n");
        if (maxDegree < 1) {
            throw new IllegalArgumentException("maxDegree must be >= 1, got " + maxDegree);
        }
        List<Topology> period = BaseGraph.period(n, maxDegree);
        int p = period.size();
        return new PeriodicSchedule("base-" + (maxDegree + 1), n, p, k -> period.get((int) (k % p)));
    }

    /**
     * One-peer rotation over a static graph, as BlueFog's {@code GetDynamicOnePeerSendRecvRanks}:
     * every rank sorts its out-neighbors clockwise (by {@code (j - i) mod n}) and at iteration k
     * sends to the {@code (k mod outdeg)}-th of them; it receives from every rank that picked it.
     * Weights follow the one-peer convention of this class. A rank without out-neighbors sends
     * nothing. Period: the least common multiple of the non-zero out-degrees (0 if it overflows an
     * int). Example: the exponential graph with n = 8 gives rank 0 the send/receive pairs
     * (1, 7), (2, 6), (4, 4), then repeats.
     *
     * @param topology the static graph whose out-neighbors are cycled through (its weights are
     *                 ignored)
     */
    public static DynamicTopology onePeerRotation(Topology topology) {
        if (topology == null) {
            throw new NullPointerException("topology");
        }
        int n = topology.size();
        int[][] clockwise = new int[n][];
        long period = 1;
        for (int i = 0; i < n; i++) {
            final int self = i;
            clockwise[i] = Arrays.stream(topology.outNeighbors(i)).boxed()
                    .sorted((a, b) -> Integer.compare(Math.floorMod(a - self, n), Math.floorMod(b - self, n)))
                    .mapToInt(Integer::intValue).toArray();
            int d = clockwise[i].length;
            if (d > 0 && period > 0) {
                period = lcm(period, d);
            }
        }
        int p = period > Integer.MAX_VALUE ? 0 : (int) period;
        return new PeriodicSchedule("onePeerRotation", n, p, k -> {
            int[] target = new int[n];
            for (int i = 0; i < n; i++) {
                int d = clockwise[i].length;
                target[i] = d == 0 ? i : clockwise[i][(int) (k % d)];
            }
            return onePeer(target);
        });
    }

    /**
     * Machine-aware inner-ring/outer-ring schedule for hierarchical clusters (BlueFog's
     * {@code GetInnerOuterRingDynamicSendRecvRanks}). Ranks are laid out by machine:
     * {@code machine = rank / ranksPerMachine}, {@code local = rank % ranksPerMachine}. At
     * iteration k the rank with local id {@code o = k mod ranksPerMachine} of every machine sends
     * to the rank with the same local id on the next machine (outer ring, the only inter-machine
     * traffic); the other ranks of each machine form a ring that skips {@code o} (inner ring). Every
     * rank sends to one peer and receives from one: weights 1/2, 1/2. Where a ring has a single
     * member (one machine, or two ranks per machine) that rank keeps its value (weight 1) instead of
     * failing as BlueFog does. Period {@code ranksPerMachine}.
     *
     * @param size            number of ranks, a positive multiple of {@code ranksPerMachine}
     * @param ranksPerMachine ranks on each machine, &ge; 1
     */
    public static DynamicTopology innerOuterRing(int size, int ranksPerMachine) {
        return innerOuter("innerOuterRing", size, ranksPerMachine, false);
    }

    /**
     * Machine-aware inner/outer one-peer exponential schedule (BlueFog's
     * {@code GetInnerOuterExp2DynamicSendRecvRanks}): as {@link #innerOuterRing(int, int)}, but at
     * iteration k the outer ring jumps {@code 2^(k mod ceil(log2 machines))} machines and the inner
     * ring of the {@code ranksPerMachine - 1} non-outgoing ranks jumps
     * {@code 2^(k mod ceil(log2(ranksPerMachine - 1)))} places (one-peer exponential graphs on both
     * levels). Period: lcm of {@code ranksPerMachine} and the two exponents.
     *
     * @param size            number of ranks, a positive multiple of {@code ranksPerMachine}
     * @param ranksPerMachine ranks on each machine, &ge; 1
     */
    public static DynamicTopology innerOuterExponential(int size, int ranksPerMachine) {
        return innerOuter("innerOuterExponential", size, ranksPerMachine, true);
    }

    private static DynamicTopology innerOuter(String name, int size, int perMachine, boolean exponential) {
        requireSize(size, "size");
        requireSize(perMachine, "ranksPerMachine");
        if (size % perMachine != 0) {
            throw new IllegalArgumentException("size " + size + " is not a multiple of ranksPerMachine " + perMachine
                    + " (hierarchical schedules need the same number of ranks on every machine)");
        }
        int machines = size / perMachine;
        int inner = perMachine - 1; // ranks of a machine that stay inside at a given iteration
        int tauOut = exponential ? Math.max(1, ceilLog2(machines)) : 1;
        int tauIn = exponential ? Math.max(1, ceilLog2(inner)) : 1;
        long period = lcm(lcm(perMachine, tauOut), tauIn);
        return new PeriodicSchedule(name, size, period > Integer.MAX_VALUE ? 0 : (int) period, k -> {
            int out = (int) (k % perMachine);
            int outerShift = exponential ? 1 << (int) (k % tauOut) : 1;
            int innerShift = exponential ? 1 << (int) (k % tauIn) : 1;
            int[] target = new int[size];
            for (int r = 0; r < size; r++) {
                int machine = r / perMachine;
                int local = r % perMachine;
                if (local == out) {
                    target[r] = ((machine + outerShift) % machines) * perMachine + local;
                } else {
                    // Position among the inner ranks, counted clockwise from the outgoing one: 0..inner-1.
                    int pos = Math.floorMod(local - out, perMachine) - 1;
                    int targetPos = (pos + innerShift) % inner;
                    target[r] = machine * perMachine + (out + 1 + targetPos) % perMachine;
                }
            }
            return onePeer(target);
        });
    }

    /**
     * Builds the one-peer matrix where rank i sends to {@code target[i]} ({@code target[i] == i}
     * means it sends nothing); receivers weigh themselves and each sender by {@code 1/(m+1)}.
     */
    static Topology onePeer(int[] target) {
        int n = target.length;
        List<List<Integer>> sources = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            sources.add(new ArrayList<>(1));
        }
        for (int i = 0; i < n; i++) {
            if (target[i] != i) {
                sources.get(target[i]).add(i);
            }
        }
        double[] self = new double[n];
        int[][] in = new int[n][];
        double[][] weights = new double[n][];
        for (int i = 0; i < n; i++) {
            List<Integer> s = sources.get(i);
            double w = 1.0 / (s.size() + 1);
            self[i] = w;
            in[i] = s.stream().mapToInt(Integer::intValue).toArray();
            weights[i] = new double[in[i].length];
            Arrays.fill(weights[i], w);
        }
        return Topology.of(self, in, weights);
    }

    /** @return ceil(log2 n) for n &ge; 1 */
    static int ceilLog2(int n) {
        return n <= 1 ? 0 : 32 - Integer.numberOfLeadingZeros(n - 1);
    }

    private static long lcm(long a, long b) {
        long g = gcd(a, b);
        long m = a / g;
        if (m > Long.MAX_VALUE / b) {
            return Long.MAX_VALUE;
        }
        return m * b;
    }

    private static long gcd(long a, long b) {
        while (b != 0) {
            long t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    private static void requireSize(int n, String parameter) {
        if (n < 1) {
            throw new IllegalArgumentException(parameter + " must be >= 1, got " + n);
        }
    }
}
