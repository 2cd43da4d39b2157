package org.updraft.api.ledger;

import java.util.Objects;

/**
 * What must still hold when a decision is appended ({@link DecisionLeases#appendDecision}): the decider read the
 * log up to {@code seenSize} events and decided on that; the ledger checks, in the transaction that appends, that
 * at most {@code othersAllowed} events under the same {@code key} were appended since (from any node), and, when
 * a {@code lease} is named, that it is still held with that token.
 *
 * @param key the decision's subject, e.g. {@code rollout/fw-2.1} for a rollout's state or
 *        {@code offers/fw-2.1/0} for a wave's download slots; every event appended under it counts
 * @param seenSize the log's size the decider had read when it decided
 * @param othersAllowed how many events under {@code key} may have been appended at or after {@code seenSize}:
 *        0 for a decision that must be the only one (compare-and-append), more for one that only needs room left
 *        (a wave with {@code n} free download slots at {@code seenSize} allows {@code n - 1} others)
 * @param lease the lease the decision is taken under, or {@code null} for none
 */
public record AppendCondition(String key, long seenSize, int othersAllowed, Lease lease) {
    public AppendCondition {
        Objects.requireNonNull(key, "key");
        if (key.isEmpty()) {
            throw new IllegalArgumentException("a decision needs a key");
        }
        if (seenSize < 0 || othersAllowed < 0) {
            throw new IllegalArgumentException("seenSize and othersAllowed must not be negative");
        }
    }

    /** A decision that must be the only one under {@code key} since {@code seenSize}. */
    public static AppendCondition onlyOne(String key, long seenSize, Lease lease) {
        return new AppendCondition(key, seenSize, 0, lease);
    }
}
