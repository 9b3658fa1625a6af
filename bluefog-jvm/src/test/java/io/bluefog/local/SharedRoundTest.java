package io.bluefog.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.BlueFogTimeoutException;
import io.bluefog.CollectiveMismatchException;
import io.bluefog.CommunicationException;
import io.bluefog.comm.SharedMemoryExchange;
import io.bluefog.comm.SharedMemoryExchange.RoundWork;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;

/**
 * The phase gate of LocalCluster's rounds ({@link Gate}: wake-up tree, deadline, failure wake-up)
 * and shared rounds whose work is done before any rank is released
 * ({@link SharedMemoryExchange#share(Object, String, long, Runnable, java.util.function.Function,
 * RoundWork)}): each part exactly once, at most one worker per core, errors raised on every rank,
 * never run when the calls disagree.
 */
class SharedRoundTest {
    /** A hang guard, not a speed claim: every case here takes milliseconds. */
    private static final Duration GUARD = Duration.ofSeconds(60);
    private static final long TIMEOUT_MILLIS = 30_000;

    @Test
    void aGateReleasesEveryWaiterThroughTheWakeUpTree() throws Exception {
        int n = 64;
        World world = new World(n, n, TIMEOUT_MILLIS, 0);
        Gate gate = new Gate(n);
        world.register(gate);
        int completer = 37; // not rank 0: its own children and rank 0 start the tree
        AtomicInteger passed = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            if (r == completer) {
                continue;
            }
            int rank = r;
            Thread t = new Thread(() -> {
                gate.await(world, rank, "test gate", TIMEOUT_MILLIS, () -> "never", () -> null);
                passed.incrementAndGet();
            });
            t.start();
            threads.add(t);
        }
        assertEquals(0, passed.get(), "a waiter passed before the gate was complete");
        gate.complete(completer);
        assertTimeoutPreemptively(GUARD, () -> {
            for (Thread t : threads) {
                t.join();
            }
        });
        assertEquals(n - 1, passed.get());
    }

    @Test
    void aGateWaitEndsAtItsDeadlineNamingWhatIsMissing() {
        World world = new World(2, 2, TIMEOUT_MILLIS, 0);
        Gate gate = new Gate(2);
        BlueFogTimeoutException e = assertThrows(BlueFogTimeoutException.class, () -> assertTimeoutPreemptively(GUARD,
                () -> gate.await(world, 1, "test gate", 50, () -> "rank 0 never came", () -> null)));
        assertTrue(e.getMessage().contains("rank 0 never came"), e.getMessage());
    }

    @Test
    void aFailureWakesGateWaitersAtOnce() throws Exception {
        World world = new World(2, 2, TIMEOUT_MILLIS, 0);
        Gate gate = new Gate(2);
        world.register(gate);
        Throwable[] thrown = new Throwable[1];
        Thread waiter = new Thread(() -> {
            try {
                gate.await(world, 1, "test gate", TIMEOUT_MILLIS, () -> "never", () -> null);
            } catch (RuntimeException e) {
                thrown[0] = e;
            }
        });
        waiter.start();
        world.fail(0, new IllegalStateException("boom"));
        assertTimeoutPreemptively(GUARD, () -> waiter.join());
        assertTrue(thrown[0] instanceof CommunicationException, String.valueOf(thrown[0]));
        assertTrue(thrown[0].getMessage().contains("rank 0 failed"), thrown[0].getMessage());
    }

    /** Records which parts ran, how often, on how many workers at once, and what prepare saw. */
    private static final class Recording implements RoundWork {
        final int parts;
        final AtomicIntegerArray runs;
        final AtomicInteger prepares;
        final AtomicInteger workers;
        final int[] seen;
        final int failAt;

        Recording(int parts, AtomicIntegerArray runs, AtomicInteger prepares, AtomicInteger workers, int[] seen,
                int failAt) {
            this.parts = parts;
            this.runs = runs;
            this.prepares = prepares;
            this.workers = workers;
            this.seen = seen;
            this.failAt = failAt;
        }

        @Override
        public int prepare(Object[] all) {
            prepares.incrementAndGet();
            for (int r = 0; r < all.length; r++) {
                seen[r] = (Integer) all[r];
            }
            return parts;
        }

        @Override
        public void work(IntSupplier next) {
            workers.incrementAndGet();
            for (int i = next.getAsInt(); i >= 0; i = next.getAsInt()) {
                if (i == failAt) {
                    throw new IllegalStateException("part " + i + " failed");
                }
                runs.incrementAndGet(i);
            }
        }
    }

    @Test
    void theWorkRunsEachPartOnceBeforeAnyRankIsReleased() {
        int n = 12;
        int parts = 500;
        AtomicIntegerArray runs = new AtomicIntegerArray(parts);
        AtomicInteger prepares = new AtomicInteger();
        AtomicInteger workers = new AtomicInteger();
        int[] seen = new int[n];
        List<Boolean> complete = assertTimeoutPreemptively(GUARD, () -> LocalCluster.builder(n).build().call(bf -> {
            SharedMemoryExchange shm = (SharedMemoryExchange) bf.communicator();
            SharedMemoryExchange.Shared round = shm.share(100 + bf.rank(), "work", TIMEOUT_MILLIS, () -> { },
                    absent -> "absent " + absent, new Recording(parts, runs, prepares, workers, seen, -1));
            round.leave();
            boolean all = true; // what this rank sees on release: every part done
            for (int i = 0; i < parts; i++) {
                all &= runs.get(i) == 1;
            }
            return all;
        }));
        for (int r = 0; r < n; r++) {
            assertTrue(complete.get(r), "rank " + r + " was released before the work was done");
            assertEquals(100 + r, seen[r], "prepare saw the wrong object of rank " + r);
        }
        assertEquals(1, prepares.get(), "prepare runs once per round");
        for (int i = 0; i < parts; i++) {
            assertEquals(1, runs.get(i), "part " + i);
        }
        assertTrue(workers.get() >= 1 && workers.get() <= Rounds.WORKERS, workers.get() + " workers");
    }

    @Test
    void anErrorInTheWorkIsRaisedOnEveryRankAndTheNextRoundStillMeets() {
        int n = 6;
        AtomicIntegerArray runs = new AtomicIntegerArray(50);
        Set<String> messages = ConcurrentHashMap.newKeySet();
        List<Integer> after = assertTimeoutPreemptively(GUARD, () -> LocalCluster.builder(n).build().call(bf -> {
            SharedMemoryExchange shm = (SharedMemoryExchange) bf.communicator();
            CommunicationException e = assertThrows(CommunicationException.class, () -> shm.share(bf.rank(), "work",
                    TIMEOUT_MILLIS, () -> { }, absent -> "absent " + absent,
                    new Recording(50, runs, new AtomicInteger(), new AtomicInteger(), new int[n], 7)));
            messages.add(String.valueOf(e.getCause().getMessage()));
            bf.communicator().barrier(); // the failed round was left by every rank: the ranks stay in step
            return bf.rank();
        }));
        assertEquals(n, after.size());
        assertEquals(Set.of("part 7 failed"), messages);
        assertEquals(0, runs.get(7));
    }

    @Test
    void disagreeingCallsFailOnEveryRankWithoutRunningTheWork() {
        int n = 4;
        AtomicInteger prepares = new AtomicInteger();
        List<String> failures = assertTimeoutPreemptively(GUARD, () -> LocalCluster.builder(n).build().call(bf -> {
            Runnable call = bf.rank() == 2 ? () -> bf.communicator().barrier()
                    : () -> ((SharedMemoryExchange) bf.communicator()).share(bf.rank(), "work", TIMEOUT_MILLIS, () -> { },
                            absent -> "absent " + absent, new Recording(3, new AtomicIntegerArray(3), prepares,
                                    new AtomicInteger(), new int[n], -1));
            CollectiveMismatchException e = assertThrows(CollectiveMismatchException.class, call::run);
            return e.getMessage();
        }));
        assertEquals(0, prepares.get(), "the work ran although the calls disagree");
        for (String m : failures) {
            assertTrue(m.contains("barrier") && m.contains("share"), m);
        }
    }
}
