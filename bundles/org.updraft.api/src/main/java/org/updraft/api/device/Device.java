package org.updraft.api.device;

import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * A device of the fleet.
 *
 * @param id the device's id, unique in the registry (1-64 letters, digits, '.', '_', '-', ':')
 * @param publicKey the device's did:key; it signs the device's reports
 * @param vendor the vendor whose device class this is
 * @param deviceClass the device class id, as in the manifests it takes
 * @param profile the device profile (MCU family), or {@code null}
 * @param tags free labels an operator targets rollouts with, e.g. {@code beta}
 * @param region the region it is deployed in, or {@code null}
 * @param installedVersion the semantic version it runs
 * @param installedSequence the sequence number of the image it runs (anti-rollback)
 * @param state its latest reported update state
 * @param lastSeen when it last talked to the platform, or {@code null} if never
 * @param registered when it was registered
 */
public record Device(String id, String publicKey, String vendor, String deviceClass, String profile, Set<String> tags,
        String region, String installedVersion, long installedSequence, DeviceState state, Instant lastSeen,
        Instant registered) {

    public Device {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(publicKey, "publicKey");
        Objects.requireNonNull(vendor, "vendor");
        Objects.requireNonNull(deviceClass, "deviceClass");
        Objects.requireNonNull(installedVersion, "installedVersion");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(registered, "registered");
        tags = tags == null ? Set.of() : Set.copyOf(new TreeSet<>(tags));
    }

    /** This device with a new update state, installed image and time seen. */
    public Device withState(DeviceState newState, String version, long sequence, Instant seen) {
        return new Device(id, publicKey, vendor, deviceClass, profile, tags, region, version, sequence, newState,
                seen, registered);
    }
}
