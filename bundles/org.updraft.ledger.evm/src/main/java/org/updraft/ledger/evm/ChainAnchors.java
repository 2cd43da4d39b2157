package org.updraft.ledger.evm;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;
import org.updraft.api.ledger.LedgerException;
import org.updraft.api.ledger.ReleaseAnchors;

/**
 * What the EVM ledger backend has anchored on its chain, read from the chain itself. The local transparency log
 * stays the record of every event; the chain holds what must outlive the platform: trust changes and releases
 * (one transaction each) and log checkpoints (tree size and root, one transaction per batch of events).
 *
 * <p>Registered by the {@code ledger.kind=evm} backend. Where a release is on chain is
 * {@link ReleaseAnchors#find(String)} (the API's, which the update service uses too); every method that reads the
 * chain throws {@link LedgerException} when the chain cannot be reached.
 */
@ProviderType
public interface ChainAnchors extends ReleaseAnchors {

    /** The chain's EIP-155 id, e.g. 1 for Ethereum, 4689 for IoTeX, 1337 for a ganache test chain. */
    long chainId();

    /** The registry contract's address ({@code 0x} + 40 hex digits), or empty until it is deployed. */
    Optional<String> contract();

    /** Every checkpoint anchored on chain, oldest first. */
    List<AnchoredCheckpoint> checkpoints() throws LedgerException;

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
