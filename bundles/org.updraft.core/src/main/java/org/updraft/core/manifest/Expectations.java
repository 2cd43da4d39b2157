package org.updraft.core.manifest;

/**
 * What the party verifying a manifest knows about the target, and why it verifies.
 *
 * @param publishing {@code true} when the platform verifies a release before publishing it: the signer
 *        must then be active (a rotated key signs nothing new); a device also accepts a manifest its
 *        manufacturer signed with a key it rotated since
 * @param deviceClass the device's class, or {@code null} when not checked (offline CLI without
 *        {@code --class})
 * @param profile the device's profile, or {@code null} when not checked
 * @param installedSequence the sequence number installed (or last published), or -1 when none
 * @param installedVersion the version installed, or {@code null} when not known
 * @param vendor the device's vendor, or {@code null} when not checked. A device checks it: its trust anchors may
 *        trust several vendors' keys for a class, and a release of another vendor (replayed to it, or offered by
 *        mistake) is not for it even when its signer is trusted for that vendor
 */
public record Expectations(boolean publishing, String deviceClass, String profile, long installedSequence,
        String installedVersion, String vendor) {

    /** As before the vendor was an expectation: it is not checked. */
    public Expectations(boolean publishing, String deviceClass, String profile, long installedSequence,
            String installedVersion) {
        this(publishing, deviceClass, profile, installedSequence, installedVersion, null);
    }

    /** No expectations about the target: signature, trust and (when given) the image only. */
    public static Expectations none() {
        return new Expectations(false, null, null, -1, null, null);
    }

    /** The platform verifying an upload before publishing it. */
    public static Expectations forPublishing() {
        return new Expectations(true, null, null, -1, null, null);
    }

    public Expectations vendor(String vendor) {
        return new Expectations(publishing, deviceClass, profile, installedSequence, installedVersion, vendor);
    }

    public Expectations deviceClass(String deviceClass) {
        return new Expectations(publishing, deviceClass, profile, installedSequence, installedVersion, vendor);
    }

    public Expectations profile(String profile) {
        return new Expectations(publishing, deviceClass, profile, installedSequence, installedVersion, vendor);
    }

    public Expectations installedSequence(long installedSequence) {
        return new Expectations(publishing, deviceClass, profile, installedSequence, installedVersion, vendor);
    }

    public Expectations installedVersion(String installedVersion) {
        return new Expectations(publishing, deviceClass, profile, installedSequence, installedVersion, vendor);
    }
}
