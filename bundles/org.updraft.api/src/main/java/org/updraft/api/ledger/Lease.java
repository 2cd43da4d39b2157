package org.updraft.api.ledger;

import java.time.Instant;
import java.util.Objects;

/**
 * A lease on a decision that must be taken by one node at a time (a rollout's wave decisions), as the ledger's
 * database records it: who holds it, until when, and its fencing token.
 *
 * @param name what it is a lease on, e.g. {@code rollout/fw-2.1}
 * @param holder the id of the node that holds it ({@link LedgerNodes#nodeId()})
 * @param token grows by one each time the lease passes to a holder anew; a decision appended under the lease
 *        names it, so that a node whose lease lapsed (paused, cut off) cannot append with an old one
 * @param acquired when the holder got it (the database's clock)
 * @param expires when it lapses unless renewed (the database's clock); after that another node may claim it
 */
public record Lease(String name, String holder, long token, Instant acquired, Instant expires) {
    public Lease {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(holder, "holder");
        Objects.requireNonNull(acquired, "acquired");
        Objects.requireNonNull(expires, "expires");
    }
}
