package org.updraft.core.manifest;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.regex.Pattern;

import org.updraft.api.multiformats.Cid;
import org.updraft.api.release.Release;

/**
 * What a manufacturer signs about one firmware image. The fields follow the IETF SUIT information model
 * (RFC 9124): vendor and class identifiers, a monotonic sequence number against rollback, the image's size
 * and digest, where to find it (its CID), an optional minimum installed version, the creation time and the
 * signer. {@link ManifestCodec} defines its bytes.
 *
 * @param vendor vendor id (RFC 9124 §3.3), e.g. {@code acme}
 * @param deviceClass device class id (§3.4), e.g. {@code thermo-v2}
 * @param profile device profile (MCU family) the image is built for, or {@code null} for any
 * @param version the image's semantic version
 * @param sequence monotonic sequence number (§3.2): a device installs only a higher one than it runs
 * @param size image size in bytes (§3.15)
 * @param sha256 image SHA-256 (§3.14)
 * @param cid the image's content identifier (payload indicator, §3.13)
 * @param minimumInstalledVersion the lowest version a device must run to take this image, or {@code null}
 * @param created manifest creation time (§3.16), to the second
 * @param signer did:key of the manufacturer key that signs it
 */
public record Manifest(String vendor, String deviceClass, String profile, String version, long sequence, long size,
        byte[] sha256, Cid cid, String minimumInstalledVersion, Instant created, String signer) {

    /** Vendor, class and profile ids: they appear in release ids ({@code vendor/class/sequence}) and paths. */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    /**
     * @throws IllegalArgumentException naming the first field that is not valid
     */
    public Manifest {
        checkId("vendor id", vendor);
        checkId("device class id", deviceClass);
        if (profile != null) {
            checkId("device profile", profile);
        }
        SemanticVersion.parse(version);
        if (minimumInstalledVersion != null) {
            SemanticVersion.parse(minimumInstalledVersion);
        }
        if (sequence < 0) {
            throw new IllegalArgumentException("sequence number must not be negative");
        }
        if (size < 0) {
            throw new IllegalArgumentException("image size must not be negative");
        }
        if (sha256 == null || sha256.length != 32) {
            throw new IllegalArgumentException("image digest must be a SHA-256 of 32 bytes");
        }
        Objects.requireNonNull(cid, "cid");
        Objects.requireNonNull(signer, "signer");
        created = Instant.ofEpochSecond(Objects.requireNonNull(created, "created").getEpochSecond());
        sha256 = sha256.clone();
    }

    /**
     * The rule for vendor, class and profile ids, in one place.
     *
     * @throws IllegalArgumentException naming {@code what} when {@code value} breaks it
     */
    public static void checkId(String what, String value) {
        if (value == null || !ID.matcher(value).matches()) {
            throw new IllegalArgumentException(what + " '" + value
                    + "' must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
    }

    @Override
    public byte[] sha256() {
        return sha256.clone();
    }

    /** The id of the release this manifest describes: {@code vendor/class/sequence}. */
    public String releaseId() {
        return Release.id(vendor, deviceClass, sequence);
    }

    @Override
    public boolean equals(Object o) {
        // equal when they encode to the same signed bytes
        return o instanceof Manifest m && Arrays.equals(ManifestCodec.encodePayload(this), ManifestCodec.encodePayload(m));
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(ManifestCodec.encodePayload(this));
    }
}
