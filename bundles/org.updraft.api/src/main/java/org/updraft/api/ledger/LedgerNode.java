package org.updraft.api.ledger;

import java.time.Instant;
import java.util.Objects;

/**
 * A platform node sharing the ledger.
 *
 * @param id its id ({@code node.id})
 * @param started when it last started
 * @param lastSeen when it last said it was alive (the database's clock, so that nodes' clocks do not matter)
 * @param state {@code alive}, {@code stopped} (it said so when it stopped) or {@code silent} (no word from it for
 *        longer than its interval allows: it died, or cannot reach the database)
 */
public record LedgerNode(String id, Instant started, Instant lastSeen, String state) {
    public LedgerNode {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(state, "state");
    }
}
