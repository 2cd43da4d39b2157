package org.updraft.api.ledger;

import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Where a node keeps snapshots of its views of the ledger (trust, releases, rollouts, ...), next to the log itself,
 * so that a view starts from its newest snapshot and replays only the events after it instead of the whole log.
 *
 * <p>A snapshot is opaque to the backend: the library ({@code org.updraft.core.log.ViewSnapshot}) encodes it with
 * the tree size and root hash it was taken at and checks all of it before a view uses it. The backend seals what it
 * stores with the log key ({@code ViewSnapshot.seal}), so a snapshot altered where it is stored is refused, and
 * keeps per view the snapshot of the largest tree size saved.
 */
@ProviderType
public interface ViewSnapshots {

    /** A view takes a snapshot once it applied this many events since its last one; 0: not by count. */
    long everyEvents();

    /** A view takes a snapshot once this many seconds passed since its last one and it applied events; 0: not by time. */
    long everySeconds();

    /**
     * Seals {@code snapshot} under the log key and keeps it as the view's newest, unless a snapshot of a larger tree
     * size is kept already (another node's, on a shared ledger).
     *
     * @param view the view's name: lower-case letters, digits, dots and dashes
     * @param treeSize the number of events the snapshot covers
     */
    void save(String view, long treeSize, byte[] snapshot) throws LedgerException;

    /** The view's newest snapshot as sealed by {@link #save}, or empty when none is kept. */
    Optional<byte[]> load(String view) throws LedgerException;
}
