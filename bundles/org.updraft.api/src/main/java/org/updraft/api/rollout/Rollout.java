package org.updraft.api.rollout;

import java.time.Instant;
import java.util.List;

import org.updraft.api.device.DeviceFilter;

/**
 * A rollout as the ledger records it.
 *
 * @param id unique id, e.g. {@code r-7f3a9c}
 * @param releaseId the release it delivers ({@code vendor/class/sequence})
 * @param target the devices it targets, already narrowed to the release's vendor, class and profile
 * @param waves the waves, in order
 * @param state where it stands
 * @param currentWave index of the wave now offering the release (earlier waves keep being offered); equals
 *        {@code waves.size()} once every wave passed
 * @param reason why it was last paused or cancelled (by whom, or which threshold), or {@code null}
 * @param created when it was created
 * @param updated when its state last changed
 * @param ledgerIndex index of its latest state event on the ledger
 */
public record Rollout(String id, String releaseId, DeviceFilter target, List<WaveSpec> waves, RolloutState state,
        int currentWave, String reason, Instant created, Instant updated, long ledgerIndex) {

    public Rollout {
        waves = List.copyOf(waves);
    }
}
