package io.bluefog.mpi.it;

import io.bluefog.BlueFog;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Job for {@link FailureMpiTest}: the last rank dies of an uncaught exception while every other rank
 * waits in a barrier that can never complete.
 *
 * <ul>
 *   <li>{@code main}: the exception ends the last rank's main thread (mpirun would also notice the
 *       process exiting without MPI_Finalize).</li>
 *   <li>{@code worker-thread}: the exception ends a worker thread while the last rank's main thread
 *       keeps waiting for a message that never comes; the process stays alive, so only the MPI
 *       transport's abort handler can end the job.</li>
 *   <li>{@code timeline}: as {@code main}, after every rank recorded an event "before the failure"
 *       on its timeline ({@code -DBLUEFOG_TIMELINE=prefix}).</li>
 *   <li>{@code try-block}: the exception leaves a try-with-resources block around the context, so
 *       the failing rank closes its communicator before the handler runs; closing must not block
 *       (MPI_Finalize is collective and the others wait in a barrier).</li>
 * </ul>
 */
public final class FailingRankMain {
    /** Printed in the failing rank's exception, so the test can tell who failed. */
    static final String MESSAGE = "deliberate failure of the last rank";

    private FailingRankMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        String mode = args.length > 0 ? args[0] : "main";
        if (mode.equals("try-block")) {
            tryBlock(args);
            return;
        }
        BlueFog bf = BlueFog.init(args);
        int last = bf.size() - 1;
        if (mode.equals("timeline")) {
            bf.timeline().instant("test", "before the failure");
        }
        if (bf.rank() == last) {
            RuntimeException failure = failure(bf);
            if (mode.equals("main") || mode.equals("timeline")) {
                throw failure;
            }
            Thread worker = new Thread(() -> {
                throw failure;
            }, "failing-worker");
            worker.start();
            // Rank 0 never sends this message: without the abort handler this rank would wait forever.
            ByteBuffer bytes = ByteBuffer.allocateDirect(Float.BYTES).order(ByteOrder.nativeOrder());
            bf.communicator().irecv(bytes.asFloatBuffer(), 0, 1).waitFor();
        } else {
            bf.communicator().barrier();
        }
        System.out.println("rank " + bf.rank() + " passed a barrier it should never pass");
        bf.close();
    }

    /** The usual program shape: the exception leaves a try-with-resources block, so close() runs first. */
    private static void tryBlock(String[] args) {
        try (BlueFog bf = BlueFog.init(args)) {
            if (bf.rank() == bf.size() - 1) {
                throw failure(bf);
            }
            bf.communicator().barrier();
            System.out.println("rank " + bf.rank() + " passed a barrier it should never pass");
        }
    }

    private static RuntimeException failure(BlueFog bf) {
        return new IllegalStateException(MESSAGE + " (rank " + bf.rank() + ")");
    }
}
