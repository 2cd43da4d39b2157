package org.updraft.api.ledger;

import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Where releases are recorded on a blockchain, for ledger backends that anchor releases on one (the EVM
 * backend). The update service hands the anchor to devices with the offer, so that anyone holding the offer can
 * check the release on that chain. Register it with the backend's {@link Ledger#KIND} property.
 */
@ProviderType
public interface ReleaseAnchors {

    /**
     * Where the release was recorded on chain.
     *
     * @param releaseId the release, {@code vendor/class/sequence}
     * @return the anchor, or empty while the release is not (yet) recorded on chain
     * @throws LedgerException when the chain cannot be read now
     */
    Optional<ReleaseAnchor> find(String releaseId) throws LedgerException;
}
