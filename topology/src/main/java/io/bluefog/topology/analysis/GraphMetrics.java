package io.bluefog.topology.analysis;

import io.bluefog.topology.Topology;
import java.util.Arrays;

/** Combinatorial properties of the communication graph of a topology (self loops excluded). */
public final class GraphMetrics {
    private GraphMetrics() {
    }

    /** @return the largest in-degree over all ranks */
    public static int maxInDegree(Topology t) {
        int max = 0;
        for (int r = 0; r < t.size(); r++) {
            max = Math.max(max, t.inDegree(r));
        }
        return max;
    }

    /** @return the largest out-degree over all ranks (messages a rank sends per neighbor average) */
    public static int maxOutDegree(Topology t) {
        int max = 0;
        for (int r = 0; r < t.size(); r++) {
            max = Math.max(max, t.outDegree(r));
        }
        return max;
    }

    /** @return the number of directed edges (self loops excluded) */
    public static int edgeCount(Topology t) {
        int e = 0;
        for (int r = 0; r < t.size(); r++) {
            e += t.outDegree(r);
        }
        return e;
    }

    /**
     * Diameter of the directed graph along the direction information flows (j to i when i
     * receives from j): the longest shortest path, by breadth-first search from every rank
     * (O(n (n + E)); Floyd–Warshall's O(n^3) would be slow at n = 1024).
     *
     * @return the diameter in hops, 0 for n = 1, or -1 if some rank cannot reach another (not
     *         strongly connected)
     */
    public static int diameter(Topology t) {
        int n = t.size();
        int[][] out = new int[n][];
        for (int r = 0; r < n; r++) {
            out[r] = t.outNeighbors(r);
        }
        int[] dist = new int[n];
        int[] queue = new int[n];
        int diameter = 0;
        for (int s = 0; s < n; s++) {
            Arrays.fill(dist, -1);
            dist[s] = 0;
            int head = 0;
            int tail = 0;
            queue[tail++] = s;
            while (head < tail) {
                int u = queue[head++];
                for (int v : out[u]) {
                    if (dist[v] < 0) {
                        dist[v] = dist[u] + 1;
                        queue[tail++] = v;
                    }
                }
            }
            if (tail < n) {
                return -1;
            }
            diameter = Math.max(diameter, dist[queue[tail - 1]]);
        }
        return diameter;
    }
}
