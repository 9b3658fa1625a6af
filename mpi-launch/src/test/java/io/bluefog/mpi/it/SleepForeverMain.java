package io.bluefog.mpi.it;

/** A rank that never ends (no MPI at all): {@link MpiRunMpiTest} checks that MpiRun's timeout kills the job. */
public final class SleepForeverMain {
    private SleepForeverMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        System.out.println("sleeping");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
