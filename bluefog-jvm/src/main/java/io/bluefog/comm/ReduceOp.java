package io.bluefog.comm;

/** Element-wise reduction of {@link Communicator#allreduce}. {@code AVG} is the sum divided by {@code size()}. */
public enum ReduceOp {
    SUM,
    AVG,
    MIN,
    MAX
}
