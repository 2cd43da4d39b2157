package org.updraft.core.update;

import java.time.Instant;
import java.util.Objects;

import org.updraft.api.device.DeviceState;
import org.updraft.core.manifest.SemanticVersion;

/**
 * What a device says about an update, signed with its key ({@link DeviceReports}).
 *
 * @param deviceId the reporting device
 * @param rolloutId the rollout that offered the release, or {@code null} when the device acts on its own
 * @param releaseId the release the report is about; for {@link DeviceState#STALE}, the release the device runs
 * @param state the new state; never {@link DeviceState#IDLE}; {@link DeviceState#STALE} is about no rollout
 * @param reason why, for {@code failed}, {@code rolled-back} and {@code stale} (at most 200 characters), else
 *        {@code null}
 * @param installedVersion the version the device runs after this step
 * @param installedSequence the sequence number it runs after this step
 * @param time when the device made the report, to the second
 * @param counter increases with every new report of this device: the platform refuses a report whose counter
 *        is not above the last one it recorded (replay protection); a report resent unchanged is recognised
 */
public record DeviceReport(String deviceId, String rolloutId, String releaseId, DeviceState state, String reason,
        String installedVersion, long installedSequence, Instant time, long counter) {

    /** Longest reason text accepted: reports travel in one small datagram. */
    public static final int MAX_REASON = 200;

    public DeviceReport {
        DeviceIds.check(deviceId);
        Objects.requireNonNull(releaseId, "releaseId");
        Objects.requireNonNull(state, "state");
        if (state == DeviceState.IDLE) {
            throw new IllegalArgumentException("a report's state cannot be idle");
        }
        if (state == DeviceState.STALE && rolloutId != null) {
            throw new IllegalArgumentException("a stale report is about no rollout");
        }
        if (reason != null && reason.length() > MAX_REASON) {
            throw new IllegalArgumentException("a report's reason must be at most " + MAX_REASON + " characters");
        }
        SemanticVersion.parse(installedVersion);
        if (installedSequence < 0 || counter < 0) {
            throw new IllegalArgumentException("a report's sequence and counter must not be negative");
        }
        time = Instant.ofEpochSecond(Objects.requireNonNull(time, "time").getEpochSecond());
    }
}
