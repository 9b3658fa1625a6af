/**
 * Communication steps of decentralized algorithms built from the collectives, for optimizers:
 * periodic global averaging (Gossip-PGA), the Exact Diffusion / D² combine with
 * {@code W̄ = (I + W)/2}, and the gradient-tracking (DIGing) mix-and-track steps.
 */
package io.bluefog.collectives.averaging;
