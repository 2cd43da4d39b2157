package org.updraft.api.ledger;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Decisions that must be taken once among the platform nodes sharing a ledger ({@link Ledger#decisions()}): a
 * rollout's wave advance and pause, a wave's download slots.
 * <ul>
 * <li>Safety: a decision is appended with {@link #appendDecision}, which checks its {@link AppendCondition} in the
 * transaction that appends it. Two nodes deciding the same thing on the same view append one event; a node that
 * decided on an old view appends nothing.</li>
 * <li>Liveness: a lease names the node that must look at a subject now and then ({@link #claim}), so that a
 * decision whose trigger reached a node that died before deciding is taken by another once the lease lapses.
 * Leases are timed by the database's clock and renewed while their holder is alive.</li>
 * </ul>
 */
@ProviderType
public interface DecisionLeases {

    /** This node's id, the holder of the leases it claims. */
    String nodeId();

    /**
     * Claims the lease {@code name} for this node, or renews it when this node holds it already.
     *
     * @return the lease, or empty when another node holds it and it has not lapsed
     * @throws LedgerException when the database cannot be asked now
     */
    Optional<Lease> claim(String name) throws LedgerException;

    /** Gives the lease up at once (a node that stops), so that another node need not wait for it to lapse. */
    void release(Lease lease) throws LedgerException;

    /** Every lease recorded, held or lapsed, by name. */
    List<Lease> leases() throws LedgerException;

    /**
     * Appends the event durably if {@code condition} holds in the transaction that appends it, as {@link Ledger#append}.
     *
     * @return its receipt, or empty when the condition does not hold (nothing was appended)
     */
    Optional<AppendReceipt> appendDecision(LedgerEvent event, AppendCondition condition) throws LedgerException;
}
