package org.updraft.core.event;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.updraft.api.ledger.EventTypes;
import org.updraft.api.ledger.LedgerEvent;
import org.updraft.api.trust.TrustException;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.cbor.CborException;
import org.updraft.core.cbor.CborMap;
import org.updraft.core.identity.VerificationKey;

/**
 * Payloads of the trust events, each a deterministic CBOR map:
 *
 * <pre>
 * trust.key-registered  {"did": text, "vendor": text, "classes": [text…], ? "by": text}   classes empty = all of the vendor's
 * trust.key-rotated     {"did": text, "successor": text, ? "by": text}
 * trust.key-revoked     {"did": text, "reason": text, ? "by": text}
 * </pre>
 *
 * {@code by} names the operator who made the change (as rollout events do, e.g. {@code operator:alice}); events
 * made on no operator's behalf, and those recorded before operators were named, have none.
 *
 * A rotation may carry the old key's signature, as the event's signature, with the old key as actor. What the old
 * key signs is the rotation statement, {@link #rotationStatement}: the map of {@code did} and {@code successor}
 * alone, which is the payload without {@code by} (the key is signed offline, before anyone knows which operator
 * will submit it). Check a rotation's signature over the statement rebuilt from the payload's two fields.
 */
public final class TrustEvents {

    /** A key trusted for a vendor; {@code by} is the operator, or {@code null}. */
    public record KeyRegistered(String did, String vendor, Set<String> deviceClasses, String by) {
    }

    /** A key replaced by its successor; {@code by} is the operator, or {@code null}. */
    public record KeyRotated(String did, String successor, String by) {
    }

    /** A key no longer trusted; {@code by} is the operator, or {@code null}. */
    public record KeyRevoked(String did, String reason, String by) {
    }

    private TrustEvents() {
    }

    public static byte[] registered(String did, String vendor, Set<String> deviceClasses, String by) {
        Map<Object, Object> map = new TreeMap<>();
        map.put("did", did);
        map.put("vendor", vendor);
        map.put("classes", List.copyOf(new TreeSet<>(deviceClasses)));
        return OperatorField.encodeWith(map, by);
    }

    /** The rotation payload, which is also what the old key signs to prove the rotation is its own. */
    public static byte[] rotationStatement(String did, String successor) {
        return Cbor.encode(Map.of("did", did, "successor", successor));
    }

    /**
     * The rotation payload, after checking that {@code proof}, when given, is the old key's signature of its
     * statement ({@link #rotationStatement}): the one rule for rotation proofs, whichever trust store records the
     * rotation.
     *
     * @throws TrustException when the proof does not verify under the old key
     */
    public static byte[] checkedRotation(VerificationKey oldKey, String did, String successor, byte[] proof,
            String by) throws TrustException {
        if (proof != null && !oldKey.verify(rotationStatement(did, successor), proof)) {
            throw new TrustException("the rotation proof is not a valid signature of " + did
                    + " over the rotation to " + successor);
        }
        Map<Object, Object> map = new TreeMap<>();
        map.put("did", did);
        map.put("successor", successor);
        return OperatorField.encodeWith(map, by);
    }

    /**
     * Whether a recorded rotation is the old key's own: the event's actor is the old key and its signature is that
     * key's, over the rotation statement. A rotation without one was vouched for by the platform's operator alone.
     */
    public static boolean signedByOldKey(LedgerEvent event, KeyRotated rotation) {
        if (event.signature() == null || !rotation.did().equals(event.actor())) {
            return false;
        }
        try {
            return VerificationKey.fromDid(rotation.did()).verify(rotationStatement(rotation.did(),
                    rotation.successor()), event.signature());
        } catch (IllegalArgumentException e) {
            return false; // not a did:key a signature can be checked with
        }
    }

    public static byte[] revoked(String did, String reason, String by) {
        Map<Object, Object> map = new TreeMap<>();
        map.put("did", did);
        map.put("reason", reason == null ? "" : reason);
        return OperatorField.encodeWith(map, by);
    }

    /**
     * Decodes the payload of a trust event.
     *
     * @return a {@link KeyRegistered}, {@link KeyRotated} or {@link KeyRevoked}
     * @throws CborException when the payload does not match its type's schema
     */
    public static Record decode(String type, byte[] payload) throws CborException {
        switch (type) {
            case EventTypes.KEY_REGISTERED: {
                CborMap map = CborMap.decode(type, payload).onlyKeys(List.of("did", "vendor", "classes", "by"));
                Set<String> classes = new TreeSet<>();
                for (Object c : map.list("classes")) {
                    if (!(c instanceof String s)) {
                        throw new CborException(type + ": field 'classes' must hold text strings");
                    }
                    classes.add(s);
                }
                return new KeyRegistered(map.text("did"), map.text("vendor"), classes, map.optionalText("by"));
            }
            case EventTypes.KEY_ROTATED: {
                CborMap map = CborMap.decode(type, payload).onlyKeys(List.of("did", "successor", "by"));
                return new KeyRotated(map.text("did"), map.text("successor"), map.optionalText("by"));
            }
            case EventTypes.KEY_REVOKED: {
                CborMap map = CborMap.decode(type, payload).onlyKeys(List.of("did", "reason", "by"));
                return new KeyRevoked(map.text("did"), map.text("reason"), map.optionalText("by"));
            }
            default:
                throw new CborException("'" + type + "' is not a trust event");
        }
    }
}
