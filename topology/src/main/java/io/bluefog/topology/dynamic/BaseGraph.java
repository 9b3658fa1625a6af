package io.bluefog.topology.dynamic;

import io.bluefog.topology.Topology;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the matrices of one period of a Base-(k+1) graph (Takezawa, Sato, Bao, Niwa, Yamada,
 * "Beyond Exponential Graph: Communication-Efficient Topologies for Decentralized Learning via
 * Finite-time Convergence", NeurIPS 2023): symmetric doubly stochastic matrices with at most k
 * neighbors per rank whose product over one period is {@code 11^T/n} for every n. See
 * {@link Schedules#baseGraph(int, int)} for the construction.
 */
final class BaseGraph {
    private final int n;
    private final int b;
    private final List<Round> rounds = new ArrayList<>();

    private BaseGraph(int n, int maxDegree) {
        this.n = n;
        this.b = maxDegree + 1;
    }

    /** @return the matrices of one period; a single identity matrix for n = 1 */
    static List<Topology> period(int n, int maxDegree) {
        BaseGraph g = new BaseGraph(n, maxDegree);
        int[] all = range(0, n);
        int smooth = g.smoothPart(n);
        int rest = n / smooth;
        int length;
        if (rest == 1) {
            length = g.hyper(all, g.packedRadices(smooth), 0);
        } else if (smooth == 1) {
            length = g.simple(all, 0);
        } else {
            // Either the digit construction over all n ranks, or (the paper's Base-(k+1) graph) the digit
            // construction inside each of `smooth` blocks of `rest` consecutive ranks, followed by the
            // hyper-hypercube across blocks; the shorter one is kept.
            BaseGraph whole = new BaseGraph(n, maxDegree);
            int simpleLength = whole.simple(all, 0);
            int inner = 0;
            for (int c = 0; c < smooth; c++) {
                inner = Math.max(inner, g.simple(range(c * rest, rest), 0));
            }
            int across = 0;
            int[] radices = g.packedRadices(smooth);
            for (int j = 0; j < rest; j++) {
                int[] strided = new int[smooth];
                for (int c = 0; c < smooth; c++) {
                    strided[c] = c * rest + j;
                }
                across = Math.max(across, g.hyper(strided, radices, inner));
            }
            length = inner + across;
            if (simpleLength <= length) {
                g = whole;
                length = simpleLength;
            }
        }
        List<Topology> out = new ArrayList<>(Math.max(length, 1));
        for (int r = 0; r < Math.max(length, 1); r++) {
            out.add(g.round(r).toTopology());
        }
        return out;
    }

    /**
     * The Simple Base-(k+1) construction on {@code nodes}, starting at round {@code offset}.
     * Writing m = sum_l a_l (k+1)^{p_l} in base k+1 (p_1 &gt; ... &gt; p_L, 1 &le; a_l &le; k) splits the
     * nodes into consecutive groups V_l of a_l (k+1)^{p_l}, each made of a_l blocks of (k+1)^{p_l}.
     * Phase 1: every group averages itself with its hyper-hypercube. Phase 2, round t = 1..L-1: every
     * node of the tail S = V_{t+1} u ... u V_L (|S| &lt; (k+1)^{p_t}) is paired with the node at its
     * own position in each of the a_t blocks of V_t, weight w = (k+1)^{p_t} / |V_t u S| per edge;
     * the tail nodes of each group stay equal and after round L-1 hold the average of all m nodes.
     * The blocks of V_t stay equal to each other and their mean is the average of all m nodes, so
     * a hyper-hypercube inside each block (p_t rounds, overlapping later rounds of phase 2) finishes
     * V_t. Each rank has at most max(a_t, k) &le; k neighbors per round.
     *
     * @return the number of rounds used
     */
    private int simple(int[] nodes, int offset) {
        int m = nodes.length;
        List<int[]> digits = new ArrayList<>(); // {a, p}, highest power first
        long power = 1;
        int p = 0;
        while (power * b <= m) {
            power *= b;
            p++;
        }
        int left = m;
        for (; p >= 0; p--, power /= b) {
            int a = (int) (left / power);
            if (a > 0) {
                digits.add(new int[] {a, p});
                left -= (int) (a * power);
            }
        }
        int groups = digits.size();
        if (groups == 1) {
            return hyper(nodes, digitRadices(digits.get(0)), offset);
        }
        int[] start = new int[groups + 1];
        for (int l = 0; l < groups; l++) {
            start[l + 1] = start[l] + digits.get(l)[0] * pow(b, digits.get(l)[1]);
        }
        int phase1 = 0;
        for (int l = 0; l < groups; l++) {
            int[] group = slice(nodes, start[l], start[l + 1]);
            phase1 = Math.max(phase1, hyper(group, digitRadices(digits.get(l)), offset));
        }
        int length = phase1;
        for (int t = 0; t < groups - 1; t++) {
            int a = digits.get(t)[0];
            int block = pow(b, digits.get(t)[1]);
            int tailStart = start[t + 1];
            int tailSize = m - tailStart;
            int total = m - start[t];
            double w = (double) block / total;
            Round r = round(offset + phase1 + t);
            for (int q = 0; q < tailSize; q++) {
                int i = nodes[tailStart + q];
                for (int c = 0; c < a; c++) {
                    int j = nodes[start[t] + c * block + q];
                    r.edge(i, j, w);
                    r.self[j] = (double) (total - block) / total;
                }
                r.self[i] = (double) tailSize / total;
            }
            int[] radices = new int[digits.get(t)[1]];
            java.util.Arrays.fill(radices, b);
            int used = 0;
            for (int c = 0; c < a; c++) {
                used = hyper(slice(nodes, start[t] + c * block, start[t] + (c + 1) * block), radices,
                        offset + phase1 + t + 1);
            }
            length = Math.max(length, phase1 + t + 1 + used);
        }
        return length;
    }

    /**
     * Hyper-hypercube averaging of {@code nodes} (size = product of the radices, each &le; k+1):
     * at round r the nodes whose mixed-radix indices differ only in digit r form a clique with
     * weights 1/radix_r. After all rounds every node holds the average of {@code nodes}.
     *
     * @return the number of rounds, {@code radices.length}
     */
    private int hyper(int[] nodes, int[] radices, int offset) {
        int stride = 1;
        for (int r = 0; r < radices.length; r++) {
            int f = radices[r];
            Round round = round(offset + r);
            for (int x = 0; x < nodes.length; x++) {
                if ((x / stride) % f != 0) {
                    continue;
                }
                int[] clique = new int[f];
                for (int d = 0; d < f; d++) {
                    clique[d] = nodes[x + d * stride];
                }
                round.clique(clique);
            }
            stride *= f;
        }
        return radices.length;
    }

    /** The radices of a group a (k+1)^p: p digits of base k+1, then a (if a &gt; 1) as the block digit. */
    private int[] digitRadices(int[] digit) {
        int a = digit[0];
        int p = digit[1];
        int[] r = new int[p + (a > 1 ? 1 : 0)];
        java.util.Arrays.fill(r, 0, p, b);
        if (a > 1) {
            r[p] = a;
        }
        return r;
    }

    /** @return the largest divisor of m whose prime factors are all &le; k+1 */
    private int smoothPart(int m) {
        int s = 1;
        int left = m;
        for (int q = 2; q <= b; q++) {
            while (left % q == 0) {
                left /= q;
                s *= q;
            }
        }
        return s;
    }

    /** Packs the prime factors of a (k+1)-smooth m into as few radices &le; k+1 as first-fit decreasing finds. */
    private int[] packedRadices(int m) {
        List<Integer> primes = new ArrayList<>();
        int left = m;
        for (int q = b; q >= 2; q--) {
            while (left % q == 0 && isPrime(q)) {
                left /= q;
                primes.add(q);
            }
        }
        List<Integer> bins = new ArrayList<>();
        for (int q : primes) {
            boolean placed = false;
            for (int i = 0; i < bins.size() && !placed; i++) {
                if (bins.get(i) * q <= b) {
                    bins.set(i, bins.get(i) * q);
                    placed = true;
                }
            }
            if (!placed) {
                bins.add(q);
            }
        }
        return bins.stream().mapToInt(Integer::intValue).toArray();
    }

    private static boolean isPrime(int q) {
        for (int d = 2; d * d <= q; d++) {
            if (q % d == 0) {
                return false;
            }
        }
        return q >= 2;
    }

    private Round round(int r) {
        while (rounds.size() <= r) {
            rounds.add(new Round(n));
        }
        return rounds.get(r);
    }

    private static int pow(int base, int exp) {
        int v = 1;
        for (int i = 0; i < exp; i++) {
            v *= base;
        }
        return v;
    }

    private static int[] range(int from, int count) {
        int[] r = new int[count];
        for (int i = 0; i < count; i++) {
            r[i] = from + i;
        }
        return r;
    }

    private static int[] slice(int[] a, int from, int to) {
        return java.util.Arrays.copyOfRange(a, from, to);
    }

    /** One symmetric matrix under construction; a rank given no role keeps its value (weight 1). */
    private static final class Round {
        final double[] self;
        final List<List<Integer>> neighbors;
        final List<List<Double>> weights;

        Round(int n) {
            self = new double[n];
            java.util.Arrays.fill(self, 1.0);
            neighbors = new ArrayList<>(n);
            weights = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                neighbors.add(new ArrayList<>());
                weights.add(new ArrayList<>());
            }
        }

        void edge(int i, int j, double w) {
            if (neighbors.get(i).contains(j)) {
                throw new AssertionError("edge " + i + "-" + j + " placed twice in one round");
            }
            neighbors.get(i).add(j);
            weights.get(i).add(w);
            neighbors.get(j).add(i);
            weights.get(j).add(w);
        }

        void clique(int[] members) {
            double w = 1.0 / members.length;
            for (int x = 0; x < members.length; x++) {
                self[members[x]] = w;
                for (int y = x + 1; y < members.length; y++) {
                    edge(members[x], members[y], w);
                }
            }
        }

        Topology toTopology() {
            int n = self.length;
            int[][] in = new int[n][];
            double[][] w = new double[n][];
            for (int i = 0; i < n; i++) {
                in[i] = neighbors.get(i).stream().mapToInt(Integer::intValue).toArray();
                w[i] = weights.get(i).stream().mapToDouble(Double::doubleValue).toArray();
            }
            return Topology.of(self.clone(), in, w);
        }
    }
}
