package org.updraft.ledger.evm.internal;

/**
 * What anchoring did with one local-log event.
 *
 * @param index the event's index in the local log
 * @param state what happened
 * @param detail the contract's reason for a refusal, otherwise {@code null}
 */
public record AnchorOutcome(long index, State state, String detail) {

    public enum State {
        /** Recorded on chain by a transaction (or found already recorded there). */
        ANCHORED,
        /** The contract refused it; {@code detail} says why. */
        REFUSED,
        /** An event type the chain does not hold (its checkpoint anchors it). */
        NOT_ANCHORED,
        /** Not dealt with yet: the chain is behind or unreachable. */
        PENDING
    }
}
