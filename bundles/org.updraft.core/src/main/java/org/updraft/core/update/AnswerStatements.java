package org.updraft.core.update;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.updraft.core.cbor.Cbor;
import org.updraft.core.cose.CoseSign1;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.identity.VerificationKey;

/**
 * The bytes of an {@link AnswerStatement}: a COSE_Sign1 of content type {@value #CONTENT_TYPE}, signed by the
 * platform's statement key (its own key, not the log key: it signs every answer online, while the log key signs
 * only checkpoints), over the deterministic CBOR map
 *
 * <pre>
 * {"device": text, ? "rollout": text, ? "release": text, "nonce": bytes, "issued": uint, "expires": uint}
 * </pre>
 *
 * {@code issued} and {@code expires} in milliseconds since the epoch; {@code rollout} and {@code release} both
 * present for an offer, both absent for "nothing new". A device provisioned with the statement key's did:key
 * checks it with {@link #verify}.
 */
public final class AnswerStatements {

    public static final String CONTENT_TYPE = "application/vnd.updraft.statement+cbor";
    /** The longest nonce a device may send: 32 bytes are plenty against guessing, and keep requests small. */
    public static final int MAX_NONCE_BYTES = 32;
    /** The most a signed statement may take. */
    public static final int MAX_STATEMENT_BYTES = 1024;

    private static final List<String> FIELDS = List.of("device", "rollout", "release", "nonce", "issued", "expires");

    private AnswerStatements() {
    }

    /** Signs the statement with the platform's statement key. */
    public static byte[] sign(AnswerStatement statement, SigningKey statementKey) {
        Map<Object, Object> map = new TreeMap<>();
        map.put("device", statement.deviceId());
        if (statement.isOffer()) {
            map.put("rollout", statement.rolloutId());
            map.put("release", statement.releaseId());
        }
        map.put("nonce", statement.nonce());
        map.put("issued", statement.issuedAt().toEpochMilli());
        map.put("expires", statement.expiresAt().toEpochMilli());
        return CoseSign1.sign(Cbor.encode(map), CONTENT_TYPE, statementKey);
    }

    /**
     * Checks the signature with the statement key a device was provisioned with, and decodes what it vouches for.
     * Whether it is this device's, this request's, and not expired is the device's to check.
     *
     * @throws UpdateFormatException when it is malformed, or not signed by that key
     */
    public static AnswerStatement verify(byte[] bytes, VerificationKey statementKey) throws UpdateFormatException {
        return SignedStatements.open("statement", bytes, MAX_STATEMENT_BYTES, CONTENT_TYPE, FIELDS, statementKey,
                map -> {
                    byte[] nonce = map.bytes("nonce");
                    if (nonce.length > MAX_NONCE_BYTES) {
                        throw new UpdateFormatException("statement: a nonce of " + nonce.length + " bytes");
                    }
                    return new AnswerStatement(map.text("device"), map.optionalText("rollout"),
                            map.optionalText("release"), nonce, Instant.ofEpochMilli(map.unsigned("issued")),
                            Instant.ofEpochMilli(map.unsigned("expires")));
                });
    }

    /**
     * What a device checks of the answer it got, before it acts on it: the statement is signed by the platform's
     * statement key, is for this device, for the request that carried {@code nonce} (an empty nonce for an answer
     * nobody asked for), vouches for this very answer (the offer's rollout and release, or nothing new) and has
     * not expired.
     *
     * @param statement the answer's statement, or {@code null} when it carries none
     * @throws UpdateFormatException saying which check failed
     */
    public static AnswerStatement check(byte[] statement, VerificationKey statementKey, String deviceId,
            byte[] nonce, DeviceAnswer answer, Instant now) throws UpdateFormatException {
        if (statement == null) {
            throw new UpdateFormatException("the answer carries no statement from the platform");
        }
        AnswerStatement s = verify(statement, statementKey);
        if (!s.deviceId().equals(deviceId)) {
            throw new UpdateFormatException("the statement is for device " + s.deviceId() + ", not " + deviceId);
        }
        if (!java.util.Arrays.equals(s.nonce(), nonce)) {
            throw new UpdateFormatException("the statement answers another request (its nonce is not this one's)");
        }
        if (answer instanceof DeviceAnswer.Offer offer) {
            if (!offer.releaseId().equals(s.releaseId()) || !offer.rolloutId().equals(s.rolloutId())) {
                throw new UpdateFormatException("the statement vouches for " + (s.isOffer() ? s.releaseId() + " of "
                        + s.rolloutId() : "nothing new") + ", not for " + offer.releaseId() + " of "
                        + offer.rolloutId());
            }
        } else if (s.isOffer()) {
            throw new UpdateFormatException("the statement vouches for an offer of " + s.releaseId()
                    + ", not for nothing new");
        }
        if (!now.isBefore(s.expiresAt())) {
            throw new UpdateFormatException("the statement expired at " + s.expiresAt());
        }
        return s;
    }
}
