package org.updraft.core.update;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import org.updraft.api.trust.KeyStatus;
import org.updraft.api.trust.TrustException;
import org.updraft.api.trust.TrustedKey;
import org.updraft.core.cbor.Cbor;
import org.updraft.core.cbor.CborException;
import org.updraft.core.cbor.CborMap;
import org.updraft.core.cose.CoseException;
import org.updraft.core.cose.CoseSign1;
import org.updraft.core.identity.SigningKey;
import org.updraft.core.identity.VerificationKey;
import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.TrustLookup;

/**
 * A device certificate: the manufacturer's word, signed offline at the factory with one of its release keys, that
 * a device key is one of its devices of a class. An enrollment carries it (attestation), so that a platform that
 * lets devices register themselves registers only keys its manufacturers made, not any key that signs its own
 * request. A COSE_Sign1 of content type {@value #CONTENT_TYPE}, key id the manufacturer key's did:key, over
 *
 * <pre>
 * {"key": text, "vendor": text, "class": text, "issued": uint}      key: the device's did:key; issued: seconds
 * </pre>
 */
public final class DeviceAttestations {

    public static final String CONTENT_TYPE = "application/vnd.updraft.attestation+cbor";
    /** Far above what an attestation takes (about 300 bytes): an enrollment with it fits its own limit. */
    public static final int MAX_ATTESTATION_BYTES = 1024;

    private static final List<String> FIELDS = List.of("key", "vendor", "class", "issued");

    /**
     * What the manufacturer attests.
     *
     * @param deviceKey the device's did:key
     * @param vendor the manufacturer's vendor id
     * @param deviceClass the device's class
     * @param issued when it was signed, to the second
     */
    public record Attestation(String deviceKey, String vendor, String deviceClass, Instant issued) {
        public Attestation {
            VerificationKey.fromDid(deviceKey);
            Manifest.checkId("vendor id", vendor);
            Manifest.checkId("device class id", deviceClass);
            issued = Instant.ofEpochSecond(issued.getEpochSecond());
        }
    }

    private DeviceAttestations() {
    }

    /** Signs an attestation with a manufacturer key (offline, at the factory: {@code updraft attest}). */
    public static byte[] sign(Attestation a, SigningKey manufacturerKey) {
        Map<Object, Object> map = new TreeMap<>();
        map.put("key", a.deviceKey());
        map.put("vendor", a.vendor());
        map.put("class", a.deviceClass());
        map.put("issued", a.issued().getEpochSecond());
        return CoseSign1.sign(Cbor.encode(map), CONTENT_TYPE, manufacturerKey);
    }

    /**
     * Checks that {@code attestation} vouches for the enrollment: signed by a manufacturer key the platform trusts
     * (not revoked; a rotated key's attestations stand, as its releases do) for the enrollment's vendor and class,
     * about the key the enrollment enrolls.
     *
     * @return the manufacturer key that signed it
     * @throws BadSignatureException naming what does not hold
     * @throws UpdateFormatException when the attestation is malformed
     * @throws TrustException when trust cannot be consulted now
     */
    public static TrustedKey check(byte[] attestation, Enrollment e, TrustLookup trust)
            throws UpdateFormatException, TrustException {
        if (attestation == null) {
            throw new BadSignatureException("the enrollment of " + e.deviceId() + " carries no attestation: a device "
                    + "enrolls with the certificate its manufacturer signed for its key (updraft attest)");
        }
        if (attestation.length > MAX_ATTESTATION_BYTES) {
            throw new UpdateFormatException("the attestation has " + attestation.length + " bytes, more than the "
                    + MAX_ATTESTATION_BYTES + " allowed");
        }
        CoseSign1 envelope;
        Attestation a;
        try {
            envelope = CoseSign1.decode(attestation, CONTENT_TYPE);
            CborMap map = CborMap.decode("attestation", envelope.payload()).onlyKeys(FIELDS);
            a = new Attestation(map.text("key"), map.text("vendor"), map.text("class"),
                    Instant.ofEpochSecond(map.unsigned("issued")));
        } catch (CoseException | CborException e1) {
            throw new UpdateFormatException("attestation: " + e1.getMessage());
        } catch (IllegalArgumentException e1) {
            throw new UpdateFormatException("attestation: " + e1.getMessage());
        }
        String signer = envelope.kid();
        VerificationKey key;
        try {
            key = VerificationKey.fromDid(signer);
        } catch (IllegalArgumentException e1) {
            throw new UpdateFormatException("attestation: its key id is not a usable did:key: " + e1.getMessage());
        }
        if (!envelope.verify(key)) {
            throw new BadSignatureException("the attestation's signature does not verify under " + signer);
        }
        Optional<TrustedKey> found = trust.find(signer);
        if (found.isEmpty() || found.get().status() == KeyStatus.REVOKED) {
            throw new BadSignatureException("the attestation is signed by " + signer + ", which is "
                    + (found.isEmpty() ? "not a trusted manufacturer key" : "revoked"));
        }
        TrustedKey manufacturer = found.get();
        if (!manufacturer.vendor().equals(e.vendor()) || !manufacturer.covers(e.deviceClass())) {
            throw new BadSignatureException("the attestation's signer is trusted for vendor " + manufacturer.vendor()
                    + ", not to attest devices of " + e.vendor() + "/" + e.deviceClass());
        }
        if (!a.deviceKey().equals(e.publicKey()) || !a.vendor().equals(e.vendor())
                || !a.deviceClass().equals(e.deviceClass())) {
            throw new BadSignatureException("the attestation is for " + a.vendor() + "/" + a.deviceClass() + " key "
                    + a.deviceKey() + ", not for the enrolling " + e.vendor() + "/" + e.deviceClass() + " key "
                    + e.publicKey());
        }
        return manufacturer;
    }
}
