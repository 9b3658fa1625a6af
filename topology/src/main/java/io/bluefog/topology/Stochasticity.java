package io.bluefog.topology;

/**
 * Which sums of a mixing matrix W must equal 1. Row i of W holds the weights rank i receives with
 * (self included); column j holds what rank j's value contributes to all ranks.
 */
public enum Stochasticity {
    /** Rows sum to 1: every rank computes a weighted average (consensus to some point, D-SGD on directed graphs). */
    ROW,
    /** Columns sum to 1: mass is preserved (push-sum / Stochastic Gradient Push). */
    COLUMN,
    /** Rows and columns sum to 1: the average of all ranks is preserved (D-SGD, Exact Diffusion, DIGing). */
    DOUBLY
}
