package io.bluefog.optimizers.testing;

import io.bluefog.optimizers.mixing.Mixer;
import io.bluefog.topology.Topology;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * A shared-memory {@link Mixer} for unit tests of the optimizers' update equations, independent of
 * any transport: ranks are threads that publish their vectors in slots between barriers. It is a
 * reference implementation of the Mixer contract (the arithmetic is the dense definition).
 */
public final class ThreadMixers {
    private static final long TIMEOUT_SECONDS = 120;

    private ThreadMixers() {
    }

    /** Runs {@code task} on {@code n} threads, one Mixer each; returns the results in rank order. */
    public static <T> List<T> run(int n, Function<Mixer, T> task) throws Exception {
        World world = new World(n);
        List<T> results = new ArrayList<>();
        Object[] out = new Object[n];
        Throwable[] failure = new Throwable[1];
        List<Thread> threads = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            final int rank = r;
            Thread t = new Thread(() -> {
                try {
                    out[rank] = task.apply(world.mixer(rank));
                } catch (Throwable e) {
                    synchronized (failure) {
                        if (failure[0] == null) {
                            failure[0] = e;
                        }
                    }
                    world.barrier.reset();
                }
            }, "rank-" + r);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
        }
        if (failure[0] != null) {
            throw new AssertionError("a rank failed", failure[0]);
        }
        for (int r = 0; r < n; r++) {
            @SuppressWarnings("unchecked")
            T t = (T) out[r];
            results.add(t);
        }
        return results;
    }

    private static final class World {
        final int n;
        final CyclicBarrier barrier;
        final INDArray[] slots;
        final double[] scalars;

        World(int n) {
            this.n = n;
            this.barrier = new CyclicBarrier(n);
            this.slots = new INDArray[n];
            this.scalars = new double[n];
        }

        void await() {
            try {
                barrier.await(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException | BrokenBarrierException | TimeoutException e) {
                throw new IllegalStateException("barrier broken", e);
            }
        }

        Mixer mixer(int rank) {
            return new Mixer() {
                @Override
                public void neighborAverage(INDArray x, Topology t) {
                    slots[rank] = x.dup();
                    await();
                    INDArray acc = slots[rank].mul(t.selfWeight(rank));
                    int[] in = t.inNeighbors(rank);
                    double[] w = t.recvWeights(rank);
                    for (int k = 0; k < in.length; k++) {
                        acc.addi(slots[in[k]].mul(w[k]));
                    }
                    await();
                    x.assign(acc);
                }

                @Override
                public void globalAverage(INDArray x) {
                    slots[rank] = x.dup();
                    await();
                    INDArray acc = slots[0].dup();
                    for (int j = 1; j < n; j++) {
                        acc.addi(slots[j]);
                    }
                    await();
                    x.assign(acc.divi(n));
                }

                @Override
                public double sum(double value) {
                    scalars[rank] = value;
                    await();
                    double s = 0;
                    for (double v : scalars) {
                        s += v;
                    }
                    await();
                    return s;
                }

                @Override
                public void broadcast(INDArray x, int root) {
                    slots[rank] = x.dup();
                    await();
                    INDArray src = slots[root].dup();
                    await();
                    x.assign(src);
                }

                @Override
                public int rank() {
                    return rank;
                }

                @Override
                public int size() {
                    return n;
                }
            };
        }
    }
}
