package org.updraft.api.ledger;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The log checkpoints a ledger backend has anchored on a blockchain (the EVM backend), read from the chain itself,
 * for auditors: {@code updraft:ledger-verify --chain} checks the local log against each of them. Register it with
 * the backend's {@link Ledger#KIND} property.
 */
@ProviderType
public interface CheckpointAnchors {

    /**
     * Every checkpoint anchored on the chain, oldest first (by {@link CheckpointAnchor#number()}); empty while none
     * is.
     *
     * @throws LedgerException when the chain cannot be read now, or nothing has been anchored on it because it has
     *         not been reached yet
     */
    List<CheckpointAnchor> anchored() throws LedgerException;
}
