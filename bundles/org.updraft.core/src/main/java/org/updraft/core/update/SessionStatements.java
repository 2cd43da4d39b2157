package org.updraft.core.update;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.updraft.core.cbor.Cbor;
import org.updraft.core.cose.CoseSign1;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.identity.VerificationKey;

/**
 * The bytes of a {@link SessionStatement}: a COSE_Sign1 of content type {@value #CONTENT_TYPE} (not an answer's, so
 * that neither is taken for the other), signed by the platform's statement key, over the deterministic CBOR map
 *
 * <pre>
 * {"devices": [+ text], "rollout": text, "release": text, "session": bytes, "issued": uint, "expires": uint}
 * </pre>
 *
 * {@code issued} and {@code expires} in milliseconds since the epoch. A device checks it with {@link #check}.
 */
public final class SessionStatements {

    public static final String CONTENT_TYPE = "application/vnd.updraft.session-statement+cbor";
    /**
     * The most a signed session statement may take: room for a few hundred device ids. A session for more devices
     * than that is split by the transport (the LoRaWAN transport sends at most {@code max.devices} per session).
     */
    public static final int MAX_STATEMENT_BYTES = 16 * 1024;

    private static final List<String> FIELDS = List.of("devices", "rollout", "release", "session", "issued",
            "expires");

    private SessionStatements() {
    }

    /**
     * Signs the statement with the platform's statement key.
     *
     * @throws IllegalArgumentException when it names too many devices to fit {@link #MAX_STATEMENT_BYTES}
     */
    public static byte[] sign(SessionStatement statement, SigningKey statementKey) {
        Map<Object, Object> map = new TreeMap<>();
        map.put("devices", statement.deviceIds());
        map.put("rollout", statement.rolloutId());
        map.put("release", statement.releaseId());
        map.put("session", statement.sessionId());
        map.put("issued", statement.issuedAt().toEpochMilli());
        map.put("expires", statement.expiresAt().toEpochMilli());
        byte[] signed = CoseSign1.sign(Cbor.encode(map), CONTENT_TYPE, statementKey);
        if (signed.length > MAX_STATEMENT_BYTES) {
            throw new IllegalArgumentException("a statement for " + statement.deviceIds().size() + " devices takes "
                    + signed.length + " bytes, more than the " + MAX_STATEMENT_BYTES + " a device accepts");
        }
        return signed;
    }

    /**
     * Checks the signature with the statement key a device was provisioned with, and decodes what it vouches for.
     *
     * @throws UpdateFormatException when it is malformed, too large, or not signed by that key
     */
    public static SessionStatement verify(byte[] bytes, VerificationKey statementKey) throws UpdateFormatException {
        return SignedStatements.open("session statement", bytes, MAX_STATEMENT_BYTES, CONTENT_TYPE, FIELDS,
                statementKey, map -> {
                    List<String> devices = new ArrayList<>();
                    for (Object d : map.list("devices")) {
                        if (!(d instanceof String id)) {
                            throw new UpdateFormatException("session statement: a device id that is no text");
                        }
                        devices.add(id);
                    }
                    return new SessionStatement(devices, map.text("rollout"), map.text("release"),
                            map.bytes("session"), Instant.ofEpochMilli(map.unsigned("issued")),
                            Instant.ofEpochMilli(map.unsigned("expires")));
                });
    }

    /**
     * What a device checks of a session's offer before it acts on it: the statement is signed by the platform's
     * statement key, names this device, vouches for this very offer (its rollout and release) and has not expired.
     *
     * @param statement the session's statement, or {@code null} when it carries none
     * @param rolloutId the rollout of the offer the session carries
     * @param releaseId the release it offers
     * @throws UpdateFormatException saying which check failed
     */
    public static SessionStatement check(byte[] statement, VerificationKey statementKey, String deviceId,
            String rolloutId, String releaseId, Instant now) throws UpdateFormatException {
        if (statement == null) {
            throw new UpdateFormatException("the session carries no statement from the platform");
        }
        SessionStatement s = verify(statement, statementKey);
        if (!s.deviceIds().contains(deviceId)) {
            throw new UpdateFormatException("the session statement does not name device " + deviceId + " (it names "
                    + s.deviceIds().size() + " others)");
        }
        if (!releaseId.equals(s.releaseId()) || !rolloutId.equals(s.rolloutId())) {
            throw new UpdateFormatException("the session statement vouches for " + s.releaseId() + " of "
                    + s.rolloutId() + ", not for " + releaseId + " of " + rolloutId);
        }
        if (!now.isBefore(s.expiresAt())) {
            throw new UpdateFormatException("the session statement expired at " + s.expiresAt());
        }
        return s;
    }
}
