package org.updraft.core.update;

import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

import org.updraft.core.manifest.Manifest;
import org.updraft.core.manifest.SemanticVersion;

/**
 * A device asking to be registered, signed with the key it enrolls ({@link Enrollments}).
 *
 * @param deviceId the id it wants
 * @param publicKey its did:key, which signs the enrollment
 * @param vendor its vendor
 * @param deviceClass its device class
 * @param profile its profile, or {@code null}
 * @param tags labels, possibly empty
 * @param region its region, or {@code null}
 * @param installedVersion the version it runs
 * @param installedSequence the sequence number it runs
 * @param time when it made the request, to the second
 * @param attestation the device certificate its manufacturer signed for its key ({@link DeviceAttestations}), or
 *        {@code null}
 */
public record Enrollment(String deviceId, String publicKey, String vendor, String deviceClass, String profile,
        Set<String> tags, String region, String installedVersion, long installedSequence, Instant time,
        byte[] attestation) {

    /** An enrollment without an attestation. */
    public Enrollment(String deviceId, String publicKey, String vendor, String deviceClass, String profile,
            Set<String> tags, String region, String installedVersion, long installedSequence, Instant time) {
        this(deviceId, publicKey, vendor, deviceClass, profile, tags, region, installedVersion, installedSequence, time,
                null);
    }

    public Enrollment {
        DeviceIds.check(deviceId);
        Objects.requireNonNull(publicKey, "publicKey");
        Manifest.checkId("vendor id", vendor);
        Manifest.checkId("device class id", deviceClass);
        if (profile != null) {
            Manifest.checkId("device profile", profile);
        }
        if (region != null) {
            Manifest.checkId("region", region);
        }
        tags = tags == null ? Set.of() : Set.copyOf(new TreeSet<>(tags));
        for (String tag : tags) {
            Manifest.checkId("tag", tag);
        }
        SemanticVersion.parse(installedVersion);
        if (installedSequence < 0) {
            throw new IllegalArgumentException("the installed sequence must not be negative");
        }
        time = Instant.ofEpochSecond(Objects.requireNonNull(time, "time").getEpochSecond());
        attestation = attestation == null ? null : attestation.clone();
    }

    @Override
    public byte[] attestation() {
        return attestation == null ? null : attestation.clone();
    }
}
