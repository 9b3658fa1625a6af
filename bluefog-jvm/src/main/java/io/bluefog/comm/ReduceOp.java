package io.bluefog.comm;

/** Element-wise reduction of {@link Communicator#allreduce}. {@code AVG} is the sum divided by {@code size()}. */
public enum ReduceOp {
    /** Element-wise sum over ranks (MPI_SUM). */
    SUM,
    /** Element-wise sum divided by the number of ranks. */
    AVG,
    /** Element-wise minimum over ranks (MPI_MIN). */
    MIN,
    /** Element-wise maximum over ranks (MPI_MAX). */
    MAX
}
