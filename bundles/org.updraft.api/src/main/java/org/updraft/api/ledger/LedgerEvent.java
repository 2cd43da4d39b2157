package org.updraft.api.ledger;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * One event on the ledger.
 *
 * @param type what happened, one of {@link EventTypes}
 * @param time when, to the millisecond
 * @param actor the DID of whoever caused it: a manufacturer, a device, or the platform's own log key for
 *        operator actions
 * @param payload the event's body, deterministic CBOR; its schema depends on {@code type}
 * @param signature the actor's signature over {@code payload}, or {@code null} where the actor has no key
 *        here (a manifest carries its own signature inside the payload)
 */
public record LedgerEvent(String type, Instant time, String actor, byte[] payload, byte[] signature) {

    public LedgerEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(payload, "payload");
        if (type.isBlank()) {
            throw new IllegalArgumentException("event type must not be blank");
        }
        // The ledger keeps milliseconds; keeping more here would make a read-back event unequal.
        time = Instant.ofEpochMilli(time.toEpochMilli());
        payload = payload.clone();
        signature = signature == null ? null : signature.clone();
    }

    @Override
    public byte[] payload() {
        return payload.clone();
    }

    @Override
    public byte[] signature() {
        return signature == null ? null : signature.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LedgerEvent e && type.equals(e.type) && time.equals(e.time) && actor.equals(e.actor)
                && Arrays.equals(payload, e.payload) && Arrays.equals(signature, e.signature);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, time, actor, Arrays.hashCode(payload), Arrays.hashCode(signature));
    }

    @Override
    public String toString() {
        return "LedgerEvent[" + type + " at " + time + " by " + actor + ", " + payload.length + " bytes"
                + (signature != null ? ", signed" : "") + "]";
    }
}
