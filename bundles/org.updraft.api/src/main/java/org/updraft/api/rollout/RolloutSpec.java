package org.updraft.api.rollout;

import java.util.List;
import java.util.Objects;

import org.updraft.api.device.DeviceFilter;

/**
 * What an operator asks for: a published release, the devices it targets, and the waves in order. The
 * release's vendor and device class (and profile, when the manifest names one) always narrow the target.
 */
public record RolloutSpec(String releaseId, DeviceFilter target, List<WaveSpec> waves) {

    public RolloutSpec {
        Objects.requireNonNull(releaseId, "releaseId");
        target = target == null ? DeviceFilter.ALL : target;
        waves = List.copyOf(waves);
        if (waves.isEmpty()) {
            throw new IllegalArgumentException("a rollout needs at least one wave");
        }
    }
}
