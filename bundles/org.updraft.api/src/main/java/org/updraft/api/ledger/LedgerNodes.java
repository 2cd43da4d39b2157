package org.updraft.api.ledger;

import java.util.List;

/**
 * The platform nodes that share a ledger, as the ledger sees them: a ledger several nodes append to (PostgreSQL)
 * registers this beside its {@link Ledger}, each node saying it is alive there at an interval. A ledger only one
 * node uses (the local file) registers none.
 */
public interface LedgerNodes {

    /** This node's id in the list. */
    String nodeId();

    /**
     * Every node that said it was alive in the last days, this one included, by id.
     *
     * @throws LedgerException when the ledger cannot be read now
     */
    List<LedgerNode> nodes() throws LedgerException;
}
