package org.updraft.core.log;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.updraft.api.ledger.LedgerEvent;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.cbor.CborException;
import org.updraft.core.cbor.CborMap;

/**
 * The leaf bytes of a {@link LedgerEvent}: what a log stores and hashes into its Merkle tree, and what a device
 * hashes to check an inclusion proof. A deterministic CBOR map:
 *
 * <pre>
 * "type"    text  the event type, e.g. "release.published"
 * "time"    uint  milliseconds since the epoch
 * "actor"   text  the DID of whoever caused the event
 * "payload" bstr  the event's body (deterministic CBOR whose schema depends on the type)
 * "sig"     bstr  the actor's signature over the payload; absent when the event has none
 * </pre>
 *
 * An event has exactly one encoding: {@link #decode} refuses any other encoding of the same event, and unknown
 * fields.
 */
public final class LedgerEventCodec {

    /** The largest encoded event a log accepts: far above a signed manifest, bounded so no append can exhaust memory. */
    public static final int MAX_EVENT_BYTES = 1024 * 1024;

    private static final String F_TYPE = "type";
    private static final String F_TIME = "time";
    private static final String F_ACTOR = "actor";
    private static final String F_PAYLOAD = "payload";
    private static final String F_SIG = "sig";
    private static final List<String> FIELDS = List.of(F_TYPE, F_TIME, F_ACTOR, F_PAYLOAD, F_SIG);

    private LedgerEventCodec() {
    }

    /**
     * The event's leaf bytes.
     *
     * @throws IllegalArgumentException when the event's time is before 1970 (the format has no negative times)
     *         or the encoding would exceed {@link #MAX_EVENT_BYTES}
     */
    public static byte[] encode(LedgerEvent event) {
        long millis = event.time().toEpochMilli();
        if (millis < 0) {
            throw new IllegalArgumentException("event time " + event.time() + " is before 1970");
        }
        Map<Object, Object> map = new TreeMap<>();
        map.put(F_TYPE, event.type());
        map.put(F_TIME, millis);
        map.put(F_ACTOR, event.actor());
        map.put(F_PAYLOAD, event.payload());
        byte[] signature = event.signature();
        if (signature != null) {
            map.put(F_SIG, signature);
        }
        byte[] bytes = Cbor.encode(map);
        if (bytes.length > MAX_EVENT_BYTES) {
            throw new IllegalArgumentException("the event encodes to " + bytes.length + " bytes, more than the "
                    + MAX_EVENT_BYTES + " a ledger event may have");
        }
        return bytes;
    }

    /** {@link MerkleHash#leafHash} of the event's leaf bytes. */
    public static byte[] leafHash(LedgerEvent event) {
        return MerkleHash.leafHash(encode(event));
    }

    /**
     * Parses leaf bytes back into the event.
     *
     * @throws InvalidEventException naming what is malformed
     */
    public static LedgerEvent decode(byte[] bytes) throws InvalidEventException {
        if (bytes.length > MAX_EVENT_BYTES) {
            throw new InvalidEventException("the event has " + bytes.length + " bytes, more than the "
                    + MAX_EVENT_BYTES + " a ledger event may have");
        }
        try {
            CborMap map = CborMap.decode("ledger event", bytes).onlyKeys(FIELDS);
            return new LedgerEvent(map.text(F_TYPE), Instant.ofEpochMilli(map.unsigned(F_TIME)), map.text(F_ACTOR),
                    map.bytes(F_PAYLOAD), map.optionalBytes(F_SIG));
        } catch (CborException | IllegalArgumentException e) {
            throw new InvalidEventException(e.getMessage());
        }
    }
}
