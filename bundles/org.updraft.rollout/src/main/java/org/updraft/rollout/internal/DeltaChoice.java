package org.updraft.rollout.internal;

import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

import org.updraft.api.delta.Delta;
import org.updraft.api.device.Device;
import org.updraft.api.profile.ProfileLimits;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseService;
import org.updraft.core.delta.DeltaCodecs;

/**
 * The one rule for which recorded delta, if any, a device is offered beside a release's full image:
 * <ol>
 * <li>the device runs the delta's base exactly: its registered installed sequence is the one it checks with, and
 * the published release of its vendor and class with that sequence is the delta's {@code fromRelease}, whose
 * image has the SHA-256 the patch was made from;</li>
 * <li>its class accepts the codec: with a device profile, the codec is among the class's
 * {@link ProfileLimits#deltaCodecs()} and applying it needs no more than {@link ProfileLimits#deltaMemory()}; a
 * device without profile is offered only the library's default codec ({@link DeltaCodecs#DEFAULT}); a device
 * whose profile does not run (or has no configuration for its class) is offered no delta, since what it accepts
 * is unknown;</li>
 * <li>of several such deltas, the smallest patch.</li>
 * </ol>
 * The device checks the base digest again and verifies the image it rebuilds against the signed manifest: this
 * choice saves bytes, it grants no trust.
 */
final class DeltaChoice {

    private final ReleaseService releases;
    private final Function<Device, Optional<ProfileLimits>> limits;

    /**
     * @param limits the limits of a device's class as its running profile states them; only called for devices
     *        that name a profile
     */
    DeltaChoice(ReleaseService releases, Function<Device, Optional<ProfileLimits>> limits) {
        this.releases = releases;
        this.limits = limits;
    }

    /** The delta to offer {@code device}, checking with {@code checkedSequence}, among those recorded; or null. */
    Delta choose(List<Delta> recorded, Device device, long checkedSequence) {
        if (recorded.isEmpty() || device.installedSequence() != checkedSequence) {
            return null;
        }
        Optional<ProfileLimits> classLimits = device.profile() == null ? Optional.empty() : limits.apply(device);
        if (device.profile() != null && classLimits.isEmpty()) {
            return null;
        }
        String baseId = Release.id(device.vendor(), device.deviceClass(), checkedSequence);
        Release base = null;
        Delta best = null;
        for (Delta d : recorded) {
            if (!d.fromRelease().equals(baseId) || !accepts(classLimits, d)) {
                continue;
            }
            if (base == null) {
                base = releases.find(baseId).orElse(null);
                if (base == null) {
                    return null;
                }
            }
            if (MessageDigest.isEqual(base.sha256(), d.fromSha256())
                    && (best == null || d.patchSize() < best.patchSize())) {
                best = d;
            }
        }
        return best;
    }

    private static boolean accepts(Optional<ProfileLimits> classLimits, Delta d) {
        if (classLimits.isEmpty()) {
            return DeltaCodecs.DEFAULT.equals(d.codec());
        }
        ProfileLimits l = classLimits.get();
        return l.deltaCodecs().contains(d.codec()) && d.applyMemory() <= l.deltaMemory();
    }
}
