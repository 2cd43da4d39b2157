package org.updraft.ledger.evm.internal;

import java.time.Duration;
import java.util.Optional;

import org.updraft.api.ledger.CheckpointAnchors;
import org.updraft.api.ledger.ReleaseAnchors;

/**
 * What the EVM ledger has anchored on its chain, read from the chain itself. The local transparency log stays the
 * record of every event; the chain holds what must outlive the platform: trust changes and releases (one transaction
 * each) and log checkpoints (tree size and root, one transaction per batch of events).
 *
 * <p>Others see the API's part, {@link ReleaseAnchors} and {@link CheckpointAnchors}; the rest is for the EVM trust
 * store, which waits for its changes to be anchored, and for this bundle's tests. Every method that reads the chain
 * throws {@link org.updraft.api.ledger.LedgerException} when the chain cannot be reached.
 */
public interface ChainAnchors extends ReleaseAnchors, CheckpointAnchors {

    /**
     * The chain's EIP-155 id, e.g. 1 for Ethereum, 4689 for IoTeX, 1337 for a ganache test chain: the configured
     * {@code chain.id}, or the node's once reached when none is configured; 0 until then.
     */
    long chainId();

    /** The registry contract's address ({@code 0x} + 40 hex digits), or empty until it is deployed. */
    Optional<String> contract();

    /** Where anchoring stands now, from memory (does not read the chain). */
    AnchoringStatus status();

    /**
     * Waits until the anchoring has dealt with the local-log event at {@code index}: anchored it, refused it
     * (the contract said no) or found it needs no anchoring.
     *
     * @return what happened to the event, or {@link AnchorOutcome.State#PENDING} when the time ran out
     */
    AnchorOutcome awaitAnchored(long index, Duration timeout) throws InterruptedException;
}
