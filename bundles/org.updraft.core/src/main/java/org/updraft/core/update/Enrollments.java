package org.updraft.core.update;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import org.updraft.core.cbor.Cbor;
import org.updraft.core.cbor.CborException;
import org.updraft.core.cbor.CborMap;
import org.updraft.core.cose.CoseException;
import org.updraft.core.cose.CoseSign1;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.identity.VerificationKey;

/**
 * The bytes of an enrollment: a COSE_Sign1 of content type {@value #CONTENT_TYPE}, signed by the key being
 * enrolled (its did:key as key id, proving the device holds the private key), over
 *
 * <pre>
 * {"device": text, "key": text, "vendor": text, "class": text, ? "profile": text, ? "region": text,
 *  "tags": [text…], "version": text, "sequence": uint, "time": uint, ? "attestation": bytes}
 * </pre>
 *
 * {@code attestation} is the device certificate its manufacturer signed ({@link DeviceAttestations}); under the
 * device's signature, so that it cannot be moved to another enrollment unseen.
 */
public final class Enrollments {

    public static final String CONTENT_TYPE = "application/vnd.updraft.enrollment+cbor";
    public static final int MAX_ENROLLMENT_BYTES = 2048;

    private static final List<String> FIELDS = List.of("device", "key", "vendor", "class", "profile", "region",
            "tags", "version", "sequence", "time", "attestation");

    private Enrollments() {
    }

    public static byte[] sign(Enrollment e, SigningKey deviceKey) {
        if (!deviceKey.did().equals(e.publicKey())) {
            throw new IllegalArgumentException("an enrollment is signed by the key it enrolls");
        }
        Map<Object, Object> map = new TreeMap<>();
        map.put("device", e.deviceId());
        map.put("key", e.publicKey());
        map.put("vendor", e.vendor());
        map.put("class", e.deviceClass());
        if (e.profile() != null) {
            map.put("profile", e.profile());
        }
        if (e.region() != null) {
            map.put("region", e.region());
        }
        map.put("tags", new ArrayList<Object>(new TreeSet<>(e.tags())));
        map.put("version", e.installedVersion());
        map.put("sequence", e.installedSequence());
        map.put("time", e.time().getEpochSecond());
        if (e.attestation() != null) {
            map.put("attestation", e.attestation());
        }
        return CoseSign1.sign(Cbor.encode(map), CONTENT_TYPE, deviceKey);
    }

    /**
     * Parses an enrollment and checks that the key it enrolls signed it.
     *
     * @throws BadSignatureException when the key it enrolls did not sign it
     * @throws UpdateFormatException when it is malformed
     */
    public static Enrollment verify(byte[] bytes) throws UpdateFormatException {
        Signed signed = decode(bytes);
        Enrollment e = signed.enrollment();
        if (!e.publicKey().equals(signed.envelope().kid())) {
            throw new BadSignatureException("the enrollment of " + e.deviceId() + " is signed by "
                    + signed.envelope().kid() + ", not by the key it enrolls");
        }
        VerificationKey key;
        try {
            key = VerificationKey.fromDid(e.publicKey());
        } catch (IllegalArgumentException e1) {
            throw new UpdateFormatException("enrollment: the key is not a usable did:key: " + e1.getMessage());
        }
        if (!signed.envelope().verify(key)) {
            throw new BadSignatureException("the signature of the enrollment of " + e.deviceId()
                    + " does not verify");
        }
        return e;
    }

    /**
     * Parses an enrollment without checking its signature: for one that was checked before it was recorded, read
     * back from the ledger (a replay of every enrollment would otherwise cost a signature check each).
     *
     * @throws UpdateFormatException when it is malformed
     */
    public static Enrollment parse(byte[] bytes) throws UpdateFormatException {
        return decode(bytes).enrollment();
    }

    private record Signed(Enrollment enrollment, CoseSign1 envelope) {
    }

    private static Signed decode(byte[] bytes) throws UpdateFormatException {
        if (bytes.length > MAX_ENROLLMENT_BYTES) {
            throw new UpdateFormatException("the enrollment has " + bytes.length + " bytes, more than the "
                    + MAX_ENROLLMENT_BYTES + " allowed");
        }
        try {
            CoseSign1 envelope = CoseSign1.decode(bytes, CONTENT_TYPE);
            CborMap map = CborMap.decode("enrollment", envelope.payload()).onlyKeys(FIELDS);
            List<String> tags = new ArrayList<>();
            for (Object tag : map.list("tags")) {
                if (!(tag instanceof String s)) {
                    throw new UpdateFormatException("enrollment: every tag must be a text string");
                }
                tags.add(s);
            }
            Enrollment e = new Enrollment(map.text("device"), map.text("key"), map.text("vendor"), map.text("class"),
                    map.optionalText("profile"), new TreeSet<>(tags), map.optionalText("region"), map.text("version"),
                    map.unsigned("sequence"), Instant.ofEpochSecond(map.unsigned("time")),
                    map.optionalBytes("attestation"));
            return new Signed(e, envelope);
        } catch (CoseException | CborException e1) {
            throw new UpdateFormatException(e1.getMessage());
        } catch (IllegalArgumentException e1) {
            throw new UpdateFormatException("enrollment: " + e1.getMessage());
        }
    }
}
