package org.updraft.api.ledger;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The append-only ledger. Events form an RFC 9162 (Certificate Transparency v2) Merkle tree: leaf
 * {@code i} hashes the encoded event as {@code SHA-256(0x00 || event)}, interior nodes as
 * {@code SHA-256(0x01 || left || right)}. A device holding only the log's public key ({@link #logKey()})
 * checks a {@link Checkpoint}'s signature and, with an {@link InclusionProof}, that an event is in it.
 *
 * <p>Implementations register with the service property {@value #KIND} ({@code local}, {@code evm}, …).
 * <ul>
 * <li>{@link #append} returns only once the event is durable: it survives a crash of the process.</li>
 * <li>Indexes are dense, from 0; an event, once appended, never changes.</li>
 * </ul>
 */
@ProviderType
public interface Ledger {

    /** Service property naming the backend, e.g. {@code ledger.kind=local}. */
    String KIND = "ledger.kind";

    /** Service property of the platform's ledger that forwards to the backend chosen in {@code org.updraft.backends}. */
    String ROLE = "ledger.role";

    /**
     * Target filter of the ledger every platform component uses: the one the backend switch ({@code org.updraft.backends},
     * {@code ledger}) forwards to the chosen backend. It stays registered while backends come and go; while the chosen
     * one is not running its methods throw {@link LedgerException} saying so.
     */
    String SELECTED = "(" + ROLE + "=selected)";

    /** Appends the event durably and returns its index and leaf hash. */
    AppendReceipt append(LedgerEvent event) throws LedgerException;

    /** Number of events in the log. */
    long size() throws LedgerException;

    /** The event at {@code index}, with its leaf hash as the log holds it. */
    LedgerEntry get(long index) throws LedgerException;

    /**
     * Up to {@code max} events from {@code fromIndex} on, in order; fewer (or none) at the end of the log.
     */
    List<LedgerEntry> read(long fromIndex, int max) throws LedgerException;

    /**
     * A checkpoint over the whole log as it is now, signed by the log key. The log signs a new one only when its
     * size changed since the last it issued (otherwise it returns that one), and keeps every checkpoint it
     * issues before returning it (see {@link #checkpoints}).
     */
    Checkpoint checkpoint() throws LedgerException;

    /**
     * Up to {@code max} of the checkpoints this log has issued, those with {@code treeSize >= fromTreeSize},
     * oldest first; fewer (or none) after the newest. An auditor recomputes the tree from the events and checks
     * every issued checkpoint's root against it: that makes tampering with stored events evident.
     */
    List<Checkpoint> checkpoints(long fromTreeSize, int max) throws LedgerException;

    /** Proof that the event at {@code index} is in the tree of the first {@code treeSize} events. */
    InclusionProof inclusionProof(long index, long treeSize) throws LedgerException;

    /** Proof that the tree of {@code firstSize} events is a prefix of the tree of {@code secondSize}. */
    ConsistencyProof consistencyProof(long firstSize, long secondSize) throws LedgerException;

    /** The log's public key as a did:key; devices are provisioned with it. */
    String logKey() throws LedgerException;

    /**
     * The conditional appends and leases of a ledger that several platform nodes append to, or empty for a ledger
     * only this node writes (the local file): there, this node's own locks already make each decision single.
     */
    default Optional<DecisionLeases> decisions() {
        return Optional.empty();
    }

    /**
     * Where views of this ledger keep their snapshots, or empty when this backend keeps none (views then replay the
     * whole log at start).
     */
    default Optional<ViewSnapshots> snapshots() {
        return Optional.empty();
    }
}
