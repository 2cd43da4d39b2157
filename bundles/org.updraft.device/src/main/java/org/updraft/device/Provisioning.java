package org.updraft.device;

import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

import org.updraft.core.identity.SigningKey;
import org.updraft.core.manifest.TrustLookup;
import org.updraft.core.update.DeviceIds;

/**
 * What a device is given at the factory and never learns from the network: who it is, its own key, what it is,
 * and the keys it trusts — the platform's log key (checkpoints), its statement key (answers) and its manufacturer's
 * keys (manifests).
 *
 * @param deviceId its id (see {@link DeviceIds})
 * @param key its private key; it signs reports and enrollments
 * @param vendor its vendor id
 * @param deviceClass its device class id
 * @param profile its device profile, or {@code null}
 * @param region where it is deployed, or {@code null}
 * @param tags labels for targeting, possibly empty
 * @param logKeyDid the did:key of the platform's transparency log
 * @param trust the manufacturer keys it accepts manifests from
 * @param statementKeyDid the did:key of the platform's statement key: every answer must carry a statement signed
 *        by it for this device and request ({@code org.updraft.core.update.AnswerStatements}); {@code null} for a
 *        device made before platforms signed their answers, which then acts on unsigned answers
 * @param attestation the device certificate its manufacturer signed for its key
 *        ({@code org.updraft.core.update.DeviceAttestations}), which its enrollment carries; {@code null} for none
 */
public record Provisioning(String deviceId, SigningKey key, String vendor, String deviceClass, String profile,
        String region, Set<String> tags, String logKeyDid, TrustLookup trust, String statementKeyDid,
        byte[] attestation) {

    /** A device without an attestation. */
    public Provisioning(String deviceId, SigningKey key, String vendor, String deviceClass, String profile,
            String region, Set<String> tags, String logKeyDid, TrustLookup trust, String statementKeyDid) {
        this(deviceId, key, vendor, deviceClass, profile, region, tags, logKeyDid, trust, statementKeyDid, null);
    }

    /** A device that acts on unsigned answers (no statement key). */
    public Provisioning(String deviceId, SigningKey key, String vendor, String deviceClass, String profile,
            String region, Set<String> tags, String logKeyDid, TrustLookup trust) {
        this(deviceId, key, vendor, deviceClass, profile, region, tags, logKeyDid, trust, null);
    }

    public Provisioning {
        DeviceIds.check(deviceId);
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(vendor, "vendor");
        Objects.requireNonNull(deviceClass, "deviceClass");
        Objects.requireNonNull(logKeyDid, "logKeyDid");
        Objects.requireNonNull(trust, "trust");
        tags = tags == null ? Set.of() : Set.copyOf(new TreeSet<>(tags));
        attestation = attestation == null ? null : attestation.clone();
    }

    @Override
    public byte[] attestation() {
        return attestation == null ? null : attestation.clone();
    }

    /** The same device with the certificate its manufacturer signed for its key. */
    public Provisioning withAttestation(byte[] attestation) {
        return new Provisioning(deviceId, key, vendor, deviceClass, profile, region, tags, logKeyDid, trust,
                statementKeyDid, attestation);
    }

    /** This device's did:key, as registered and as its reports name their signer. */
    public String did() {
        return key.did();
    }
}
