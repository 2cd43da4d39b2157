package org.updraft.core.event;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.updraft.api.ledger.EventTypes;
import org.updraft.api.trust.TrustException;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.cbor.CborException;
import org.updraft.core.cbor.CborMap;
import org.updraft.core.identity.VerificationKey;

/**
 * Payloads of the trust events, each a deterministic CBOR map:
 *
 * <pre>
 * trust.key-registered  {"did": text, "vendor": text, "classes": [text…]}   classes empty = all of the vendor's
 * trust.key-rotated     {"did": text, "successor": text}
 * trust.key-revoked     {"did": text, "reason": text}
 * </pre>
 *
 * A rotation may carry the old key's signature over its payload, as the event's signature, with the old key
 * as actor: {@link #rotationStatement} is the exact bytes the old key signs.
 */
public final class TrustEvents {

    public record KeyRegistered(String did, String vendor, Set<String> deviceClasses) {
    }

    public record KeyRotated(String did, String successor) {
    }

    public record KeyRevoked(String did, String reason) {
    }

    private TrustEvents() {
    }

    public static byte[] registered(String did, String vendor, Set<String> deviceClasses) {
        Map<Object, Object> map = new TreeMap<>();
        map.put("did", did);
        map.put("vendor", vendor);
        map.put("classes", List.copyOf(new TreeSet<>(deviceClasses)));
        return Cbor.encode(map);
    }

    /** The rotation payload, which is also what the old key signs to prove the rotation is its own. */
    public static byte[] rotationStatement(String did, String successor) {
        return Cbor.encode(Map.of("did", did, "successor", successor));
    }

    /**
     * The rotation payload, after checking that {@code proof}, when given, is the old key's signature of it: the
     * one rule for rotation proofs, whichever trust store records the rotation.
     *
     * @throws TrustException when the proof does not verify under the old key
     */
    public static byte[] checkedRotation(VerificationKey oldKey, String did, String successor, byte[] proof)
            throws TrustException {
        byte[] statement = rotationStatement(did, successor);
        if (proof != null && !oldKey.verify(statement, proof)) {
            throw new TrustException("the rotation proof is not a valid signature of " + did
                    + " over the rotation to " + successor);
        }
        return statement;
    }

    public static byte[] revoked(String did, String reason) {
        return Cbor.encode(Map.of("did", did, "reason", reason == null ? "" : reason));
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
                CborMap map = CborMap.decode(type, payload).onlyKeys(List.of("did", "vendor", "classes"));
                Set<String> classes = new TreeSet<>();
                for (Object c : map.list("classes")) {
                    if (!(c instanceof String s)) {
                        throw new CborException(type + ": field 'classes' must hold text strings");
                    }
                    classes.add(s);
                }
                return new KeyRegistered(map.text("did"), map.text("vendor"), classes);
            }
            case EventTypes.KEY_ROTATED: {
                CborMap map = CborMap.decode(type, payload).onlyKeys(List.of("did", "successor"));
                return new KeyRotated(map.text("did"), map.text("successor"));
            }
            case EventTypes.KEY_REVOKED: {
                CborMap map = CborMap.decode(type, payload).onlyKeys(List.of("did", "reason"));
                return new KeyRevoked(map.text("did"), map.text("reason"));
            }
            default:
                throw new CborException("'" + type + "' is not a trust event");
        }
    }
}
