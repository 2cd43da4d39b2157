package org.updraft.api.profile;

import java.util.Objects;

/**
 * What a release's signed manifest says about its image, as a {@link DeviceProfile} needs it. Verified before a
 * profile sees it: the signature, the signer, and that the image has {@code size} bytes with the manifest's digest.
 *
 * @param vendor the vendor id
 * @param deviceClass the device class id: the key of the profile's per-class configuration
 * @param profile the profile id the manifest names
 * @param version the semantic version, e.g. {@code 1.2.3}
 * @param sequence the release's sequence number (anti-rollback: higher than every earlier release of the class)
 * @param size the image's size in bytes
 */
public record ReleaseFacts(String vendor, String deviceClass, String profile, String version, long sequence,
        long size) {

    public ReleaseFacts {
        Objects.requireNonNull(vendor, "vendor");
        Objects.requireNonNull(deviceClass, "deviceClass");
        Objects.requireNonNull(profile, "profile");
        Objects.requireNonNull(version, "version");
        if (sequence < 0 || size < 0) {
            throw new IllegalArgumentException("sequence and size must not be negative");
        }
    }
}
