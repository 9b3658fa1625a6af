package io.bluefog.collectives.engine;

/** The operations the engine executes; the ordinal is part of the wire header, so only append. */
public enum OpKind {
    ALLREDUCE("allreduce", true, false),
    BROADCAST("broadcast", true, false),
    ALLGATHER("allgather", false, true),
    BARRIER("barrier", false, false),
    NEIGHBOR_ALLREDUCE("neighborAllreduce", true, false),
    NEIGHBOR_ALLGATHER("neighborAllgather", false, true),
    HIERARCHICAL_NEIGHBOR_ALLREDUCE("hierarchicalNeighborAllreduce", false, false),
    PAIR_GOSSIP("pairGossip", false, false),
    LOCAL_ALLREDUCE("localAllreduce", true, false);

    private final String apiName;
    private final boolean fusable;
    private final boolean firstDimMayDiffer;

    OpKind(String apiName, boolean fusable, boolean firstDimMayDiffer) {
        this.apiName = apiName;
        this.fusable = fusable;
        this.firstDimMayDiffer = firstDimMayDiffer;
    }

    /** @return the method name users know the operation by */
    public String apiName() {
        return apiName;
    }

    /** @return whether consecutive calls with equal parameters may be packed into one message */
    public boolean fusable() {
        return fusable;
    }

    /** @return whether ranks may pass tensors whose first dimension differs (gathers) */
    public boolean firstDimMayDiffer() {
        return firstDimMayDiffer;
    }
}
