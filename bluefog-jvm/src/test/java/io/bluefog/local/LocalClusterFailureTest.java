package io.bluefog.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bluefog.BlueFogException;
import io.bluefog.BlueFogTimeoutException;
import io.bluefog.CommunicationException;
import io.bluefog.comm.ReduceOp;
import io.bluefog.comm.Request;
import io.bluefog.testing.DirectBuffers;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.Test;

/** Failures and timeouts end a LocalCluster job promptly instead of hanging it. */
class LocalClusterFailureTest {
    /**
     * A failure must end the job before any wait could have timed out: half the cluster's default
     * timeout (120 s). A hang guard, not a speed claim: a prompt failure takes milliseconds.
     */
    private static final Duration PROMPT = Duration.ofMillis(LocalCluster.DEFAULT_TIMEOUT_MILLIS / 2);

    /**
     * Keeps a rank alive without communicating until its peers are done, however long they take to
     * get there (a rank that returned would fail them at once instead of letting them time out).
     */
    private static void stayAliveUntil(CountDownLatch peersDone) throws InterruptedException {
        assertTrue(peersDone.await(PROMPT.toMillis(), TimeUnit.MILLISECONDS), "peers never finished");
    }

    @Test
    void oneRankThrowingReleasesTheOthersAndRunRethrowsIt() {
        int n = 4;
        int failing = 2;
        IllegalStateException boom = new IllegalStateException("boom");
        AtomicReferenceArray<Throwable> seen = new AtomicReferenceArray<>(n);
        IllegalStateException thrown = assertTimeoutPreemptively(PROMPT, () -> assertThrows(
                IllegalStateException.class, () -> LocalCluster.run(n, bf -> {
                    if (bf.rank() == failing) {
                        Thread.sleep(200); // let the others block first
                        throw boom;
                    }
                    try {
                        // The others block in different places: a collective and a receive.
                        if (bf.rank() % 2 == 0) {
                            bf.communicator().allreduce(DirectBuffers.floats(3), ReduceOp.SUM);
                        } else {
                            bf.communicator().irecv(DirectBuffers.floats(3), failing, 0).waitFor();
                        }
                    } catch (Throwable t) {
                        seen.set(bf.rank(), t);
                        throw t;
                    }
                })));
        assertSame(boom, thrown, "run() rethrows the failing rank's own exception");
        assertEquals(0, thrown.getSuppressed().length, "released ranks' exceptions are consequences, not suppressed");
        for (int r = 0; r < n; r++) {
            if (r != failing) {
                Throwable t = seen.get(r);
                assertTrue(t instanceof CommunicationException, "rank " + r + " released with " + t);
                assertTrue(t.getMessage().contains("rank " + failing + " failed"), t.getMessage());
                assertSame(boom, t.getCause());
            }
        }
    }

    @Test
    void laterCallsAfterAFailureThrowAtOnce() {
        CommunicationException e = assertTimeoutPreemptively(PROMPT, () -> assertThrows(CommunicationException.class,
                () -> LocalCluster.run(2, bf -> {
                    if (bf.rank() == 0) {
                        throw new CommunicationException("rank 0 gives up");
                    }
                    Thread.sleep(300); // rank 0 has failed by now
                    bf.communicator().barrier();
                })));
        assertEquals("rank 0 gives up", e.getMessage());
    }

    @Test
    void checkedExceptionIsWrappedNamingTheRank() {
        IOException io = new IOException("disk gone");
        BlueFogException e = assertThrows(BlueFogException.class, () -> LocalCluster.run(3, bf -> {
            if (bf.rank() == 1) {
                throw io;
            }
        }));
        assertSame(io, e.getCause());
        assertTrue(e.getMessage().contains("rank 1"), e.getMessage());
    }

    @Test
    void assertionErrorOnARankFailsTheRun() {
        AssertionError e = assertThrows(AssertionError.class, () -> LocalCluster.run(2, bf -> {
            if (bf.rank() == 1) {
                throw new AssertionError("expected 3 but was 4");
            }
            bf.communicator().barrier();
        }));
        assertEquals("expected 3 but was 4", e.getMessage());
    }

    @Test
    void independentFailuresOfOtherRanksAreSuppressed() {
        RuntimeException e = assertThrows(RuntimeException.class, () -> LocalCluster.run(2, bf -> {
            throw new UnsupportedOperationException("rank " + bf.rank());
        }));
        assertEquals(1, e.getSuppressed().length);
        assertTrue(e.getSuppressed()[0] instanceof UnsupportedOperationException);
    }

    @Test
    void missingPeerInCollectiveTimesOut() {
        LocalCluster cluster = LocalCluster.builder(3).timeoutMillis(300).build();
        CountDownLatch othersDone = new CountDownLatch(2);
        long start = System.nanoTime();
        BlueFogTimeoutException e = assertTimeoutPreemptively(PROMPT, () -> assertThrows(
                BlueFogTimeoutException.class, () -> cluster.run(bf -> {
                    if (bf.rank() != 2) { // rank 2 never calls the barrier
                        try {
                            bf.communicator().barrier();
                        } finally {
                            othersDone.countDown();
                        }
                    } else {
                        stayAliveUntil(othersDone); // alive, so only the timeout can end the wait
                    }
                })));
        long millis = (System.nanoTime() - start) / 1_000_000L;
        assertTrue(millis >= 300, "timed out after " + millis + " ms, before the timeout");
        assertTrue(e.getMessage().contains("barrier") && e.getMessage().contains("[2]"), e.getMessage());
    }

    @Test
    void missingSenderTimesOut() {
        LocalCluster cluster = LocalCluster.builder(2).timeoutMillis(200).build();
        CountDownLatch receiverDone = new CountDownLatch(1);
        BlueFogTimeoutException e = assertTimeoutPreemptively(PROMPT, () -> assertThrows(
                BlueFogTimeoutException.class, () -> cluster.run(bf -> {
                    if (bf.rank() == 0) {
                        try {
                            bf.communicator().irecv(DirectBuffers.floats(1), 1, 9).waitFor();
                        } finally {
                            receiverDone.countDown();
                        }
                    } else {
                        stayAliveUntil(receiverDone);
                    }
                })));
        assertTrue(e.getMessage().contains("rank 1 posted no matching isend to rank 0 with tag 9"), e.getMessage());
    }

    @Test
    void largeSendWithoutReceiverTimesOutButSmallOneCompletes() {
        // 64 KiB is the eager limit: 16384 floats are buffered, 16385 wait for a receive.
        LocalCluster cluster = LocalCluster.builder(2).timeoutMillis(200).build();
        cluster.run(bf -> {
            if (bf.rank() == 0) {
                Request r = bf.communicator().isend(DirectBuffers.floats(16384), 1, 0);
                assertTrue(r.test(), "eager send completes without a receive");
            }
        });
        CountDownLatch senderDone = new CountDownLatch(1);
        BlueFogTimeoutException e = assertThrows(BlueFogTimeoutException.class, () -> cluster.run(bf -> {
            if (bf.rank() == 0) {
                try {
                    bf.communicator().isend(DirectBuffers.floats(16385), 1, 0).waitFor();
                } finally {
                    senderDone.countDown();
                }
            } else {
                stayAliveUntil(senderDone);
            }
        }));
        assertTrue(e.getMessage().contains("rank 1 posted no matching irecv"), e.getMessage());
    }

    @Test
    void waitingForAFinishedRankFailsAtOnceInsteadOfTimingOut() {
        long start = System.nanoTime();
        CommunicationException e = assertTimeoutPreemptively(PROMPT, () -> assertThrows(CommunicationException.class,
                () -> LocalCluster.run(3, bf -> {
                    if (bf.rank() == 0) {
                        bf.communicator().barrier();
                    } else if (bf.rank() == 1) {
                        bf.communicator().barrier(); // only ranks 0 and 1 arrive; rank 2 has returned
                    }
                })));
        assertTrue(e.getMessage().contains("ranks [2] finished without making the matching call"), e.getMessage());
        CommunicationException r = assertThrows(CommunicationException.class, () -> LocalCluster.run(2, bf -> {
            if (bf.rank() == 0) {
                Thread.sleep(100);
                bf.communicator().irecv(DirectBuffers.floats(1), 1, 0).waitFor();
            }
        }));
        assertTrue(r.getMessage().contains("rank 1 finished without making the matching call"), r.getMessage());
        // An eager message sent before the sender returned is still delivered.
        LocalCluster.run(2, bf -> {
            if (bf.rank() == 1) {
                bf.communicator().isend(DirectBuffers.floatsOf(5f), 0, 0).waitFor();
            } else {
                Thread.sleep(100);
                FloatBuffer in = DirectBuffers.floats(1);
                bf.communicator().irecv(in, 1, 0).waitFor();
                assertEquals(5f, in.get(0));
            }
        });
        assertTrue((System.nanoTime() - start) / 1_000_000L < PROMPT.toMillis(), "no timeout was waited for");
    }

    @Test
    void abortReleasesEveryoneAndRunRethrowsTheCause() {
        IllegalStateException cause = new IllegalStateException("diverged");
        IllegalStateException e = assertTimeoutPreemptively(PROMPT, () -> assertThrows(IllegalStateException.class,
                () -> LocalCluster.run(3, bf -> {
                    if (bf.rank() == 1) {
                        bf.communicator().abort(3, cause);
                    }
                    bf.communicator().barrier();
                })));
        assertSame(cause, e);
    }

    @Test
    void closedCommunicatorRejectsCalls() {
        LocalCluster.run(1, bf -> {
            bf.close();
            FloatBuffer x = DirectBuffers.floats(1);
            CommunicationException e = assertThrows(CommunicationException.class,
                    () -> bf.communicator().allreduce(x, ReduceOp.SUM));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
        });
    }
}
