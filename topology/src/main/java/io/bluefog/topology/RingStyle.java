package io.bluefog.topology;

/**
 * The connect styles of BlueFog's {@code RingGraph(size, connect_style)}; see
 * {@link Topologies#ring(int, RingStyle)}.
 */
public enum RingStyle {
    /** BlueFog's connect style 0: rank i receives from i-1 and i+1 (weights 1/3). */
    BIDIRECTIONAL,
    /** BlueFog's connect style 1 (left connection): rank i sends to i-1, so it receives from i+1 (weights 1/2). */
    LEFT,
    /** BlueFog's connect style 2 (right connection): rank i sends to i+1, so it receives from i-1 (weights 1/2). */
    RIGHT
}
