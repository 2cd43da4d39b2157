package org.updraft.api.device;

import java.util.Set;

/**
 * Which devices a rollout targets or a listing shows. Every field that is not {@code null} (or, for tags, not
 * empty) must match: vendor, device class, profile and region exactly, every tag present on the device, and the
 * installed version inside {@code versionRange}.
 *
 * @param vendor vendor id, or {@code null} for any
 * @param deviceClass device class id, or {@code null} for any
 * @param profile device profile, or {@code null} for any
 * @param tags tags the device must all carry; empty for any
 * @param region region, or {@code null} for any
 * @param versionRange an interval of semantic versions in the usual notation, {@code [1.0.0,2.0.0)} (square
 *        bracket inclusive, round exclusive, either end may be empty: {@code [1.2.0,)}), or {@code null} for any;
 *        {@code org.updraft.core.device.VersionRange} parses it
 */
public record DeviceFilter(String vendor, String deviceClass, String profile, Set<String> tags, String region,
        String versionRange) {

    /** Matches every device. */
    public static final DeviceFilter ALL = new DeviceFilter(null, null, null, Set.of(), null, null);

    public DeviceFilter {
        tags = tags == null ? Set.of() : Set.copyOf(tags);
    }

    public DeviceFilter withVendor(String v) {
        return new DeviceFilter(v, deviceClass, profile, tags, region, versionRange);
    }

    public DeviceFilter withDeviceClass(String c) {
        return new DeviceFilter(vendor, c, profile, tags, region, versionRange);
    }

    public DeviceFilter withProfile(String p) {
        return new DeviceFilter(vendor, deviceClass, p, tags, region, versionRange);
    }

    public DeviceFilter withTags(Set<String> t) {
        return new DeviceFilter(vendor, deviceClass, profile, t, region, versionRange);
    }

    public DeviceFilter withRegion(String r) {
        return new DeviceFilter(vendor, deviceClass, profile, tags, r, versionRange);
    }

    public DeviceFilter withVersionRange(String range) {
        return new DeviceFilter(vendor, deviceClass, profile, tags, region, range);
    }
}
